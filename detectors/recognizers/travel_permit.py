"""Mainland travel permits and home-return permits.

None of these numbers carries a public check digit, so the shape and the
words around it are all the evidence:

| permit | shape |
| --- | --- |
| mainland travel permit for Hong Kong and Macau residents (回乡证) | H or M and 8 digits; older cards H or M and 10 digits |
| exit-entry permit to Hong Kong and Macau (港澳通行证) | C and 8 digits, or C, a letter and 7 digits |
| mainland travel permit for Taiwan residents (台胞证) | 8 digits |
| mainland resident's permit to Taiwan (大陆居民往来台湾通行证) | L and 8 digits |

A letter and eight digits is distinctive enough to report alone, at low
confidence, in a segment written in Chinese. Every other shape needs a
permit keyword next to it, and the eight bare digits of a 台胞证 need a
台胞证 keyword in particular.
"""

from __future__ import annotations

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
        "通行证",
        "通行證",
        "回乡证",
        "回鄉證",
        "港澳通行证",
        "双程证",
        "台胞证",
        "台胞證",
        "赴台证",
        "证件号",
        "證件號",
        "permit",
        "home return permit",
        "home-return permit",
        "exit-entry permit",
        "two-way permit",
        "mtp",
    ]
)
TAIWAN_RESIDENT_CONTEXT = keyword_pattern(
    ["台胞证", "台胞證", "台湾居民来往大陆通行证", "台灣居民來往大陸通行證", "mtp"]
)
NEGATIVE_CONTEXT = keyword_pattern(
    [
        "订单",
        "单号",
        "运单",
        "快递",
        "工单",
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

# These permits are Chinese documents: without a keyword, a shape counts only
# in a segment that contains Chinese characters.
_CJK = re.compile(r"[\u4e00-\u9fff]")
_PERMIT = re.compile(
    r"""
    (?<![0-9A-Za-z])
    (?:
        (?P<home_return>[HM][0-9]{8})               # 回乡证 card
      | (?P<home_return_old>[HM][0-9]{10})          # 回乡证 before 2013
      | (?P<exit_entry>C[0-9]{8})                   # 港澳通行证 card
      | (?P<exit_entry_series>C[A-HJ-NP-Z][0-9]{7}) # 港澳通行证, later series
      | (?P<to_taiwan>L[0-9]{8})                    # 大陆居民往来台湾通行证
      | (?P<taiwan_resident>[0-9]{8})               # 台胞证
    )
    (?![0-9A-Za-z])
    """,
    re.VERBOSE | re.IGNORECASE,
)
# Confidence with a permit keyword, without one (None: the keyword is
# required), and the permit's name, for each group of `_PERMIT`.
_KINDS: dict[str, tuple[float, float | None, str]] = {
    "home_return": (0.9, 0.6, "home-return permit shape (H or M, 8 digits)"),
    "home_return_old": (0.85, None, "older home-return permit (H or M, 10 digits)"),
    "exit_entry": (0.9, 0.6, "exit-entry permit to Hong Kong and Macau (C, 8 digits)"),
    "exit_entry_series": (
        0.85,
        None,
        "exit-entry permit to Hong Kong and Macau (C, a letter, 7 digits)",
    ),
    "to_taiwan": (0.9, 0.6, "mainland resident's permit to Taiwan (L, 8 digits)"),
    "taiwan_resident": (0.8, None, "Taiwan resident's mainland travel permit"),
}


class TravelPermitRecognizer(Recognizer):
    name = "travel_permit"
    types = ("TRAVEL_PERMIT",)

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        for match in _PERMIT.finditer(view.folded.text):
            start, end = match.span()
            if NEGATIVE_CONTEXT.search(view.before(start, 8)):
                continue
            kind = match.lastgroup or ""
            with_keyword, without_keyword, description = _KINDS[kind]
            keywords = TAIWAN_RESIDENT_CONTEXT if kind == "taiwan_resident" else CONTEXT
            has_context = bool(
                keywords.search(view.before(start, 14))
                or keywords.search(view.after(end, 8))
            )
            if has_context:
                confidence = with_keyword
                description += ", next to a permit keyword"
            elif (
                without_keyword is not None
                and match.group().isupper()
                and _CJK.search(view.text)
            ):
                confidence = without_keyword
            else:
                continue
            yield Candidate(
                start,
                end,
                "TRAVEL_PERMIT",
                "full",
                match.group().upper(),
                confidence,
                self.name,
                description,
            )


RECOGNIZERS = [TravelPermitRecognizer()]
