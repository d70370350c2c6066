"""Match phrase rules on text: concepts in any order, with fillers and typos.

A rule is satisfied when one term of each of its concepts occurs within a
short window of the same clause, in any order, with any words between. So
"验证码麻烦念给我", "麻烦把验证码念一下" and "could you please read me
the code we sent" all satisfy request + one-time code.

English words of six letters or more that are one edit (insert, delete,
substitute or swap) away from a concept word are read as that word, so
"pasword" and "screnshot" still count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from detectors.normalize import MappedText
from detectors.phrases.concepts import CONCEPTS, Concept

# A match may not cross a sentence end.
_SENTENCE_END = re.compile(r"[。？！?!；;\n]|\.(?:\s|$)")
_CLAUSE_END = re.compile(r"[。？！?!；;，,\n]|\.(?:\s|$)")
_WORD = re.compile(r"[a-z][a-z'\-]*[a-z]")
# Texts longer than this are matched without typo correction, which costs
# one comparison per word and vocabulary entry.
_FUZZY_MAX_CHARS = 5_000
_FUZZY_MIN_LETTERS = 6

# Words that turn a request into a warning: "请勿透露验证码", "never share".
NEGATION = re.compile(
    r"请勿|切勿|不要|别|不会|无需|不需要|绝不|不得|严禁|谨防|不能|禁止|never|don'?t|do not"
    r"|won'?t|will not|not ask|no one|nobody|should not|shouldn'?t|must not|can'?t ask"
)


@dataclass(frozen=True)
class Occurrence:
    concept: str
    start: int
    end: int


def _term_pattern(term: str) -> str:
    if term.startswith("re:"):
        return term[3:]
    escaped = re.escape(term)
    if term.isascii() and term[:1].isalnum():
        return rf"(?<![a-z0-9]){escaped}(?![a-z0-9])"
    return escaped


@cache
def concept_pattern(name: str) -> re.Pattern[str]:
    concept: Concept = CONCEPTS[name]
    terms = sorted(concept.terms, key=len, reverse=True)
    return re.compile("|".join(_term_pattern(t) for t in terms))


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    words: set[str] = set()
    for concept in CONCEPTS.values():
        for term in concept.en:
            if term.startswith("re:"):
                continue
            words.update(w for w in _WORD.findall(term) if len(w) >= _FUZZY_MIN_LETTERS)
    return frozenset(words)


def _one_edit_apart(a: str, b: str) -> bool:
    """Tell whether two different words are one insert, delete, substitution or swap apart."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def correct_typos(mapped: MappedText) -> MappedText:
    """Replace English words one typo away from a concept word by that word."""
    if len(mapped.text) > _FUZZY_MAX_CHARS:
        return mapped
    vocabulary = _vocabulary()
    pieces = []
    for match in _WORD.finditer(mapped.text):
        word = match.group()
        if len(word) < _FUZZY_MIN_LETTERS or word in vocabulary:
            continue
        for known in vocabulary:
            if _one_edit_apart(word, known):
                pieces.append((match.start(), match.end(), known))
                break
    return mapped.rewrite(pieces) if pieces else mapped


def occurrences(text: str, names: Iterable[str]) -> dict[str, list[Occurrence]]:
    found: dict[str, list[Occurrence]] = {}
    for name in names:
        hits = [
            Occurrence(name, m.start(), m.end())
            for m in concept_pattern(name).finditer(text)
        ]
        hits = [h for h in hits if h.end > h.start]
        if hits:
            found[name] = hits
    return found


def _crosses_sentence(text: str, start: int, end: int) -> bool:
    return bool(_SENTENCE_END.search(text[start:end].rstrip("。？！?!.;；")))


def best_span(
    text: str,
    found: dict[str, list[Occurrence]],
    concepts: Sequence[str],
    window_zh: int,
    window_en: int,
) -> list[Occurrence] | None:
    """Return the closest set of occurrences, one per concept, if any.

    Their span must fit the window (in characters; English gets the larger
    one because its words are longer) and stay inside one sentence.
    """
    if not all(name in found for name in concepts):
        return None
    best: list[Occurrence] | None = None
    best_length = 0

    def walk(index: int, chosen: list[Occurrence]) -> None:
        nonlocal best, best_length
        if index == len(concepts):
            start = min(o.start for o in chosen)
            end = max(o.end for o in chosen)
            window = window_en if text[start:end].isascii() else window_zh
            if end - start > window or _crosses_sentence(text, start, end):
                return
            if best is None or end - start < best_length:
                best = list(chosen)
                best_length = end - start
            return
        for occurrence in found[concepts[index]]:
            if any(
                occurrence.start < o.end and o.start < occurrence.end for o in chosen
            ):
                continue
            walk(index + 1, [*chosen, occurrence])

    walk(0, [])
    return best


def clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the bounds of the clause (between commas or sentence ends) around a span."""
    left = 0
    for match in _CLAUSE_END.finditer(text, 0, start):
        left = match.end()
    right_match = _CLAUSE_END.search(text, end)
    return left, right_match.start() if right_match else len(text)


def is_negated(
    text: str, start: int, end: int, terms: Sequence[Occurrence] = ()
) -> bool:
    """Tell whether a negation precedes the phrase in its clause, or sits inside it.

    Words after the phrase do not count, nor do the matched terms themselves:
    in "noted it down, so you won't have to give it again" the "won't" is
    part of a term that shows retention, not a negation of it.
    """
    left, _ = clause_bounds(text, start, end)
    chars = list(text[left:end])
    for term in terms:
        for index in range(max(term.start, left), min(term.end, end)):
            chars[index - left] = " "
    return bool(NEGATION.search("".join(chars)))
