"""Payment card numbers of every brand, UnionPay and domestic debit cards included.

A card-shaped digit run (12 to 19 digits) is proven by the Luhn check
(python-stdnum) and an issuer prefix that a card brand uses. A run that fails
Luhn is still reported, at low confidence, when a card keyword sits next to
it, because an agent may mistype one digit of a real number.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from stdnum import luhn

from detectors.recognizers.base import (
    Candidate,
    Recognizer,
    SegmentView,
    context_note,
    keyword_pattern,
)

CONTEXT = keyword_pattern(
    [
        "卡号",
        "银行卡",
        "信用卡",
        "储蓄卡",
        "借记卡",
        "打到这张卡",
        "card",
        "credit card",
        "debit card",
        "card number",
        "card no",
        "visa",
        "mastercard",
        "amex",
        "unionpay",
        "银联",
    ]
)
NEGATIVE_CONTEXT = keyword_pattern(
    [
        "订单",
        "单号",
        "流水号",
        "交易号",
        "快递",
        "运单",
        "工单",
        "物流",
        "发票号",
        "order",
        "tracking",
        "invoice",
        "transaction",
        "ticket",
        "reference",
        "ref",
        "serial",
        "timestamp",
        "时间戳",
        "imei",
        "sn",
    ]
)


@dataclass(frozen=True)
class IssuerRange:
    """Card numbers whose first digits fall in [low, high] with given lengths."""

    brand: str
    low: int
    high: int
    lengths: tuple[int, ...]

    def matches(self, number: str) -> bool:
        width = len(str(self.low))
        prefix = int(number[:width])
        return self.low <= prefix <= self.high and len(number) in self.lengths


# Issuer identification ranges of the major brands (ISO/IEC 7812 prefixes as
# published by each brand). Domestic Chinese debit cards also start with 9
# (for example 9558 for older ICBC cards).
ISSUER_RANGES = (
    IssuerRange("visa", 4, 4, (13, 16, 19)),
    IssuerRange("mastercard", 51, 55, (16,)),
    IssuerRange("mastercard", 2221, 2720, (16,)),
    IssuerRange("amex", 34, 34, (15,)),
    IssuerRange("amex", 37, 37, (15,)),
    IssuerRange("diners", 300, 305, (14, 16, 17, 18, 19)),
    IssuerRange("diners", 36, 36, (14, 16, 17, 18, 19)),
    IssuerRange("diners", 38, 39, (16, 17, 18, 19)),
    IssuerRange("discover", 6011, 6011, (16, 17, 18, 19)),
    IssuerRange("discover", 644, 649, (16, 17, 18, 19)),
    IssuerRange("discover", 65, 65, (16, 17, 18, 19)),
    IssuerRange("jcb", 3528, 3589, (16, 17, 18, 19)),
    IssuerRange("unionpay", 62, 62, (16, 17, 18, 19)),
    IssuerRange("unionpay", 81, 81, (16, 17, 18, 19)),
    IssuerRange("mir", 2200, 2204, (16, 17, 18, 19)),
    IssuerRange("maestro", 50, 50, (12, 13, 14, 15, 16, 17, 18, 19)),
    IssuerRange("maestro", 56, 69, (12, 13, 14, 15, 16, 17, 18, 19)),
    IssuerRange("rupay", 60, 60, (16,)),
    IssuerRange("domestic", 9, 9, (16, 19)),
)

# 13-digit numbers that start like this are millisecond timestamps between
# 2014 and 2033, which pass Luhn one time in ten.
_TIMESTAMP_PREFIXES = tuple(str(n) for n in range(14, 21))


def card_brand(number: str) -> str | None:
    """Return the brand whose issuer range and length fit the number."""
    for issuer in ISSUER_RANGES:
        if issuer.matches(number):
            return issuer.brand
    return None


class PaymentCardRecognizer(Recognizer):
    name = "payment_card"
    types = ("BANK_CARD",)

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        for mapped, run in view.digit_sources():
            for first, last in run.group_slices():
                compact = run.digits[first:last]
                if not compact.isdigit() or not 12 <= len(compact) <= 19:
                    continue
                if not run.grouped_like_one_number(first, last):
                    continue
                start, end = view.run_span(mapped, run, first, last)
                candidate = self._prove(view, compact, start, end)
                if candidate is not None:
                    yield candidate

    def _prove(
        self, view: SegmentView, compact: str, start: int, end: int
    ) -> Candidate | None:
        context = view.context(start, end, 12)
        has_context = bool(CONTEXT.search(context))
        negative = bool(NEGATIVE_CONTEXT.search(view.before(start, 10)))
        brand = card_brand(compact)
        if luhn.is_valid(compact) and brand:
            if negative and not has_context:
                return None
            is_timestamp = len(compact) == 13 and compact.startswith(
                _TIMESTAMP_PREFIXES
            )
            if is_timestamp and not has_context:
                return None
            confidence = 0.95 if has_context else 0.85
            if brand in ("maestro", "domestic", "rupay") and not has_context:
                confidence = 0.6
            return Candidate(
                start,
                end,
                "BANK_CARD",
                "full",
                compact,
                confidence,
                self.name,
                f"{len(compact)}-digit {brand} number that passes Luhn"
                + context_note(CONTEXT, context),
            )
        if has_context and not negative and 15 <= len(compact) <= 19 and brand:
            return Candidate(
                start,
                end,
                "BANK_CARD",
                "full",
                compact,
                0.55,
                f"{self.name}_context",
                "card-shaped number next to a card keyword, fails Luhn"
                + context_note(CONTEXT, context),
            )
        return None


RECOGNIZERS = [PaymentCardRecognizer()]
