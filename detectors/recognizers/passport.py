"""Passport numbers: Chinese shapes alone, other countries' only next to a keyword.

Passport numbers carry no check digit, so nothing proves them but their shape
and the words around them. The Chinese ordinary passport (E or G and eight
digits) is distinctive enough on its own. The other Chinese series and every
foreign passport need a passport keyword just before or after the number.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from detectors.recognizers.base import (
    Candidate,
    Recognizer,
    SegmentView,
    keyword_pattern,
)

CONTEXT = keyword_pattern(
    [
        "护照",
        "護照",
        "passport",
        "passports",
        "passport no",
        "passport number",
        "passport#",
        "passeport",
        "pasaporte",
        "reisepass",
    ]
)
NEGATIVE_CONTEXT = keyword_pattern(
    [
        "订单",
        "单号",
        "运单",
        "快递",
        "工单",
        "物流",
        "型号",
        "货号",
        "批号",
        "发票",
        "order",
        "tracking",
        "invoice",
        "ticket",
        "model",
        "sku",
        "serial",
        "part",
        "驾驶证",
        "驾照",
        "会员",
        "预订",
        "license",
        "licence",
        "driver",
        "member",
        "booking",
        "confirmation",
    ]
)

# Chinese passport series, as printed on the data page.
_CHINESE = re.compile(
    r"""
    (?<![0-9A-Za-z])
    (?:
        (?P<ordinary>[EG][0-9]{8})              # ordinary: E (e-passport) or G
      | (?P<series>E[A-HJ-NP-Z][0-9]{7})        # ordinary, after the E series ran out
      | (?P<official>[PSD]E?[0-9]{7})           # public affairs, service, diplomatic
      | (?P<legacy>1[45][0-9]{7})               # booklets issued before 2006
    )
    (?![0-9A-Za-z])
    """,
    re.VERBOSE | re.IGNORECASE,
)
# Confidence with a passport keyword, without one (None: the keyword is
# required), and what the shape is, for each series of `_CHINESE`.
_SERIES: dict[str, tuple[float, float | None, str]] = {
    "ordinary": (0.95, 0.75, "Chinese ordinary passport shape (E or G, 8 digits)"),
    "series": (0.95, 0.6, "Chinese ordinary passport shape (E, a letter, 7 digits)"),
    "official": (0.9, None, "Chinese public affairs, service or diplomatic passport"),
    "legacy": (0.9, None, "Chinese passport number of a pre-2006 booklet"),
}
# Any other country: six to nine letters and digits, at least four of them
# digits (US and UK numbers are nine digits, many countries use two letters
# and seven digits, Germany mixes letters in).
_FOREIGN = re.compile(
    r"""
    (?<![0-9A-Za-z])
    (?P<number>[A-Z0-9]{6,9})
    (?![0-9A-Za-z])
    """,
    re.VERBOSE | re.IGNORECASE,
)
# Window sizes, in characters: the keyword sits just before the number
# ("护照号码是", "passport number:") or just after it ("…是我的护照号").
_BEFORE = 20
_AFTER = 8
_NEGATIVE_BEFORE = 8


def _looks_like_date(digits: str) -> bool:
    """Check whether eight digits read as a YYYYMMDD date, such as an expiry."""
    if len(digits) != 8:
        return False
    try:
        datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return False
    return True


class PassportRecognizer(Recognizer):
    name = "passport"
    types = ("PASSPORT",)

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        taken: list[tuple[int, int]] = []
        for match in _CHINESE.finditer(view.folded.text):
            candidate = self._chinese(view, match)
            if candidate is not None:
                taken.append((candidate.start, candidate.end))
                yield candidate
        for match in _FOREIGN.finditer(view.folded.text):
            if any(start < match.end() and match.start() < end for start, end in taken):
                continue
            candidate = self._foreign(view, match)
            if candidate is not None:
                yield candidate

    def _chinese(self, view: SegmentView, match: re.Match[str]) -> Candidate | None:
        start, end = match.span()
        if NEGATIVE_CONTEXT.search(view.before(start, _NEGATIVE_BEFORE)):
            return None
        series = match.lastgroup or ""
        with_keyword, without_keyword, description = _SERIES[series]
        if self._has_context(view, start, end):
            confidence = with_keyword
            description += ", next to a passport keyword"
        elif without_keyword is not None and match.group().isupper():
            confidence = without_keyword
        else:
            return None
        return Candidate(
            start,
            end,
            "PASSPORT",
            "full",
            match.group().upper(),
            confidence,
            self.name,
            description,
        )

    def _foreign(self, view: SegmentView, match: re.Match[str]) -> Candidate | None:
        number = match.group("number").upper()
        digits = sum(char.isdigit() for char in number)
        if digits < 4:
            return None
        if number.isdigit() and (len(number) < 7 or _looks_like_date(number)):
            return None
        start, end = match.span()
        if NEGATIVE_CONTEXT.search(view.before(start, _NEGATIVE_BEFORE)):
            return None
        if not self._has_context(view, start, end):
            return None
        return Candidate(
            start,
            end,
            "PASSPORT",
            "full",
            number,
            0.85,
            f"{self.name}_context",
            "passport-shaped number next to a passport keyword",
        )

    @staticmethod
    def _has_context(view: SegmentView, start: int, end: int) -> bool:
        return bool(
            CONTEXT.search(view.before(start, _BEFORE))
            or CONTEXT.search(view.after(end, _AFTER))
        )


RECOGNIZERS = [PassportRecognizer()]
