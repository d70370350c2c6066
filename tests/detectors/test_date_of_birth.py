"""Dates of birth: complete dates right next to a birth keyword."""

from __future__ import annotations

import pytest

from detectors.recognizers.base import SegmentView
from detectors.recognizers.date_of_birth import DateOfBirthRecognizer
from detectors.types import Segment


def found(text: str, language: str | None = None) -> list[tuple[str, str]]:
    view = SegmentView(Segment(id="s1", speaker="customer", text=text), language)
    return [
        (text[c.start : c.end], c.value) for c in DateOfBirthRecognizer().find(view)
    ]


@pytest.mark.parametrize(
    ("text", "language", "covered", "value"),
    [
        ("出生日期1987年9月14日谢谢", "zh", "1987年9月14日", "1987-09-14"),
        ("我是1993-02-27出生的", "zh", "1993-02-27", "1993-02-27"),
        ("生日：2001/11/05", "zh", "2001/11/05", "2001-11-05"),
        ("出生于19760830", "zh", "19760830", "1976-08-30"),
        (
            "出生日期：１９８７年９月１４日。",
            "zh",
            "１９８７年９月１４日",
            "1987-09-14",
        ),
        ("DOB: 04/09/1982", "en", "04/09/1982", "1982-04-09"),
        ("DOB: 04/09/1982", "zh", "04/09/1982", "1982-09-04"),
        ("date of birth 23/06/1979", "en", "23/06/1979", "1979-06-23"),
        ("I was born on March 8th, 1969.", "en", "March 8th, 1969", "1969-03-08"),
        ("Date of birth: 17 Oct 1990", "en", "17 Oct 1990", "1990-10-17"),
        ("birthday is the 2nd of Jan. 1985", "en", "2nd of Jan. 1985", "1985-01-02"),
    ],
)
def test_birth_dates_are_found(
    text: str, language: str, covered: str, value: str
) -> None:
    assert found(text, language) == [(covered, value)]


@pytest.mark.parametrize(
    "text",
    [
        "订单日期2023-05-01",  # an order date
        "生日快乐！订单2023-05-01已发货",  # birthday wishes, then an order date
        "生日那天下单的，2023-05-01到货",  # delivery date after the keyword
        "出生日期1987-02-30",  # no such day
        "出生日期2099-01-01",  # in the future
        "出生日期1850-01-01",  # too early
        "生日是9月14日",  # no year
        "DOB 1982",  # year only
        "born 13/13/1990",  # neither part is a month
        "Your order shipped on May 3, 2023.",  # no birth keyword
        "身份证号110101198709143216",  # a date inside a longer number
    ],
)
def test_other_dates_are_ignored(text: str) -> None:
    assert found(text) == []
