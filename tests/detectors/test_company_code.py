"""Unified social credit codes: recognised so they never pass for personal IDs."""

from __future__ import annotations

import pytest
from stdnum.cn import ric, uscc

from detectors.engine import Detector
from detectors.recognizers import load_recognizers
from detectors.recognizers.base import SegmentView
from detectors.recognizers.company_code import CompanyCodeRecognizer
from detectors.types import Interaction, Segment


def make_code(body: str) -> str:
    """Return a unified social credit code with a valid check character."""
    return body + uscc.calc_check_digit(body)


WITH_LETTERS = make_code("91440300MA5F3K7QX")
ALL_DIGITS = make_code("91440308251055966")


def id_that_is_also_a_code() -> str:
    """Return a valid resident ID that also passes the company code check."""
    for sequence in range(1000):
        body = f"44030519880412{sequence:03d}"
        number = body + ric.calc_check_digit(body + "0")
        if uscc.is_valid(number):
            return number
    raise AssertionError("no sequence passes both checks")


BOTH = id_that_is_also_a_code()


def found(text: str) -> list[str]:
    view = SegmentView(Segment(id="s1", speaker="customer", text=text))
    return [text[c.start : c.end] for c in CompanyCodeRecognizer().find(view)]


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
    ("text", "covered"),
    [
        (f"统一社会信用代码{WITH_LETTERS}谢谢", WITH_LETTERS),
        (WITH_LETTERS, WITH_LETTERS),
        (f"税号：{WITH_LETTERS.lower()}", WITH_LETTERS.lower()),
        (ALL_DIGITS, ALL_DIGITS),
        (f"营业执照上的信用代码是{BOTH}", BOTH),
    ],
)
def test_codes_are_found(text: str, covered: str) -> None:
    assert found(text) == [covered]


@pytest.mark.parametrize(
    "text",
    [
        WITH_LETTERS[:-1] + ("1" if WITH_LETTERS[-1] != "1" else "2"),  # check
        BOTH,  # a valid resident ID without a company keyword
        f"身份证{BOTH}，税号也是它",  # an ID keyword next to the number
        f"订单号{ALL_DIGITS}",  # an order number that passes the check
        f"对公账户{ALL_DIGITS}",  # an account number that passes the check
        "X" + WITH_LETTERS,  # a letter glued in front
    ],
)
def test_other_values_are_not_codes(text: str) -> None:
    assert found(text) == []


def test_code_beats_every_other_reading_in_the_detector() -> None:
    text = f"公司统一社会信用代码{BOTH}"
    assert detect(text, BOTH) == [("COMPANY_CODE", BOTH)]


def test_resident_id_keeps_its_reading_in_the_detector() -> None:
    text = f"身份证号{BOTH}"
    assert detect(text, BOTH) == [("CN_RESIDENT_ID", BOTH)]


def test_full_width_code_spans_original_characters() -> None:
    wide = WITH_LETTERS.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    text = f"信用代码：{wide}。"
    assert found(text) == [wide]
