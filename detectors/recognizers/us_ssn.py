"""US social security numbers, validated by python-stdnum.

SSNs carry no check digit. `stdnum.us.ssn` rejects what was never issued:
area 000, 666 and 9xx (the 9xx range also covers ITINs and advertising
numbers), group 00, serial 0000 and the numbers printed in old advertising.
The grouped forms (123-45-6789, 123 45 6789) count on their own; nine bare
digits count only next to an SSN keyword.
"""

from __future__ import annotations

from collections.abc import Iterator

from stdnum.us import ssn

from detectors.normalize import DigitRun
from detectors.recognizers.base import (
    Candidate,
    Recognizer,
    Rule,
    SegmentView,
    Shape,
    keyword_pattern,
)

CONTEXT = keyword_pattern(
    [
        "ssn",
        "ss#",
        "social security",
        "social security number",
        "soc sec",
        "社会安全号",
        "社会安全号码",
        "社安号",
        "美国社保号",
    ]
)
NEGATIVE_CONTEXT = keyword_pattern(
    [
        "订单",
        "单号",
        "运单",
        "工单",
        "order",
        "tracking",
        "invoice",
        "ticket",
        "case",
        "ref",
        "reference",
        "routing",
        "account",
        "acct",
        "po",
    ]
)
_GROUPS = (3, 2, 4)


def _shape(run: DigitRun) -> str | None:
    """Return "dashed", "spaced" or "bare" for a nine-digit run of SSN shape."""
    if len(run.digits) != 9 or not run.digits.isdigit():
        return None
    if run.groups == (9,):
        return "bare"
    if run.groups != _GROUPS or len(set(run.separators)) != 1:
        return None
    return {"-": "dashed", " ": "spaced"}.get(run.separators[0])


# The shapes that `_shape` returns.
_SHAPES: dict[str, Shape] = {
    "dashed": Shape(0.95, 0.75, examples=("SSN 512-38-4067", "512-38-4067")),
    "spaced": Shape(0.9, 0.6, examples=("SSN: 287 61 9043", "287 61 9043")),
    "bare": Shape(
        0.85,
        None,
        examples=("social security 431580926",),
        counter_examples=("431580926",),
    ),
}


RULES = (
    *(
        Rule(
            f"us_ssn.{name}",
            "US_SSN",
            f"{name} nine-digit number with an issuable area, group and serial"
            + ("" if shape.without_keyword is not None else ", next to an SSN keyword"),
            shape.examples,
            shape.counter_examples,
        )
        for name, shape in _SHAPES.items()
    ),
    Rule(
        "us_ssn.never_issued",
        "US_SSN",
        "area 000, 666 or 9xx, group 00 or serial 0000 was never issued",
        examples=("SSN 512-38-4067",),
        counter_examples=(
            "SSN 666-12-3456",
            "SSN 000-52-1234",
            "SSN 912-34-5678",
            "SSN 523-00-4120",
        ),
    ),
    Rule(
        "us_ssn.reference_keyword",
        "US_SSN",
        "a number after an order, ticket, account or routing keyword is that "
        "reference, unless an SSN keyword is also next to it",
        examples=("order 7781 placed with SSN 512-38-4067",),
        counter_examples=("order 512-38-4067", "routing 287 61 9043"),
    ),
)


class UsSsnRecognizer(Recognizer):
    name = "us_ssn"
    types = ("US_SSN",)
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        for run in view.runs:
            shape = _shape(run)
            if shape is None or not ssn.is_valid(run.digits):
                continue
            start, end = view.folded.original_span(*run.span(0, 8))
            has_context = bool(CONTEXT.search(view.context(start, end, 20)))
            negative = bool(NEGATIVE_CONTEXT.search(view.before(start, 10)))
            if negative and not has_context:
                continue
            confidences = _SHAPES[shape]
            if has_context:
                confidence = confidences.with_keyword
            elif confidences.without_keyword is not None:
                confidence = confidences.without_keyword
            else:
                continue
            yield Candidate(
                start,
                end,
                "US_SSN",
                "full",
                run.digits,
                confidence,
                self.name,
                f"{shape} nine-digit number with an issuable area, group and "
                "serial" + (", next to an SSN keyword" if has_context else ""),
            )


RECOGNIZERS = [UsSsnRecognizer()]
