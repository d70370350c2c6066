"""Vehicle licence plates: Chinese plates by shape, others only after a keyword.

A Chinese plate starts with a province abbreviation and the issuing city's
letter, which makes it unambiguous enough to report alone:

- ordinary plates: five letters or digits, at least three of them digits
  (I and O are never used, so they cannot be confused with 1 and 0);
- new-energy plates: six characters, either D, F or another class letter
  and a letter or digit followed by four digits (small vehicles), or five
  digits followed by D or F (large vehicles).

An optional middle dot, space or hyphen may follow the city letter. Special
plates (挂, 学, 警, 港, 澳, embassy plates) are left out.

Plates of other countries have no common shape, so a plate keyword right
before the number is required.
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
        "车牌",
        "车牌号",
        "牌照",
        "车辆",
        "plate",
        "licence plate",
        "license plate",
        "number plate",
        "plate number",
        "registration",
        "reg",
        "reg no",
        "vehicle",
    ]
)
NEGATIVE_CONTEXT = keyword_pattern(
    ["订单", "单号", "型号", "货号", "order", "tracking", "model", "sku"]
)
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"

_CHINESE = re.compile(
    rf"""
    (?P<province>[{_PROVINCES}])
    (?P<city>[{_LETTER}])
    [·・•\ \-]?                             # optional separator
    (?P<serial>
        [{_LETTER}0-9]{{5}}                 # ordinary plate
      | [A-HJK][{_LETTER}0-9][0-9]{{4}}     # new energy, small vehicle
      | [0-9]{{5}}[DF]                      # new energy, large vehicle
    )
    (?![0-9A-Za-z])
    """,
    re.VERBOSE,
)
# Other countries: one or two groups of letters and digits, four to eight
# characters in all ("7ABC123", "AB12 CDE", "ABC-1234").
_FOREIGN = re.compile(
    r"""
    (?<![0-9A-Za-z])
    (?P<plate>[A-Z0-9]{1,4}[\ \-]?[A-Z0-9]{1,4})
    (?![0-9A-Za-z])
    """,
    re.VERBOSE,
)
_MIN_ORDINARY_DIGITS = 3


RULES = (
    Rule(
        "license_plate.chinese_ordinary",
        "LICENSE_PLATE",
        "province, city letter and five letters or digits, at least three of "
        "them digits",
        examples=("京A8K3N2", "车牌号 粤B 7F39Q"),
        counter_examples=("苏EABCDE", "订单号粤B12345", "型号京A12345"),
    ),
    Rule(
        "license_plate.chinese_new_energy_small",
        "LICENSE_PLATE",
        "new-energy plate of a small vehicle: a class letter, a letter or digit "
        "and four digits",
        examples=("粤B·D12345", "我的车是沪C D54321"),
    ),
    Rule(
        "license_plate.chinese_new_energy_large",
        "LICENSE_PLATE",
        "new-energy plate of a large vehicle: five digits, then D or F",
        examples=("川A12345F",),
    ),
    Rule(
        "license_plate.foreign",
        "LICENSE_PLATE",
        "four to eight letters and digits, in one or two groups, right after a "
        "plate keyword",
        examples=(
            "plate number 7KXM204",
            "my licence plate is AB12 CDE",
            "reg ABC-1234",
        ),
        counter_examples=("7KXM204", "plate number 1234567"),
    ),
)


class LicensePlateRecognizer(Recognizer):
    name = "license_plate"
    types = ("LICENSE_PLATE",)
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
        serial = match.group("serial")
        digits = sum(char.isdigit() for char in serial)
        if len(serial) == 5 and digits < _MIN_ORDINARY_DIGITS:
            return None
        start, end = match.span()
        if NEGATIVE_CONTEXT.search(view.before(start, 8)):
            return None
        has_context = bool(CONTEXT.search(view.context(start, end, 12)))
        return Candidate(
            start,
            end,
            "LICENSE_PLATE",
            "full",
            match.group("province") + match.group("city") + serial,
            0.9 if has_context else 0.7,
            self.name,
            "Chinese plate: province, city letter and "
            + ("new-energy " if len(serial) == 6 else "")
            + "serial"
            + (", next to a plate keyword" if has_context else ""),
        )

    def _foreign(self, view: SegmentView, match: re.Match[str]) -> Candidate | None:
        plate = match.group("plate")
        compact = re.sub(r"[ \-]", "", plate)
        if not 4 <= len(compact) <= 8 or not any(c.isdigit() for c in compact):
            return None
        if not any(c.isalpha() for c in compact):
            return None
        start, end = match.span()
        if NEGATIVE_CONTEXT.search(view.before(start, 8)):
            return None
        if not CONTEXT.search(view.before(start, 20)):
            return None
        return Candidate(
            start,
            end,
            "LICENSE_PLATE",
            "full",
            compact,
            0.75,
            f"{self.name}_context",
            "letters and digits right after a plate keyword",
        )


RECOGNIZERS = [LicensePlateRecognizer()]
