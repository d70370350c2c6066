"""Risky agent phrases: findings of type RISKY_PHRASE with their behaviour.

Only agents' segments are read, because the behaviours describe what an
agent does. The rules are data, in `detectors.phrases.rules`.
"""

from __future__ import annotations

from collections.abc import Iterator

from detectors.normalize import MappedText
from detectors.phrases import PhraseRule, match_rule
from detectors.phrases.rules import RULES
from detectors.recognizers.base import Candidate, Recognizer, SegmentView


class RiskyPhraseRecognizer(Recognizer):
    name = "risky_phrase"
    types = ("RISKY_PHRASE",)

    def __init__(self, rules: tuple[PhraseRule, ...] = RULES) -> None:
        self.phrase_rules = rules

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        if view.segment.speaker != "agent":
            return
        mapped = MappedText.identity(view.lowered)
        for rule in self.phrase_rules:
            match = match_rule(rule, mapped)
            if match is None:
                continue
            tags = {rule.behaviour, f"rule:{rule.name}"}
            if rule.secret:
                tags.add(f"secret:{rule.secret}")
            if rule.severity:
                tags.add(f"severity:{rule.severity}")
            yield Candidate(
                match.start,
                match.end,
                "RISKY_PHRASE",
                "full",
                view.folded.text[match.start : match.end],
                0.8,
                f"phrase_{rule.name}",
                f"agent phrase {rule.name.replace('_', ' ')}: "
                f"{' + '.join(' or '.join(g) for g in rule.any_of[:1])}",
                tags=tags,
            )


RECOGNIZERS = [RiskyPhraseRecognizer()]
