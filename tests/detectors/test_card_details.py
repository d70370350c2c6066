"""Card security codes and expiry dates: values right after their keywords."""

from __future__ import annotations

import pytest

from detectors.engine import Detector
from detectors.recognizers import load_recognizers
from detectors.recognizers.base import SegmentView
from detectors.recognizers.card_details import CardDetailsRecognizer
from detectors.types import Interaction, Segment


def found(text: str) -> list[tuple[str, str, str]]:
    view = SegmentView(Segment(id="s1", speaker="customer", text=text))
    return [
        (c.type, text[c.start : c.end], c.value)
        for c in CardDetailsRecognizer().find(view)
    ]


@pytest.mark.parametrize(
    ("text", "covered"),
    [
        ("卡背面的三位安全码是418", "418"),
        ("安全码：２０７谢谢", "２０７"),
        ("CVV 593", "593"),
        ("the cvc2 is 0381 on my amex", "0381"),
        ("card security code: 264", "264"),
        ("security code on the back of the card is 715", "715"),
        ("卡背面后三位是 908，麻烦快点", "908"),
        ("信用卡背面的验证码352", "352"),
        ("卡片验证码829", "829"),
    ],
)
def test_security_codes_are_found(text: str, covered: str) -> None:
    assert [(t, c) for t, c, _ in found(text)] == [("CARD_CVV", covered)]


@pytest.mark.parametrize(
    "text",
    [
        "卡号后三位是789",  # last three digits of the card number
        "尾号后三位418",  # tail of some number
        "安全码和卡号后四位1234",  # the digits belong to the card number
        "请不要把CVV告诉任何人",  # keyword without a value
        "CVV is 3 digits",  # a count, not a value
        "安全码是三位数字",  # spelled out, no value
        "安全码错误了3次",  # a count of attempts
        "enter the security code we texted: 482",  # a text-message code
        "CVV。订单号593已取消",  # the value sits in the next sentence
        "安全码 300元",  # an amount
    ],
)
def test_non_codes_are_ignored(text: str) -> None:
    assert [f for f in found(text) if f[0] == "CARD_CVV"] == []


@pytest.mark.parametrize(
    ("text", "covered", "value"),
    [
        ("信用卡有效期12/28", "12/28", "12/28"),
        ("卡片有效期至09/2031，谢谢", "09/2031", "09/31"),
        ("valid thru 3-29", "3-29", "03/29"),
        ("Card number on file, exp 11/27", "11/27", "11/27"),
        ("my visa expires 04 / 30", "04 / 30", "04/30"),
        ("good thru １０／２９", "１０／２９", "10/29"),
    ],
)
def test_expiry_dates_are_found(text: str, covered: str, value: str) -> None:
    assert found(text) == [("CARD_EXPIRY", covered, value)]


@pytest.mark.parametrize(
    "text",
    [
        "身份证有效期2016.03.01-2036.03.01",  # an ID card's validity period
        "优惠券有效期12-31",  # a coupon, no card word
        "有效期12/28",  # no card word
        "card valid thru 13/28",  # no month 13
        "card exp 12/28/2025",  # a full date
        "信用卡有效期还有三年",  # no value
    ],
)
def test_non_expiry_dates_are_ignored(text: str) -> None:
    assert [f for f in found(text) if f[0] == "CARD_EXPIRY"] == []


def test_card_details_through_the_detector() -> None:
    text = "卡号后四位3321，有效期08/29，安全码644"
    interaction = Interaction(
        id="t1", channel="chat", segments=[Segment("s1", "customer", text)]
    )
    findings = Detector(recognizers=load_recognizers()).detect(interaction).findings
    details = [
        (f.type, text[f.start : f.end], f.form)
        for f in findings
        if f.type in ("CARD_CVV", "CARD_EXPIRY")
    ]
    assert details == [("CARD_EXPIRY", "08/29", "full"), ("CARD_CVV", "644", "full")]
