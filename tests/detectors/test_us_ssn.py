"""US social security numbers: grouped forms alone, bare digits with a keyword."""

from __future__ import annotations

import pytest

from detectors.recognizers.base import SegmentView
from detectors.recognizers.us_ssn import UsSsnRecognizer
from detectors.types import Segment


def found(text: str) -> list[tuple[str, str, str]]:
    view = SegmentView(Segment(id="s1", speaker="customer", text=text), "en")
    return [
        (c.type, text[c.start : c.end], c.value) for c in UsSsnRecognizer().find(view)
    ]


@pytest.mark.parametrize(
    ("text", "covered", "value"),
    [
        ("My SSN is 372-58-1946.", "372-58-1946", "372581946"),
        ("372-58-1946", "372-58-1946", "372581946"),
        ("social security number 418 27 3065", "418 27 3065", "418273065"),
        ("ssn: 418273065 thanks", "418273065", "418273065"),
        ("社会安全号372581946谢谢", "372581946", "372581946"),
        ("SSN 007-41-2290 on file", "007-41-2290", "007412290"),
    ],
)
def test_ssns_are_found(text: str, covered: str, value: str) -> None:
    assert found(text) == [("US_SSN", covered, value)]


@pytest.mark.parametrize(
    "text",
    [
        "SSN 000-41-2290",  # area 000 is never issued
        "SSN 666-41-2290",  # area 666 is never issued
        "SSN 912-41-2290",  # 9xx areas are ITINs, not SSNs
        "SSN 372-00-1946",  # group 00
        "SSN 372-58-0000",  # serial 0000
        "SSN 078-05-1120",  # the number printed in a wallet advertisement
        "372581946",  # bare digits without a keyword
        "order 372-58-1946",  # order reference of SSN shape
        "SSN 372-58-19461",  # ten digits
        "SSN 3725-8-1946",  # groups in the wrong place
        "SSN 372-58 1946",  # mixed separators
        "call 415-372-5819",  # a phone number
    ],
)
def test_non_ssns_are_ignored(text: str) -> None:
    assert found(text) == []


def test_full_width_digits_span_original_characters() -> None:
    text = "SSN：３７２－５８－１９４６"
    assert found(text) == [("US_SSN", "３７２－５８－１９４６", "372581946")]


def test_keyword_raises_confidence() -> None:
    view_with = SegmentView(Segment("s1", "customer", "SSN 372-58-1946"))
    view_without = SegmentView(Segment("s1", "customer", "it is 372-58-1946"))
    (with_keyword,) = UsSsnRecognizer().find(view_with)
    (without_keyword,) = UsSsnRecognizer().find(view_without)
    assert with_keyword.confidence > without_keyword.confidence
