"""Every phrase rule's own examples, and the matcher's robustness."""

from __future__ import annotations

import pytest

from detectors.normalize import MappedText
from detectors.phrases import match_text
from detectors.phrases.concepts import CONCEPTS
from detectors.phrases.matcher import correct_typos
from detectors.phrases.rules import RULES

EXAMPLES = [(rule, text) for rule in RULES for text in rule.examples]
COUNTER_EXAMPLES = [(rule, text) for rule in RULES for text in rule.counter_examples]


@pytest.mark.parametrize(
    ("rule", "text"), EXAMPLES, ids=lambda x: getattr(x, "name", x)
)
def test_rule_matches_its_examples(rule, text: str) -> None:
    assert [m.rule.name for m in match_text(text, (rule,))] == [rule.name]


@pytest.mark.parametrize(
    ("rule", "text"), COUNTER_EXAMPLES, ids=lambda x: getattr(x, "name", x)
)
def test_rule_rejects_its_counter_examples(rule, text: str) -> None:
    assert match_text(text, (rule,)) == []


def test_every_rule_has_examples_both_ways() -> None:
    for rule in RULES:
        assert len(rule.examples) >= 2, rule.name
        assert len(rule.counter_examples) >= 2, rule.name


def test_catalogue_holds_over_200_phrasings() -> None:
    assert sum(len(c.terms) for c in CONCEPTS.values()) >= 200


def test_match_span_points_into_original_text() -> None:
    text = "您好！请把手机收到的验证码报给我，谢谢"
    (match,) = match_text(text, RULES[:1])
    assert text[match.start : match.end] == "验证码报给我"


def test_typo_correction_keeps_offsets() -> None:
    corrected = correct_typos(MappedText.identity("my pasword is here"))
    assert corrected.text == "my password is here"
    assert corrected.original_span(3, 11) == (3, 10)


@pytest.mark.parametrize(
    "text",
    [
        "验证码，也就是您手机上六位数的那个，麻烦告诉我",
        "Please, if you don't mind, tell me that one-time code",
        "请您把那个短信码给我发一下",
    ],
)
def test_fillers_and_word_order(text: str) -> None:
    assert [m.rule.name for m in match_text(text)] == ["ask_one_time_code"]
