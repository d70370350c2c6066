"""Passport numbers: Chinese series by shape, other countries next to a keyword."""

from __future__ import annotations

import pytest

from detectors.engine import Detector
from detectors.recognizers import load_recognizers
from detectors.recognizers.base import SegmentView
from detectors.recognizers.passport import PassportRecognizer
from detectors.types import Interaction, Segment


def found(text: str) -> list[tuple[str, str, str]]:
    """Return (type, covered text, value) for each passport candidate."""
    view = SegmentView(Segment(id="s1", speaker="customer", text=text))
    return [
        (c.type, text[c.start : c.end], c.value)
        for c in PassportRecognizer().find(view)
    ]


@pytest.mark.parametrize(
    ("text", "covered", "value"),
    [
        ("护照号G40718263谢谢", "G40718263", "G40718263"),
        ("我的护照是E73019284，下周出发", "E73019284", "E73019284"),
        ("E52938107", "E52938107", "E52938107"),
        ("护照号码：EK8031746", "EK8031746", "EK8031746"),
        ("外交护照D6204817", "D6204817", "D6204817"),
        ("公务护照号PE3179205", "PE3179205", "PE3179205"),
        ("护照号140583926", "140583926", "140583926"),
        ("护照g40718263", "g40718263", "G40718263"),
        ("passport no: 618204739", "618204739", "618204739"),
        ("My passport number is KT5820374, thanks", "KT5820374", "KT5820374"),
        ("Passport X0841726 expires next year", "X0841726", "X0841726"),
        ("C9Y1K04T7是我的护照号", "C9Y1K04T7", "C9Y1K04T7"),
    ],
)
def test_passport_numbers_are_found(text: str, covered: str, value: str) -> None:
    assert found(text) == [("PASSPORT", covered, value)]


@pytest.mark.parametrize(
    "text",
    [
        "订单号E73019284已发货",  # order number of passport shape
        "型号G40718263的配件",  # model number
        "g40718263",  # lower case without a keyword
        "D6204817",  # official series needs a keyword
        "140583926",  # pre-2006 booklet needs a keyword
        "EK8031746X",  # longer token
        "SFE73019284",  # letters glued in front
        "618204739",  # nine digits without a keyword
        "passport expiry 20300415",  # a date after the keyword
        "办理出境业务需要您的护照号码",  # keyword without a number
        "passport photo, order ABC12345",  # order number after a keyword
    ],
)
def test_non_passports_are_ignored(text: str) -> None:
    assert found(text) == []


def test_full_width_number_spans_original_characters() -> None:
    text = "护照号Ｇ４０７１８２６３。"
    assert found(text) == [("PASSPORT", "Ｇ４０７１８２６３", "G40718263")]


def test_keyword_raises_confidence() -> None:
    view_with = SegmentView(Segment("s1", "customer", "护照E52938107"))
    view_without = SegmentView(Segment("s1", "customer", "号码E52938107"))
    (with_keyword,) = PassportRecognizer().find(view_with)
    (without_keyword,) = PassportRecognizer().find(view_without)
    assert with_keyword.confidence > without_keyword.confidence


def test_agent_disclosure_through_the_detector() -> None:
    text = "您的护照号是G40718263，请核对"
    interaction = Interaction(
        id="t1",
        channel="chat",
        segments=[Segment(id="s1", speaker="agent", text=text)],
    )
    findings = Detector(recognizers=load_recognizers()).detect(interaction).findings
    passports = [f for f in findings if f.type == "PASSPORT"]
    assert [(text[f.start : f.end], f.form) for f in passports] == [
        ("G40718263", "full")
    ]
