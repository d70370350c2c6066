"""Hong Kong, Macau and Taiwan identity card numbers.

python-stdnum 2.2 has no module for any of the three (`stdnum.tw` covers only
the business number), so the two published checksums are implemented here:

- Hong Kong: one or two letters, six digits and a check character, printed
  as A123456(7). Letters count A=10 .. Z=35, a missing second letter counts
  36, weights run 9 down to 2, and the check is 11 minus the sum mod 11
  (10 is written A, 11 is written 0).
- Taiwan: a letter, 1 or 2 (the holder's sex), seven digits and a check
  digit. The letter becomes a two-digit code, whose digits are weighted 1 and
  9, the next eight digits 8 down to 1, the check digit 1; the sum must be a
  multiple of 10.

Macau numbers (1, 5 or 7, six digits and a digit in brackets) have a check
digit whose rule is not published, so only the printed shape and a keyword
suggest them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from detectors.recognizers.base import (
    Candidate,
    Recognizer,
    Rule,
    SegmentView,
    keyword_pattern,
)

CONTEXT = keyword_pattern(
    [
        "身份证",
        "身份證",
        "身分证",
        "身分證",
        "香港身份证",
        "澳门身份证",
        "澳門身份證",
        "台湾身份证",
        "國民身分證",
        "证件号",
        "證件號",
        "hkid",
        "hk id",
        "hong kong id",
        "macau id",
        "macao id",
        "taiwan id",
        "identity card",
        "id card",
        "id number",
        "id no",
    ]
)
# Eight bare digits are read as a Macau number only after a Macau keyword.
MACAU_CONTEXT = keyword_pattern(["澳门", "澳門", "macau", "macao", "bir"])
NEGATIVE_CONTEXT = keyword_pattern(
    [
        "订单",
        "单号",
        "运单",
        "快递",
        "型号",
        "货号",
        "order",
        "tracking",
        "invoice",
        "ticket",
        "model",
        "sku",
        "serial",
    ]
)

_HONG_KONG = re.compile(
    r"""
    (?<![0-9A-Za-z])
    (?P<letters>[A-Z]{1,2})
    (?P<digits>[0-9]{6})
    (?:
        \ ?\((?P<bracketed>[0-9A])\)    # the check character as printed
      | (?P<bare>[0-9A])                # or written straight after
    )
    (?![0-9A-Za-z])
    """,
    re.VERBOSE,
)
_MACAU = re.compile(
    r"""
    (?<![0-9A-Za-z])
    (?P<digits>[157][0-9]{6})
    (?:\ ?\((?P<bracketed>[0-9])\)|(?P<bare>[0-9]))
    (?![0-9A-Za-z])
    """,
    re.VERBOSE,
)
_TAIWAN = re.compile(
    r"""
    (?<![0-9A-Za-z])
    (?P<number>[A-Z][12][0-9]{8})
    (?![0-9A-Za-z])
    """,
    re.VERBOSE,
)

# Taiwan's letter codes follow the order in which the regions were listed,
# not the alphabet, so I, O, W, X, Y and Z sit out of order.
_TAIWAN_LETTER_CODES = {
    letter: code for code, letter in enumerate("ABCDEFGHJKLMNPQRSTUVXYWZIO", start=10)
}


def hong_kong_check_character(letters: str, digits: str) -> str:
    """Return the check character for a Hong Kong identity card number."""
    values = [36] if len(letters) == 1 else []
    values += [ord(letter) - ord("A") + 10 for letter in letters]
    values += [int(digit) for digit in digits]
    total = sum(
        value * weight for value, weight in zip(values, range(9, 1, -1), strict=True)
    )
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def is_taiwan_id(number: str) -> bool:
    """Check a Taiwan national identity card number's check digit."""
    if len(number) != 10 or number[1] not in "12" or not number[1:].isdigit():
        return False
    code = _TAIWAN_LETTER_CODES.get(number[0])
    if code is None:
        return False
    weights = (8, 7, 6, 5, 4, 3, 2, 1, 1)
    total = code // 10 + (code % 10) * 9
    total += sum(
        int(digit) * weight for digit, weight in zip(number[1:], weights, strict=True)
    )
    return total % 10 == 0


RULES = (
    Rule(
        "hk_mo_tw_id.hong_kong",
        "HK_MO_TW_ID",
        "Hong Kong number with its mod 11 check character in brackets, as "
        "printed, with or without a keyword",
        examples=("香港身份证 K731905(3)", "P208416(7)", "A380264(A)"),
        counter_examples=("C615043(7)", "订单号K731905(3)"),
    ),
    Rule(
        "hk_mo_tw_id.hong_kong_two_letters",
        "HK_MO_TW_ID",
        "Hong Kong number with two leading letters",
        examples=("HKID XA4609171",),
    ),
    Rule(
        "hk_mo_tw_id.hong_kong_unbracketed",
        "HK_MO_TW_ID",
        "Hong Kong number with the check character written straight after the "
        "digits, only next to an ID keyword",
        examples=("hkid C6150436", "身份证 Y563927A"),
        counter_examples=("C6150436",),
    ),
    Rule(
        "hk_mo_tw_id.taiwan",
        "HK_MO_TW_ID",
        "Taiwan number: a region letter, 1 or 2, eight digits with a valid check digit",
        examples=("台湾身份证 A131696064", "F276903956"),
        counter_examples=("H104389010",),
    ),
    Rule(
        "hk_mo_tw_id.macau",
        "HK_MO_TW_ID",
        "Macau shape: 1, 5 or 7, six digits and a check digit in brackets",
        examples=("澳门身份证 1382049(6)", "5215374(2)"),
        counter_examples=("3215374(2)",),
    ),
    Rule(
        "hk_mo_tw_id.macau_unbracketed",
        "HK_MO_TW_ID",
        "Macau shape written as eight digits, only after a Macau keyword and "
        "an ID keyword",
        examples=("澳门身份证号 72153741",),
        counter_examples=("72153741", "身份证号 72153741"),
    ),
)


class HkMoTwIdRecognizer(Recognizer):
    name = "hk_mo_tw_id"
    types = ("HK_MO_TW_ID",)
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        text = view.folded.text
        found: list[Candidate] = []
        for match in _HONG_KONG.finditer(text):
            found.extend(self._hong_kong(view, match))
        for match in _TAIWAN.finditer(text):
            found.extend(self._taiwan(view, match))
        for match in _MACAU.finditer(text):
            found.extend(self._macau(view, match))
        for candidate in found:
            if not NEGATIVE_CONTEXT.search(view.before(candidate.start, 8)):
                yield candidate

    def _hong_kong(self, view: SegmentView, match: re.Match[str]) -> list[Candidate]:
        letters, digits = match.group("letters"), match.group("digits")
        check = match.group("bracketed") or match.group("bare")
        if hong_kong_check_character(letters, digits) != check:
            return []
        start, end = match.span()
        has_context = self._has_context(view, start, end)
        if match.group("bracketed"):
            confidence = 0.95 if has_context else 0.9
        elif has_context:
            confidence = 0.9
        else:
            return []
        return [
            Candidate(
                start,
                end,
                "HK_MO_TW_ID",
                "full",
                letters + digits + check,
                confidence,
                f"{self.name}_hong_kong",
                "Hong Kong identity card number with a valid mod 11 check character",
            )
        ]

    def _taiwan(self, view: SegmentView, match: re.Match[str]) -> list[Candidate]:
        number = match.group("number")
        if not is_taiwan_id(number):
            return []
        start, end = match.span()
        has_context = self._has_context(view, start, end)
        return [
            Candidate(
                start,
                end,
                "HK_MO_TW_ID",
                "full",
                number,
                0.95 if has_context else 0.8,
                f"{self.name}_taiwan",
                "Taiwan national identity card number with a valid check digit",
            )
        ]

    def _macau(self, view: SegmentView, match: re.Match[str]) -> list[Candidate]:
        start, end = match.span()
        has_context = self._has_context(view, start, end)
        if match.group("bracketed"):
            confidence = 0.85 if has_context else 0.6
        elif has_context and MACAU_CONTEXT.search(view.before(start, 16)):
            confidence = 0.8
        else:
            return []
        return [
            Candidate(
                start,
                end,
                "HK_MO_TW_ID",
                "full",
                match.group("digits")
                + (match.group("bracketed") or match.group("bare")),
                confidence,
                f"{self.name}_macau",
                "Macau identity card shape (1, 5 or 7, six digits, a check "
                "digit); its checksum is not published",
            )
        ]

    @staticmethod
    def _has_context(view: SegmentView, start: int, end: int) -> bool:
        return bool(
            CONTEXT.search(view.before(start, 14)) or CONTEXT.search(view.after(end, 8))
        )


RECOGNIZERS = [HkMoTwIdRecognizer()]
