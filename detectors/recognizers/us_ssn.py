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
    SegmentView,
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


# Confidence with an SSN keyword and without one (None: the keyword is
# required), for each shape.
_CONFIDENCE: dict[str, tuple[float, float | None]] = {
    "dashed": (0.95, 0.75),
    "spaced": (0.9, 0.6),
    "bare": (0.85, None),
}


class UsSsnRecognizer(Recognizer):
    name = "us_ssn"
    types = ("US_SSN",)

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
            with_keyword, without_keyword = _CONFIDENCE[shape]
            if has_context:
                confidence = with_keyword
            elif without_keyword is not None:
                confidence = without_keyword
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
