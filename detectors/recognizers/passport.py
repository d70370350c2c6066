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
    REFERENCE_NUMBER_WORDS,
    Candidate,
    Recognizer,
    Rule,
    SegmentView,
    Shape,
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
NEGATIVE_CONTEXT = keyword_pattern(REFERENCE_NUMBER_WORDS)

# Chinese passport series, as printed on the data page. `_SERIES` describes
# each group.
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


# The series of `_CHINESE`, by group name.
_SERIES: dict[str, Shape] = {
    "ordinary": Shape(
        0.95,
        0.75,
        description="Chinese ordinary passport shape (E or G, 8 digits)",
        examples=("护照号E83920175，下个月出国", "G62048391", "护照g62048391"),
        counter_examples=("g62048391", "订单号E83920175"),
    ),
    "series": Shape(
        0.95,
        0.6,
        description="Chinese ordinary passport shape (E, a letter, 7 digits)",
        examples=("我的护照是EH4027593", "EH4027593"),
        counter_examples=("EI4027593", "型号EH4027593"),
    ),
    "official": Shape(
        0.9,
        None,
        description="Chinese public affairs, service or diplomatic passport",
        examples=("公务护照SE2910476", "外交护照号D8302615", "P5028164是我的护照"),
        counter_examples=("S5028164",),
    ),
    "legacy": Shape(
        0.9,
        None,
        description="Chinese passport number of a pre-2006 booklet",
        examples=("护照号码150382746",),
        counter_examples=("150382746",),
    ),
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


RULES = (
    *(
        Rule(
            f"passport.chinese_{name}",
            "PASSPORT",
            series.description
            + (
                ", alone in upper case or next to a passport keyword"
                if series.without_keyword is not None
                else ", next to a passport keyword"
            ),
            series.examples,
            series.counter_examples,
        )
        for name, series in _SERIES.items()
    ),
    Rule(
        "passport.foreign",
        "PASSPORT",
        "any other country's number: 6 to 9 letters and digits, at least four "
        "of them digits, next to a passport keyword",
        examples=(
            "passport number 529184063",
            "My passport: C7RK20P31, issued in Germany",
            "the passport X7730419 expires soon",
        ),
        counter_examples=(
            "529184063",
            "passport expiry 20310512",
            "passport photo, order ABC12345",
        ),
    ),
)


class PassportRecognizer(Recognizer):
    name = "passport"
    types = ("PASSPORT",)
    rules = RULES

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
        series = _SERIES[match.lastgroup or ""]
        description = series.description
        if self._has_context(view, start, end):
            confidence = series.with_keyword
            description += ", next to a passport keyword"
        elif series.without_keyword is not None and match.group().isupper():
            confidence = series.without_keyword
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
