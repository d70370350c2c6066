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
NEGATIVE_CONTEXT = keyword_pattern(REFERENCE_NUMBER_WORDS)

# These permits are Chinese documents: without a keyword, a shape counts only
# in a segment that contains Chinese characters.
_CJK = re.compile(r"[\u4e00-\u9fff]")
# `_KINDS` describes each group.
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


# The shapes of `_PERMIT`, by group name.
_KINDS: dict[str, Shape] = {
    "home_return": Shape(
        0.9,
        0.6,
        description="home-return permit shape (H or M, 8 digits)",
        examples=("回乡证号码H20485713", "我的是M39027461"),
        counter_examples=("H20485713", "订单号H20485713"),
    ),
    "home_return_old": Shape(
        0.85,
        None,
        description="older home-return permit (H or M, 10 digits)",
        examples=("回乡证 H2048571302",),
        counter_examples=("号码H2048571302",),
    ),
    "exit_entry": Shape(
        0.9,
        0.6,
        description="exit-entry permit to Hong Kong and Macau (C, 8 digits)",
        examples=("港澳通行证 C73920548", "请寄到这个证C73920548"),
        counter_examples=("订单号C73920548",),
    ),
    "exit_entry_series": Shape(
        0.85,
        None,
        description="exit-entry permit to Hong Kong and Macau (C, a letter, 7 digits)",
        examples=("通行证号CK2093716",),
        counter_examples=("号码CK2093716",),
    ),
    "to_taiwan": Shape(
        0.9,
        0.6,
        description="mainland resident's permit to Taiwan (L, 8 digits)",
        examples=("赴台证 L50293817", "号码L50293817"),
        counter_examples=("L50293817",),
    ),
    "taiwan_resident": Shape(
        0.8,
        None,
        description="Taiwan resident's mainland travel permit (8 digits)",
        examples=("台胞证 40381927", "台胞证号码是40381927"),
        counter_examples=("40381927", "证件号 40381927"),
    ),
}
RULES = tuple(
    Rule(
        f"travel_permit.{name}",
        "TRAVEL_PERMIT",
        kind.description
        + (
            ", alone in a Chinese segment or next to a permit keyword"
            if kind.without_keyword is not None
            else ", next to a permit keyword"
        ),
        kind.examples,
        kind.counter_examples,
    )
    for name, kind in _KINDS.items()
)


class TravelPermitRecognizer(Recognizer):
    name = "travel_permit"
    types = ("TRAVEL_PERMIT",)
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        for match in _PERMIT.finditer(view.folded.text):
            start, end = match.span()
            if NEGATIVE_CONTEXT.search(view.before(start, 8)):
                continue
            group = match.lastgroup or ""
            kind = _KINDS[group]
            description = kind.description
            keywords = (
                TAIWAN_RESIDENT_CONTEXT if group == "taiwan_resident" else CONTEXT
            )
            has_context = bool(
                keywords.search(view.before(start, 14))
                or keywords.search(view.after(end, 8))
            )
            if has_context:
                confidence = kind.with_keyword
                description += ", next to a permit keyword"
            elif (
                kind.without_keyword is not None
                and match.group().isupper()
                and _CJK.search(view.text)
            ):
                confidence = kind.without_keyword
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
