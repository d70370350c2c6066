"""Risky agent phrases: findings of type RISKY_PHRASE with their behaviour.

Only agents' segments are read, because the behaviours describe what an
agent does. The phrase catalogue is data, in `detectors.phrases`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from detectors.phrases import NEGATION, RULES, PhraseRule
from detectors.recognizers.base import Candidate, Recognizer, SegmentView

# A clause ends at sentence punctuation or a comma; negation is read per clause.
_CLAUSE_END = re.compile(r"[。？！?!；;，,\n]|\.(?:\s|$)")


def clause_start(text: str, start: int) -> int:
    """Return where the clause that contains offset `start` begins."""
    left = 0
    for match in _CLAUSE_END.finditer(text, 0, start):
        left = match.end()
    return left


def is_negated(text: str, start: int, end: int) -> bool:
    """Tell whether a negation precedes the phrase in its clause, or sits inside it.

    Only the words before the phrase count: in "I wrote it down so you won't
    need it again" the negation comes after and does not undo the phrase.
    """
    return bool(NEGATION.search(text, clause_start(text, start), end))


class RiskyPhraseRecognizer(Recognizer):
    name = "risky_phrase"
    types = ("RISKY_PHRASE",)

    def __init__(self, rules: tuple[PhraseRule, ...] = RULES) -> None:
        self.rules = rules

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        if view.segment.speaker != "agent":
            return
        text = view.lowered
        for rule in self.rules:
            for pattern in rule.compiled:
                match = pattern.search(text)
                if match is None or is_negated(text, match.start(), match.end()):
                    continue
                tags = {rule.behaviour, f"rule:{rule.name}"}
                if rule.secret:
                    tags.add(f"secret:{rule.secret}")
                if rule.asks_for:
                    tags.add(f"asks_for:{rule.asks_for}")
                yield Candidate(
                    match.start(),
                    match.end(),
                    "RISKY_PHRASE",
                    "full",
                    view.folded.text[match.start() : match.end()],
                    0.8,
                    f"phrase_{rule.name}",
                    f"agent phrase: {rule.name.replace('_', ' ')}",
                    tags=tags,
                )
                break  # one finding per rule and segment


RECOGNIZERS = [RiskyPhraseRecognizer()]
