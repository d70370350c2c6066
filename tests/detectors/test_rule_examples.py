"""Every recognizer rule's examples, run through the whole detector.

Each positive example must give a finding of the rule's type and form, and
each counter-example must give none. The examples are written next to the
rules in `detectors/recognizers/`.
"""

from __future__ import annotations

import pytest

from detectors.engine import Detector
from detectors.recognizers import Recognizer, Rule, catalogue, load_recognizers
from detectors.types import FORMS, Finding, Interaction, Segment

# The phrase recognizer has no `Rule`s: its phrase rules carry their own
# examples in `detectors.phrases.rules`, which `test_phrase_rules` runs.
WITHOUT_RULES = frozenset({"risky_phrase"})
MIN_RULES = 100

RECOGNIZERS = [r for r in load_recognizers() if r.name not in WITHOUT_RULES]
RULES = [rule for recognizer in RECOGNIZERS for rule in recognizer.rules]
DETECTOR = Detector()


def findings(text: str) -> list[Finding]:
    """Run the detector on a chat whose only segment is the customer's `text`."""
    segment = Segment(id="s1", speaker="customer", text=text)
    interaction = Interaction(id="rule-example", channel="chat", segments=[segment])
    return DETECTOR.detect(interaction).findings


def has_finding(rule: Rule, text: str) -> bool:
    """Check for a finding of the rule's type and form inside `text`."""
    return any(
        f.type == rule.type
        and f.form == rule.form
        and 0 <= f.start < f.end <= len(text)
        for f in findings(text)
    )


def describe(found: list[Finding], text: str) -> list[str]:
    """Describe findings for a failure message: type, form, rule, covered text."""
    return [f"{f.type}/{f.form}/{f.rule}: {text[f.start : f.end]!r}" for f in found]


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_examples_are_found(rule: Rule) -> None:
    missed = {
        text: describe(findings(text), text)
        for text in rule.examples
        if not has_finding(rule, text)
    }
    assert missed == {}, f"no {rule.type}/{rule.form} finding in these examples"


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_counter_examples_are_not_found(rule: Rule) -> None:
    wrongly_found = {
        text: describe(findings(text), text)
        for text in rule.counter_examples
        if has_finding(rule, text)
    }
    assert wrongly_found == {}, f"{rule.type}/{rule.form} found in counter-examples"


def test_rule_count_is_at_least_minimum() -> None:
    assert len(RULES) >= MIN_RULES


def test_rule_ids_are_unique() -> None:
    ids = [rule.id for rule in RULES]
    duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    assert duplicates == []


@pytest.mark.parametrize("recognizer", RECOGNIZERS, ids=lambda r: r.name)
def test_recognizer_has_rules(recognizer: Recognizer) -> None:
    assert recognizer.rules


@pytest.mark.parametrize("recognizer", RECOGNIZERS, ids=lambda r: r.name)
def test_rules_fit_their_recognizer(recognizer: Recognizer) -> None:
    for rule in recognizer.rules:
        assert rule.id.startswith(f"{recognizer.name}."), rule.id
        assert rule.type in recognizer.types, rule.id
        assert rule.form in FORMS, rule.id


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_rule_has_examples(rule: Rule) -> None:
    assert rule.examples
    assert rule.description


def test_catalogue_lists_every_rule() -> None:
    every_rule = [rule.id for r in load_recognizers() for rule in r.rules]
    entries = catalogue()
    assert [entry["rule"] for entry in entries] == every_rule
    assert {entry["recognizer"] for entry in entries} >= {r.name for r in RECOGNIZERS}
