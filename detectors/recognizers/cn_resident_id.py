"""Mainland China resident identity numbers (GB 11643).

The 18-character form is proven by its check character and birth date. The
region code (first six digits) is kept as metadata only: python-stdnum's
`validate` rejects region codes that its table does not list for the birth
year, and real numbers carry retired or newer codes, so only the check
character and the date decide.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from detectors.recognizers.base import (
    Candidate,
    Recognizer,
    Rule,
    SegmentView,
    context_note,
    keyword_pattern,
)

CONTEXT = keyword_pattern(
    ["身份证", "证件号", "身份号码", "公民身份", "id card", "id number", "resident id"]
)

# Numbers issued to people born before this year are not in use any more.
_EARLIEST_BIRTH_YEAR = 1900


def _valid_birth_date(year: int, month: int, day: int) -> bool:
    try:
        born = datetime.date(year, month, day)
    except ValueError:
        return False
    return born.year >= _EARLIEST_BIRTH_YEAR and born <= datetime.date.today()


def is_resident_id(compact: str) -> bool:
    """Check an 18-character number's check character and birth date."""
    if len(compact) != 18 or not compact[:17].isdigit():
        return False
    try:
        if ric.calc_check_digit(compact) != compact[17]:
            return False
        ric.get_birth_date(compact)
    except (ValidationError, ValueError):
        return False
    return _valid_birth_date(
        int(compact[6:10]), int(compact[10:12]), int(compact[12:14])
    )


def is_legacy_resident_id(compact: str) -> bool:
    """Check a 15-digit number issued before 1999: a 19YYMMDD date inside."""
    if len(compact) != 15 or not compact.isdigit() or compact[0] == "0":
        return False
    return _valid_birth_date(
        1900 + int(compact[6:8]), int(compact[8:10]), int(compact[10:12])
    )


RULES = (
    Rule(
        "cn_resident_id.check_digit",
        "CN_RESIDENT_ID",
        "18 digits whose last digit is the GB 11643 check character and whose "
        "birth date exists, with or without a keyword",
        examples=(
            "我的身份证号是330106198704237089，麻烦核对",
            "440304199308152209",
            "Resident ID 210202197506116903, please update it",
        ),
        counter_examples=(
            "身份证号330106198704234292",
            "身份证号110108198802314174",
        ),
    ),
    Rule(
        "cn_resident_id.check_x",
        "CN_RESIDENT_ID",
        "17 digits and the check character X, in upper or lower case",
        examples=("身份证 32058319680129103X", "证件号码：42011119910707088x"),
        counter_examples=("身份证 32058319680129104X",),
    ),
    Rule(
        "cn_resident_id.grouped",
        "CN_RESIDENT_ID",
        "an 18-character number split into region, birth date and sequence",
        examples=("身份证号 510107 20010302 2242", "ID number: 370202-19850220-872X"),
    ),
    Rule(
        "cn_resident_id.spoken",
        "CN_RESIDENT_ID",
        "an 18-character number read out digit by digit",
        examples=("身份证号码三三零一零六一九八七零四二三七零八九",),
    ),
    Rule(
        "cn_resident_id.legacy_15",
        "CN_RESIDENT_ID",
        "15 digits issued before 1999, with a 19YYMMDD birth date inside, "
        "next to an ID keyword",
        examples=("老身份证号130102760514327",),
        counter_examples=("130102760514327", "身份证号130102761334327"),
    ),
)


class ResidentIdRecognizer(Recognizer):
    name = "cn_resident_id"
    types = ("CN_RESIDENT_ID",)
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        for mapped, run in view.digit_sources():
            for first, last in run.group_slices():
                compact = run.digits[first:last]
                if len(compact) not in (15, 18):
                    continue
                if not run.grouped_like_one_number(first, last):
                    continue
                start, end = view.run_span(mapped, run, first, last)
                context = view.context(start, end)
                has_context = bool(CONTEXT.search(context))
                seen = context_note(CONTEXT, context)
                if is_resident_id(compact):
                    yield Candidate(
                        start,
                        end,
                        "CN_RESIDENT_ID",
                        "full",
                        compact,
                        0.97 if has_context else 0.9,
                        self.name,
                        "18-character number with a valid check character "
                        "and birth date" + seen,
                    )
                elif is_legacy_resident_id(compact) and has_context:
                    yield Candidate(
                        start,
                        end,
                        "CN_RESIDENT_ID",
                        "full",
                        compact,
                        0.75,
                        f"{self.name}_legacy",
                        "15-digit legacy number with a birth date, "
                        "next to an ID keyword" + seen,
                    )


RECOGNIZERS = [ResidentIdRecognizer()]
