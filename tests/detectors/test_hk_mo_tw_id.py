"""Hong Kong, Macau and Taiwan identity card numbers."""

from __future__ import annotations

import pytest

from detectors.recognizers.base import SegmentView
from detectors.recognizers.hk_mo_tw_id import (
    HkMoTwIdRecognizer,
    hong_kong_check_character,
    is_taiwan_id,
)
from detectors.types import Segment

# Made-up numbers whose check characters were worked out by hand:
# K538162: 36*9 + 20*8 + 5*7 + 3*6 + 8*5 + 1*4 + 6*3 + 2*2 = 603,
# 603 mod 11 = 9, so the check is 11 - 9 = 2.
HK_ONE_LETTER = "K538162(2)"
# F294821993: F is 15, so 1 + 5*9, plus 2*8 + 9*7 + 4*6 + 8*5 + 2*4 + 1*3
# + 9*2 + 9*1 + 3 = 230, a multiple of 10.
TAIWAN = "F294821993"


def found(text: str) -> list[tuple[str, str, str]]:
    view = SegmentView(Segment(id="s1", speaker="customer", text=text))
    return [
        (c.rule, text[c.start : c.end], c.value)
        for c in HkMoTwIdRecognizer().find(view)
    ]


@pytest.mark.parametrize(
    ("letters", "digits", "check"),
    [("K", "538162", "2"), ("XY", "204917", "4"), ("C", "668201", "2")],
)
def test_hong_kong_check_character(letters: str, digits: str, check: str) -> None:
    assert hong_kong_check_character(letters, digits) == check
    wrong = "0" if check != "0" else "1"
    assert hong_kong_check_character(letters, digits) != wrong


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        (TAIWAN, True),
        ("Q151819093", True),
        ("N289555979", True),
        ("F294821994", False),  # check digit off by one
        ("F394821993", False),  # second character must be 1 or 2
        ("I294821993", False),  # same digits under another letter code
        ("F29482199", False),  # too short
    ],
)
def test_taiwan_check_digit(number: str, valid: bool) -> None:
    assert is_taiwan_id(number) is valid


@pytest.mark.parametrize(
    ("text", "rule", "covered", "value"),
    [
        (
            "香港身份证K538162(2)谢谢",
            "hk_mo_tw_id_hong_kong",
            HK_ONE_LETTER,
            "K5381622",
        ),
        ("K538162(2)", "hk_mo_tw_id_hong_kong", HK_ONE_LETTER, "K5381622"),
        ("HKID XY204917(4)", "hk_mo_tw_id_hong_kong", "XY204917(4)", "XY2049174"),
        ("HKID C668201 (2)", "hk_mo_tw_id_hong_kong", "C668201 (2)", "C6682012"),
        ("身份证号码C6682012", "hk_mo_tw_id_hong_kong", "C6682012", "C6682012"),
        ("台湾身份证F294821993谢谢", "hk_mo_tw_id_taiwan", TAIWAN, TAIWAN),
        ("Q151819093", "hk_mo_tw_id_taiwan", "Q151819093", "Q151819093"),
        ("澳门身份证5204718(3)", "hk_mo_tw_id_macau", "5204718(3)", "52047183"),
        ("澳門身份證號碼 72093165", "hk_mo_tw_id_macau", "72093165", "72093165"),
        ("1630482(7)", "hk_mo_tw_id_macau", "1630482(7)", "16304827"),
    ],
)
def test_identity_cards_are_found(
    text: str, rule: str, covered: str, value: str
) -> None:
    assert found(text) == [(rule, covered, value)]


@pytest.mark.parametrize(
    "text",
    [
        "香港身份证K538162(3)",  # wrong check character
        "K5381622",  # bare Hong Kong number needs a keyword
        "F294821994",  # Taiwan check digit off by one
        "订单F294821993",  # order number that passes the Taiwan check
        "72093165",  # eight digits without a Macau keyword
        "身份证72093165",  # an ID keyword that is not Macau's
        "型号1630482(7)",  # a model number of Macau shape
        "A1630482(7)",  # a letter glued in front
    ],
)
def test_non_identity_cards_are_ignored(text: str) -> None:
    assert found(text) == []


def test_full_width_brackets_span_original_characters() -> None:
    text = "香港身份证Ｋ５３８１６２（２）。"
    assert found(text) == [
        ("hk_mo_tw_id_hong_kong", "Ｋ５３８１６２（２）", "K5381622")
    ]


def test_keyword_raises_taiwan_confidence() -> None:
    recognizer = HkMoTwIdRecognizer()
    (with_keyword,) = recognizer.find(
        SegmentView(Segment("s1", "customer", "身分證" + TAIWAN))
    )
    (without_keyword,) = recognizer.find(SegmentView(Segment("s1", "customer", TAIWAN)))
    assert with_keyword.confidence > without_keyword.confidence
