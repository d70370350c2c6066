"""Risky agent phrases: rules built from concepts, each with its own examples.

A `PhraseRule` names the behaviour its phrases show and lists, as
alternatives, the groups of concepts that together make the phrase. Each
rule carries examples that must match and counter-examples that must not;
one test runs them all. Adding a phrase family is adding an entry to
`detectors.phrases.rules`; adding a way of saying something is adding a term
to a concept in `detectors.phrases.concepts`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from detectors.normalize import MappedText
from detectors.phrases.items import item_spans
from detectors.phrases.matcher import (
    Occurrence,
    best_span,
    clause_bounds,
    concept_pattern,
    correct_typos,
    is_negated,
    occurrences,
)

# Sentences longer than this are matched in overlapping windows, which keeps
# the search for concept combinations small on any input.
_MAX_SENTENCE = 400
_SENTENCE = re.compile(r"[^。？！?!；;\n]+[。？！?!；;]?")


@dataclass(frozen=True)
class PhraseRule:
    """A family of risky agent phrases.

    `any_of` holds alternatives; each is a group of concept names that must
    all occur close together. `none_of` names concepts that cancel the rule
    when they occur in the same clause. `secret` names the secret type a
    customer's answer would be (VERIFICATION_CODE, CARD_CVV or PASSWORD).
    `severity` overrides the behaviour's default severity when set.
    `min_items`, when set, also requires that many different kinds of
    sensitive item (`detectors.phrases.items`) in the same sentence.
    """

    name: str
    behaviour: str
    any_of: tuple[tuple[str, ...], ...]
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...]
    none_of: tuple[str, ...] = ()
    secret: str | None = None
    severity: str | None = None
    window_zh: int = 14
    window_en: int = 48
    min_items: int = 0


@dataclass(frozen=True)
class PhraseMatch:
    rule: PhraseRule
    start: int
    end: int


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    for match in _SENTENCE.finditer(text):
        start, end = match.span()
        while end - start > _MAX_SENTENCE:
            yield start, start + _MAX_SENTENCE
            start += _MAX_SENTENCE - 50
        yield start, end


def _cancelled(
    rule: PhraseRule, text: str, start: int, end: int, terms: list[Occurrence]
) -> bool:
    if is_negated(text, start, end, terms):
        return True
    left, right = clause_bounds(text, start, end)
    clause = text[left:right]
    return any(concept_pattern(name).search(clause) for name in rule.none_of)


def match_rule(rule: PhraseRule, mapped: MappedText) -> PhraseMatch | None:
    """Return the first place `rule` matches in a folded, lower-cased text."""
    corrected = correct_typos(mapped)
    text = corrected.text
    names = {name for group in rule.any_of for name in group}
    for sentence_start, sentence_end in _sentences(text):
        sentence = text[sentence_start:sentence_end]
        found = occurrences(sentence, names)
        for group in rule.any_of:
            chosen = best_span(sentence, found, group, rule.window_zh, rule.window_en)
            if chosen is None:
                continue
            terms = [
                Occurrence(o.concept, o.start + sentence_start, o.end + sentence_start)
                for o in chosen
            ]
            if rule.min_items:
                items = item_spans(sentence)
                if len(items) < rule.min_items:
                    continue
                terms += [
                    Occurrence("ITEM", a + sentence_start, b + sentence_start)
                    for a, b in items.values()
                ]
            start = min(o.start for o in terms)
            end = max(o.end for o in terms)
            if _cancelled(rule, text, start, end, terms):
                continue
            original_start, original_end = corrected.original_span(start, end)
            return PhraseMatch(rule, original_start, original_end)
    return None


def match_text(
    text: str, rules: tuple[PhraseRule, ...] | None = None
) -> list[PhraseMatch]:
    """Match every rule on raw text (folded and lower-cased here); for tests and tools."""
    from detectors.normalize import fold_width
    from detectors.phrases.rules import RULES

    mapped = MappedText.identity(fold_width(text).text.lower())
    found = []
    for rule in rules if rules is not None else RULES:
        match = match_rule(rule, mapped)
        if match is not None:
            found.append(match)
    return found


__all__ = ["PhraseMatch", "PhraseRule", "match_rule", "match_text"]
