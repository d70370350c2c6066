"""Chinese landline numbers that the phone recognizer's matcher leaves out.

The phone recognizer runs phonenumbers' matcher (phonenumbers 9.0), which
finds 010-62345678, (021)52345678 and 0755 2345 6789 in Chinese text but
misses two shapes:

- an extension after 转, 分机 or a hyphen (0571-87654321转808,
  0571-87654321-808): the matcher stops before 转 and finds nothing at all
  in the hyphen form;
- a number glued to a Latin label (TEL010-62345678).

This module proposes an area code (0 and two or three digits, brackets
allowed) with a 7- or 8-digit local number. phonenumbers must accept it as a
valid Chinese fixed line, and it is reported only where the matcher would not
report the same span. Service numbers (400, 800, 95xxx) have no area code, so
they never match, and a number after a hotline word is dropped as the phone
recognizer drops it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers
from phonenumbers import PhoneNumberType

from detectors.recognizers.base import (
    Candidate,
    Recognizer,
    Rule,
    SegmentView,
    keyword_pattern,
)
from detectors.recognizers.phone import CONTEXT as PHONE_CONTEXT
from detectors.recognizers.phone import HOTLINE_CONTEXT

LANDLINE_CONTEXT = keyword_pattern(
    ["座机", "座機", "固话", "固話", "办公电话", "家里电话", "landline", "tel", "fax"]
)
# Numbers of orders, parcels and tickets share the shape of a landline.
NEGATIVE_CONTEXT = keyword_pattern(
    ["订单", "单号", "運單", "运单", "快递", "流水号", "工单", "order", "tracking"]
)

_LANDLINE = re.compile(
    r"""
    (?<![0-9])
    (?P<label>[A-Za-z]+(?:[:.]\s?)?)?       # a Latin label glued on: TEL, Tel:
    (?P<number>
        (?:(?:\+|00)86[\s-]?(?:\(0\)\s?)?   # country code, then the area
           [1-9][0-9]{1,2}                  # code without its trunk 0: +86 10
         | (?:(?:\+|00)?86[\s-]?)?
           (?:\(0?[1-9][0-9]{1,2}\)         # area code in brackets: (021)
             |0[1-9][0-9]{1,2})             # or with its trunk 0: 0755
        )
        [\s-]?
        [2-9][0-9]{2,3}[\s-]?[0-9]{4}       # local number, 7 or 8 digits
    )
    (?P<extension>
        \s*(?:转|轉|分机|分機|ext\.?|x|-|\#)\s*
        (?P<extension_digits>[0-9]{1,5})
    )?
    (?![0-9])
    """,
    re.VERBOSE,
)
_LABELS = frozenset(["tel", "phone", "fax", "call", "mobile"])
_FIXED_LINE_TYPES = {PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def parse_landline(number: str) -> phonenumbers.PhoneNumber | None:
    """Return the parsed number when it is a valid Chinese fixed line."""
    digits = re.sub(r"[^0-9]", "", number)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and not digits.startswith("860"):
        digits = digits[2:]
    national = digits[1:] if digits.startswith("0") else digits
    try:
        parsed = phonenumbers.parse("+86" + national)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    if phonenumbers.number_type(parsed) not in _FIXED_LINE_TYPES:
        return None
    return parsed


RULES = (
    Rule(
        "landline.extension",
        "PHONE_NUMBER",
        "a Chinese landline with an extension after 转, 分机, ext or x",
        examples=("办公室座机0571-87654321转808", "座机 (0755)26543210 分机 12"),
    ),
    Rule(
        "landline.extension_hyphen",
        "PHONE_NUMBER",
        "a Chinese landline with an extension after a second hyphen",
        examples=("0571-87654321-808",),
        counter_examples=("订单号 0571-87654321-808",),
    ),
    Rule(
        "landline.label",
        "PHONE_NUMBER",
        "a Chinese landline glued to a Latin label such as TEL",
        examples=("TEL010-62345678",),
        counter_examples=("SF0106234567890",),
    ),
    Rule(
        "landline.hotline",
        "PHONE_NUMBER",
        "a landline after a hotline keyword belongs to the company",
        examples=("家里电话0571-87654321转808",),
        counter_examples=("客服热线0571-87654321转808", "热线 0571-87654321转808"),
    ),
)


class LandlineRecognizer(Recognizer):
    name = "landline"
    types = ("PHONE_NUMBER",)
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        text = view.folded.text
        matcher_spans: set[tuple[int, int]] | None = None
        for match in _LANDLINE.finditer(text):
            label = (match.group("label") or "").strip(":. ").lower()
            if label and label not in _LABELS:
                continue  # SF0106... is a tracking code, not a label
            parsed = parse_landline(match.group("number"))
            if parsed is None:
                continue
            start = match.start("number")
            base_end = match.end("number")
            end = match.end()
            if matcher_spans is None:
                matcher_spans = _matcher_spans(text)
            if (start, end) in matcher_spans:
                continue  # the phone recognizer reports this one
            if self._is_excluded(view, start):
                continue
            yield self._candidate(view, match, parsed, start, base_end, end)

    @staticmethod
    def _is_excluded(view: SegmentView, start: int) -> bool:
        before = view.before(start, 12)
        return bool(HOTLINE_CONTEXT.search(before) or NEGATIVE_CONTEXT.search(before))

    def _candidate(
        self,
        view: SegmentView,
        match: re.Match[str],
        parsed: phonenumbers.PhoneNumber,
        start: int,
        base_end: int,
        end: int,
    ) -> Candidate:
        # The context window matches the phone recognizer's around the base
        # number, so this longer span never scores below its shorter one.
        context = view.context(start, base_end, 10) + " " + view.after(end, 10)
        has_context = bool(
            PHONE_CONTEXT.search(context) or LANDLINE_CONTEXT.search(context)
        )
        value = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        explanation = "valid Chinese landline"
        extension = match.group("extension_digits")
        if extension:
            value += f";ext={extension}"
            explanation += " with an extension"
        return Candidate(
            start,
            end,
            "PHONE_NUMBER",
            "full",
            value,
            0.9 if has_context else 0.75,
            "phone_cn_landline",
            explanation,
        )


def _matcher_spans(text: str) -> set[tuple[int, int]]:
    """Return the spans phonenumbers' matcher finds with Chinese defaults."""
    matcher = phonenumbers.PhoneNumberMatcher(
        text, "CN", leniency=phonenumbers.Leniency.VALID
    )
    return {(match.start, match.end) for match in matcher}


RECOGNIZERS = [LandlineRecognizer()]
