"""Masked values and last-four tails: compliant forms, reported without a case.

`6222********1234`, `138****5678` and "card ending 1234" are the accepted way
to refer to a customer's number. They are recognised so that they are never
mistaken for something else, and reported with form `masked` or `partial`.
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

_MASKED = re.compile(
    r"""
    (?<![0-9A-Za-z*])
    (?P<head>[0-9]{0,6})
    [\ \-]?                        # "6228 **** **** 9092" puts a space here
    (?P<mask>(?:[*xX×•●][\ \-]?){3,})
    (?P<tail>[0-9]{2,4}[Xx]?)
    (?![0-9A-Za-z*])
    """,
    re.VERBOSE,
)
_TAIL = re.compile(
    r"""
    (?:尾号(?:为|是)?|后[四4]位(?:是|为)?|末[四4]位(?:是|为)?
      |ending(?:\ in)?|ends\ in|last\ (?:four|4)(?:\ digits)?(?:\ (?:are|is|of))?)
    [\s:：]*
    (?P<tail>[0-9]{4})(?![0-9])
    """,
    re.VERBOSE | re.IGNORECASE,
)
PHONE_CONTEXT = keyword_pattern(["手机", "电话", "phone", "mobile", "号码"])
# Characters before a tail's cue searched for a phone keyword: enough for
# "phone number ending 1234".
_TAIL_CONTEXT_WINDOW = 16
ID_CONTEXT = keyword_pattern(["身份证", "证件", "id card", "id number"])


def _masked_type(
    view: SegmentView, start: int, end: int, head: str, length: int
) -> str:
    context = view.context(start, end, 12)
    if length == 11 and head.startswith("1"):
        return "PHONE_NUMBER"
    if length in (15, 18) and (ID_CONTEXT.search(context) or len(head) == 6):
        return "CN_RESIDENT_ID"
    if PHONE_CONTEXT.search(context) and length <= 13:
        return "PHONE_NUMBER"
    return "BANK_CARD"


RULES = (
    Rule(
        "masked_value.card",
        "BANK_CARD",
        "card number with its middle replaced by *, x or dots",
        examples=(
            "卡号6222********1234",
            "卡号 6228 **** **** 9092",
            "card xxxx xxxx xxxx 4521",
        ),
        counter_examples=("卡号6222**1234",),
        form="masked",
    ),
    Rule(
        "masked_value.phone",
        "PHONE_NUMBER",
        "eleven characters starting with 1, or a masked value next to a phone keyword",
        examples=("手机138****5678", "phone 0755-****-6789"),
        form="masked",
    ),
    Rule(
        "masked_value.resident_id",
        "CN_RESIDENT_ID",
        "15 or 18 characters with an ID keyword or a six-digit region code shown",
        examples=("身份证110105********2317", "身份证号 3301**********7089"),
        form="masked",
    ),
    Rule(
        "masked_value.card_tail",
        "BANK_CARD",
        "the last four digits after 尾号, 后四位, ending in or last four",
        examples=(
            "卡尾号8866",
            "card ending in 4402",
            "the last four digits are 7731",
        ),
        counter_examples=("尾号123",),
        form="partial",
    ),
    Rule(
        "masked_value.phone_tail",
        "PHONE_NUMBER",
        "the last four digits next to a phone keyword",
        examples=("手机尾号 5678", "my phone number ending 2291"),
        form="partial",
    ),
)


class MaskedValueRecognizer(Recognizer):
    name = "masked_value"
    types = ("BANK_CARD", "PHONE_NUMBER", "CN_RESIDENT_ID")
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        text = view.folded.text
        for match in _MASKED.finditer(text):
            head, tail = match.group("head"), match.group("tail")
            mask = re.sub(r"[\s\-]", "", match.group("mask"))
            length = len(head) + len(mask) + len(tail)
            if length < 7 or not (head or len(mask) >= 4):
                continue
            start, end = match.start(), match.end()
            entity = _masked_type(view, start, end, head, length)
            yield Candidate(
                start,
                end,
                entity,
                "masked",
                head + "*" * len(mask) + tail,
                0.9,
                self.name,
                "value with its middle masked",
            )
        for match in _TAIL.finditer(text):
            start, end = match.start("tail"), match.end("tail")
            entity = _tail_type(view, match.start(), end)
            yield Candidate(
                start,
                end,
                entity,
                "partial",
                match.group("tail"),
                0.8,
                "last_four",
                "last four characters only",
            )


def _tail_type(view: SegmentView, start: int, end: int) -> str:
    """Return what a last-four tail belongs to, from the words nearest to it."""
    before = view.before(start, _TAIL_CONTEXT_WINDOW)
    after = view.after(end, 6)
    if ID_CONTEXT.search(before[-8:]) or ID_CONTEXT.search(after):
        return "CN_RESIDENT_ID"
    if PHONE_CONTEXT.search(before) or PHONE_CONTEXT.search(after):
        return "PHONE_NUMBER"
    if ID_CONTEXT.search(before):
        return "CN_RESIDENT_ID"
    return "BANK_CARD"


RECOGNIZERS = [MaskedValueRecognizer()]
