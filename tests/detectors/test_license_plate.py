"""Licence plates: Chinese plates by shape, other plates after a keyword."""

from __future__ import annotations

import pytest

from detectors.recognizers.base import SegmentView
from detectors.recognizers.license_plate import LicensePlateRecognizer
from detectors.types import Segment


def found(text: str) -> list[tuple[str, str, float]]:
    view = SegmentView(Segment(id="s1", speaker="customer", text=text))
    return [
        (text[c.start : c.end], c.value, c.confidence)
        for c in LicensePlateRecognizer().find(view)
    ]


@pytest.mark.parametrize(
    ("text", "covered", "value", "confidence"),
    [
        ("车牌号京N·3K729谢谢", "京N·3K729", "京N3K729", 0.9),
        ("我的车是粤B 60418", "粤B 60418", "粤B60418", 0.7),
        ("沪AD30917停在B2", "沪AD30917", "沪AD30917", 0.7),
        ("苏E20481F", "苏E20481F", "苏E20481F", 0.7),
        ("车牌浙ＡＦ８２０３６。", "浙ＡＦ８２０３６", "浙AF82036", 0.9),
        ("licence plate KX21 RMB", "KX21 RMB", "KX21RMB", 0.75),
        ("the plate number is 8HQT402", "8HQT402", "8HQT402", 0.75),
        ("reg no. WD-7318", "WD-7318", "WD7318", 0.75),
    ],
)
def test_plates_are_found(
    text: str, covered: str, value: str, confidence: float
) -> None:
    assert found(text) == [(covered, value, confidence)]


@pytest.mark.parametrize(
    "text",
    [
        "阿里云ECS12345实例",  # a cloud product name after 云
        "新G40718263",  # a passport number after 新
        "京AB12CD",  # only two digits in the serial
        "京I12345",  # I is never a city letter
        "型号京A30917",  # a model number
        "8HQT402",  # a foreign plate without a keyword
        "plate number is missing",  # keyword without a value
        "licence plate ABCDEF",  # no digit
        "黑A123456",  # seven characters, not a new-energy shape
    ],
)
def test_other_values_are_ignored(text: str) -> None:
    assert found(text) == []
