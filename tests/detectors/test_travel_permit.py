"""Mainland travel permits and home-return permits."""

from __future__ import annotations

import pytest

from detectors.recognizers.base import SegmentView
from detectors.recognizers.travel_permit import TravelPermitRecognizer
from detectors.types import Segment


def found(text: str) -> list[tuple[str, str, float]]:
    view = SegmentView(Segment(id="s1", speaker="customer", text=text))
    return [
        (text[c.start : c.end], c.value, c.confidence)
        for c in TravelPermitRecognizer().find(view)
    ]


@pytest.mark.parametrize(
    ("text", "covered", "value", "confidence"),
    [
        ("回乡证号H60318427谢谢", "H60318427", "H60318427", 0.9),
        ("港澳居民来往内地通行证M20957318", "M20957318", "M20957318", 0.9),
        ("回乡证H6031842701", "H6031842701", "H6031842701", 0.85),
        ("港澳通行证C71820394，明天过关", "C71820394", "C71820394", 0.9),
        ("通行证号码CK2039184", "CK2039184", "CK2039184", 0.85),
        ("台胞证08172635", "08172635", "08172635", 0.8),
        ("大陆居民往来台湾通行证L30481726", "L30481726", "L30481726", 0.9),
        ("home return permit h60318427", "h60318427", "H60318427", 0.9),
        ("我的是H60318427", "H60318427", "H60318427", 0.6),
        ("C71820394，麻烦查一下", "C71820394", "C71820394", 0.6),
        ("号码L30481726", "L30481726", "L30481726", 0.6),
    ],
)
def test_permits_are_found(
    text: str, covered: str, value: str, confidence: float
) -> None:
    assert found(text) == [(covered, value, confidence)]


@pytest.mark.parametrize(
    "text",
    [
        "08172635",  # eight digits alone
        "通行证08172635",  # eight digits need a 台胞证 keyword, not any permit
        "H6031842701",  # the older ten-digit form needs a keyword
        "CK2039184",  # the later C series needs a keyword
        "h60318427",  # lower case without a keyword
        "订单号H60318427",  # order number of permit shape
        "运单C71820394已签收",  # waybill number
        "SKU: M20957318",  # product code
        "XH60318427",  # letters glued in front
        "H603184271",  # nine digits after the letter
        "my code is H60318427",  # no keyword in an English segment
        "驾驶证H60318427",  # a driving licence number
    ],
)
def test_non_permits_are_ignored(text: str) -> None:
    assert found(text) == []


def test_full_width_permit_spans_original_characters() -> None:
    text = "港澳通行证：Ｃ７１８２０３９４。"
    assert found(text) == [("Ｃ７１８２０３９４", "C71820394", 0.9)]
