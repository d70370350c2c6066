"""Chinese landlines that phonenumbers' matcher misses, and how both combine.

Every number here is made up but valid for its area code in phonenumbers.
"""

from __future__ import annotations

import pytest

from detectors.engine import Detector
from detectors.recognizers.base import SegmentView
from detectors.recognizers.landline import LandlineRecognizer, parse_landline
from detectors.recognizers.phone import PhoneRecognizer
from detectors.types import Interaction, Segment


def found(text: str) -> list[tuple[str, str]]:
    """Return (covered text, value) for each landline candidate."""
    view = SegmentView(Segment(id="s1", speaker="customer", text=text), "zh")
    return [(text[c.start : c.end], c.value) for c in LandlineRecognizer().find(view)]


def detected(text: str) -> list[tuple[str, str]]:
    """Return (type, covered text) of what the phone recognizers report together."""
    interaction = Interaction(
        id="i1",
        channel="chat",
        language="zh",
        segments=[Segment(id="s1", speaker="customer", text=text)],
    )
    detector = Detector(recognizers=[PhoneRecognizer(), LandlineRecognizer()])
    return [
        (f.type, text[f.start : f.end]) for f in detector.detect(interaction).findings
    ]


@pytest.mark.parametrize(
    ("text", "covered", "value"),
    [
        ("电话0571-86543210-808找我", "0571-86543210-808", "+8657186543210;ext=808"),
        ("座机010-62345678转123", "010-62345678转123", "+861062345678;ext=123"),
        (
            "办公室0755-26543210分机2301，谢谢",
            "0755-26543210分机2301",
            "+8675526543210;ext=2301",
        ),
        (
            "座机０２０－８７６５４３２１转５６",
            "０２０－８７６５４３２１转５６",
            "+862087654321;ext=56",
        ),
        ("+86 10 6234 5678转9", "+86 10 6234 5678转9", "+861062345678;ext=9"),
        ("TEL010-62345678", "010-62345678", "+861062345678"),
        ("请拨0351-8234567轉06联系我", "0351-8234567轉06", "+863518234567;ext=06"),
    ],
)
def test_missed_landlines_are_found(text: str, covered: str, value: str) -> None:
    assert found(text) == [(covered, value)]


@pytest.mark.parametrize(
    "text",
    [
        "办公室电话010-62345678",  # the phone recognizer finds it
        "座机(021)52345678",  # likewise, brackets included
        "电话0898-66123456ext.12",  # phonenumbers keeps this extension itself
        "客服热线010-62345678转8",  # a company hotline
        "拨打400-820-1234转2",  # a nationwide service number
        "订单号010-62345678-123",  # an order number
        "订单号01062345678001",  # digits running on
        "SF01062345678",  # a tracking code
        "电话0215234567转1",  # Shanghai numbers have eight digits
        "电话0512-6523456",  # so do Suzhou's
        "我的电话是62345678",  # no area code
    ],
)
def test_other_numbers_are_ignored(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "covered"),
    [
        ("座机010-62345678转123", "010-62345678转123"),
        ("电话0571-86543210-808找我", "0571-86543210-808"),
        ("办公室电话010-62345678", "010-62345678"),
        ("TEL010-62345678", "010-62345678"),
    ],
)
def test_phone_and_landline_combined_report_one_number(text: str, covered: str) -> None:
    assert detected(text) == [("PHONE_NUMBER", covered)]


def test_parse_landline_rejects_mobiles_and_service_numbers() -> None:
    assert parse_landline("010-62345678") is not None
    assert parse_landline("13912345678") is None
    assert parse_landline("4008201234") is None
