"""Dates of birth: a complete date right next to a birth keyword.

A date alone is no personal data (order dates, delivery dates, timestamps),
so only a birth keyword shortly before the date ("出生日期", "DOB",
"born on") or "出生" right after it ("1990年5月3日出生") makes it one. The
date must exist and lie between 1900 and today.

A numeric date such as 03/05/1990 is ambiguous when both parts are 12 or
less. The value then reads it month first in English segments and day first
otherwise. The span is the same either way.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from detectors.recognizers.base import (
    Candidate,
    Recognizer,
    Rule,
    SegmentView,
    keyword_pattern,
)

CONTEXT_BEFORE = keyword_pattern(
    [
        "出生日期",
        "出生年月日",
        "出生年月",
        "出生于",
        "出生在",
        "出生",
        "生日",
        "生于",
        "date of birth",
        "birth date",
        "birthdate",
        "birthday",
        "dob",
        "d.o.b",
        "born on",
        "born",
    ]
)
CONTEXT_AFTER = keyword_pattern(["出生", "生的", "born"])
# Between a birth keyword and the date, these words or a sentence end mean
# the date belongs to something else ("生日快乐！订单2023-05-01已发货").
NOT_BIRTH = keyword_pattern(
    [
        "订单",
        "下单",
        "发货",
        "到货",
        "付款",
        "支付",
        "退款",
        "有效期",
        "到期",
        "入职",
        "注册",
        "order",
        "ship",
        "shipped",
        "delivery",
        "expiry",
        "expires",
        "paid",
        "refund",
    ]
)
_SENTENCE_END = re.compile(r"[。！？!?;；\n]")
_BEFORE = 18

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH_NAME = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
    r"|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_YEAR = r"(?:19|20)[0-9]{2}"
_DATE = re.compile(
    rf"""
    (?<![0-9A-Za-z])
    (?:
        (?P<cn_year>{_YEAR})\s?年\s?(?P<cn_month>[0-9]{{1,2}})\s?月
        \s?(?P<cn_day>[0-9]{{1,2}})\s?[日号]?            # 1990年5月3日
      | (?P<iso_year>{_YEAR})(?P<iso_sep>[-/.])
        (?P<iso_month>[0-9]{{1,2}})(?P=iso_sep)
        (?P<iso_day>[0-9]{{1,2}})                         # 1990-05-03
      | (?P<compact_year>{_YEAR})
        (?P<compact_month>[01][0-9])(?P<compact_day>[0-3][0-9])  # 19900503
      | (?P<first>[0-9]{{1,2}})(?P<num_sep>[-/.])
        (?P<second>[0-9]{{1,2}})(?P=num_sep)
        (?P<num_year>{_YEAR})                             # 03/05/1990
      | (?P<name_month>{_MONTH_NAME})\.?\s
        (?P<name_day>[0-9]{{1,2}})(?:st|nd|rd|th)?,?\s
        (?P<name_year>{_YEAR})                            # May 3, 1990
      | (?P<day_name>[0-9]{{1,2}})(?:st|nd|rd|th)?\s(?:of\s)?
        (?P<month_name>{_MONTH_NAME})\.?,?\s
        (?P<year_name>{_YEAR})                            # 3 May 1990
    )
    (?![0-9])
    """,
    re.VERBOSE | re.IGNORECASE,
)
_EARLIEST_YEAR = 1900


def _month_number(name: str) -> int:
    return _MONTHS[name[:3].lower()]


def _parts(match: re.Match[str], language: str | None) -> tuple[int, int, int]:
    """Return (year, month, day) of a `_DATE` match, as written."""
    group = match.group
    if group("cn_year"):
        return int(group("cn_year")), int(group("cn_month")), int(group("cn_day"))
    if group("iso_year"):
        return int(group("iso_year")), int(group("iso_month")), int(group("iso_day"))
    if group("compact_year"):
        year, month = int(group("compact_year")), int(group("compact_month"))
        return year, month, int(group("compact_day"))
    if group("num_year"):
        first, second = int(group("first")), int(group("second"))
        month_first = second > 12 or (first <= 12 and language == "en")
        month, day = (first, second) if month_first else (second, first)
        return int(group("num_year")), month, day
    if group("name_year"):
        month = _month_number(group("name_month"))
        return int(group("name_year")), month, int(group("name_day"))
    month = _month_number(group("month_name"))
    return int(group("year_name")), month, int(group("day_name"))


def _birth_date(match: re.Match[str], language: str | None) -> datetime.date | None:
    """Return the date a match spells, or None if no one can be born on it."""
    year, month, day = _parts(match, language)
    try:
        born = datetime.date(year, month, day)
    except ValueError:
        return None
    if born.year < _EARLIEST_YEAR or born > datetime.date.today():
        return None
    return born


RULES = (
    Rule(
        "date_of_birth.chinese",
        "DATE_OF_BIRTH",
        "a date written with 年, 月 and 日 or 号 after a birth keyword",
        examples=("出生日期：1987年4月23日", "我生日是1993年8月15号"),
        counter_examples=("出生日期 1987年2月30日",),
    ),
    Rule(
        "date_of_birth.iso",
        "DATE_OF_BIRTH",
        "year, month and day separated by -, / or . after a birth keyword",
        examples=("DOB 1968-01-29", "出生日期 1991/07/07"),
        counter_examples=("出生日期 1987-02-30", "出生日期 1890-05-03"),
    ),
    Rule(
        "date_of_birth.compact",
        "DATE_OF_BIRTH",
        "eight digits YYYYMMDD after a birth keyword",
        examples=("birth date 19850220",),
        counter_examples=("birth date 19851320",),
    ),
    Rule(
        "date_of_birth.numeric",
        "DATE_OF_BIRTH",
        "day, month and year or month, day and year after a birth keyword",
        examples=(
            "date of birth: 03/05/1990",
            "born on 23.04.1987",
            "DOB: 4/23/1987",
        ),
        counter_examples=("DOB: 13/13/1987",),
    ),
    Rule(
        "date_of_birth.month_name",
        "DATE_OF_BIRTH",
        "an English month name before or after the day",
        examples=(
            "my birthday is May 3, 1990",
            "born 14 February 1979",
            "d.o.b. 2nd of March 2001",
        ),
        counter_examples=("May 3, 1990",),
    ),
    Rule(
        "date_of_birth.born_after",
        "DATE_OF_BIRTH",
        "a date followed by 出生, 生的 or born",
        examples=("1975年6月11日出生的",),
        counter_examples=("1975年6月11日下单的",),
    ),
    Rule(
        "date_of_birth.other_date",
        "DATE_OF_BIRTH",
        "a date that belongs to an order, a delivery or an expiry is no birth "
        "date, even after a birth keyword earlier in the text",
        examples=("生日是1993年8月15号，订单昨天下的",),
        counter_examples=(
            "生日快乐！订单2023-05-01已发货",
            "下单日期 2023-05-01",
            "生日 2099-01-01",
        ),
    ),
)


class DateOfBirthRecognizer(Recognizer):
    name = "date_of_birth"
    types = ("DATE_OF_BIRTH",)
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        for match in _DATE.finditer(view.folded.text):
            start, end = match.span()
            if not (
                self._keyword_before(view, start)
                or CONTEXT_AFTER.search(view.after(end, 4))
            ):
                continue
            born = _birth_date(match, view.language)
            if born is None:
                continue
            yield Candidate(
                start,
                end,
                "DATE_OF_BIRTH",
                "full",
                born.isoformat(),
                0.85,
                self.name,
                "existing date next to a birth keyword",
            )

    @staticmethod
    def _keyword_before(view: SegmentView, start: int) -> bool:
        """Check for a birth keyword before `start` with nothing else between."""
        window = view.before(start, _BEFORE)
        keywords = list(CONTEXT_BEFORE.finditer(window))
        if not keywords:
            return False
        between = window[keywords[-1].end() :]
        return not (NOT_BIRTH.search(between) or _SENTENCE_END.search(between))


RECOGNIZERS = [DateOfBirthRecognizer()]
