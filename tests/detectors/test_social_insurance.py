"""Social-security and medical-insurance numbers after their keywords."""

from __future__ import annotations

import pytest

from detectors.engine import Detector
from detectors.recognizers import load_recognizers
from detectors.recognizers.base import SegmentView
from detectors.recognizers.social_insurance import SocialInsuranceRecognizer
from detectors.types import Interaction, Segment
from tests.fakedata import card, resident_id


def found(text: str) -> list[tuple[str, str]]:
    view = SegmentView(Segment(id="s1", speaker="customer", text=text))
    return [
        (text[c.start : c.end], c.value) for c in SocialInsuranceRecognizer().find(view)
    ]


def detect(text: str, value: str) -> list[tuple[str, str]]:
    """Return (type, covered text) for each finding that overlaps `value`."""
    interaction = Interaction(
        id="t1", channel="chat", segments=[Segment("s1", "customer", text)]
    )
    findings = Detector(recognizers=load_recognizers()).detect(interaction).findings
    start = text.index(value)
    end = start + len(value)
    return [
        (f.type, text[f.start : f.end])
        for f in findings
        if f.start < end and start < f.end
    ]


@pytest.mark.parametrize(
    ("text", "covered", "value"),
    [
        ("社保卡号M40297318谢谢", "M40297318", "M40297318"),
        ("医保卡号：1203948576102", "1203948576102", "1203948576102"),
        ("我的医保号是a30491827", "a30491827", "A30491827"),
        ("参保号 330100204918273645", "330100204918273645", "330100204918273645"),
        ("社会保障卡号D08172634", "D08172634", "D08172634"),
    ],
)
def test_numbers_after_a_keyword_are_found(text: str, covered: str, value: str) -> None:
    assert found(text) == [(covered, value)]


@pytest.mark.parametrize(
    "text",
    [
        f"社保号{resident_id()}",  # the holder's resident ID
        "M40297318",  # no keyword
        "社保卡号M402973",  # too short
        "医保卡号123456789012345678901",  # too long
        "社保卡绑定的银行卡6217001234567890",  # the bank card's number
        "社保卡号ABCDEFGHJK",  # letters only
        "社保卡的客服电话12333",  # a short hotline
        "我的社保卡丢了，订单号20240518001234已提交",  # an order number
    ],
)
def test_other_values_are_ignored(text: str) -> None:
    assert found(text) == []


def test_resident_id_keeps_its_type() -> None:
    number = resident_id()
    text = f"社会保障号码{number}"
    assert detect(text, number) == [("CN_RESIDENT_ID", number)]


def test_card_number_keeps_its_type() -> None:
    number = card("621700", 19)
    text = f"社保卡号{number}"
    assert detect(text, number) == [("BANK_CARD", number)]


def test_full_width_number_spans_original_characters() -> None:
    text = "医保卡号：１２０３９４８５７６１０２。"
    assert found(text) == [("１２０３９４８５７６１０２", "1203948576102")]
