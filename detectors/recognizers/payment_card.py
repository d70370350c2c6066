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
    Rule,
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
ID_CONTEXT = keyword_pattern(["身份证", "证件号", "身份号码", "id number", "id card"])
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
    """Card numbers whose first digits fall in [low, high] with given lengths.

    `examples` and `counter_examples` document the range as a `Rule`: the
    first hold a number of the range that passes Luhn, the second a near
    miss (Luhn fails, or a length the brand does not issue).
    """

    brand: str
    low: int
    high: int
    lengths: tuple[int, ...]
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()

    def matches(self, number: str) -> bool:
        width = len(str(self.low))
        prefix = int(number[:width])
        return self.low <= prefix <= self.high and len(number) in self.lengths

    def rule(self) -> Rule:
        """Describe the range as a rule of the payment card recognizer."""
        prefixes = str(self.low)
        if self.high != self.low:
            prefixes += f"-{self.high}"
        lengths = ", ".join(str(length) for length in self.lengths)
        return Rule(
            f"payment_card.{self.brand}_{prefixes.replace('-', '_')}",
            "BANK_CARD",
            f"{self.brand} number: prefix {prefixes}, {lengths} digits, passes Luhn",
            self.examples,
            self.counter_examples,
        )


# Issuer identification ranges of the major brands (ISO/IEC 7812 prefixes as
# published by each brand). Domestic Chinese debit cards also start with 9
# (for example 9558 for older ICBC cards). The first range that matches
# names the brand, so RuPay's 60 comes before Maestro's 56-69.
ISSUER_RANGES = (
    IssuerRange(
        "visa",
        4,
        4,
        (13, 16, 19),
        examples=(
            "我那张Visa卡4044348743992还能用吗",
            "please refund to 4175389400528020",
            "卡号 4006414631611223780，境外开的",
        ),
        counter_examples=("4241549909514541 is what I typed",),
    ),
    IssuerRange(
        "mastercard",
        51,
        55,
        (16,),
        examples=(
            "Mastercard 5160412820980151 was charged twice",
            "my card 5391759094061980 expires soon",
            "5565820965980813",
        ),
        counter_examples=("522997220033225",),
    ),
    IssuerRange(
        "mastercard",
        2221,
        2720,
        (16,),
        examples=("刷的是2291377096277823这张", "2705462217201728 please"),
        counter_examples=("2431752772040560",),
    ),
    IssuerRange(
        "amex",
        34,
        34,
        (15,),
        examples=("amex 347795398691979",),
        counter_examples=("3494580730215736",),
    ),
    IssuerRange(
        "amex",
        37,
        37,
        (15,),
        examples=("370350695574104 is the corporate card",),
        counter_examples=("3768193036426210",),
    ),
    IssuerRange(
        "diners",
        300,
        305,
        (14, 16, 17, 18, 19),
        examples=("Diners card 30290775847495",),
        counter_examples=("30408656907023",),
    ),
    IssuerRange(
        "diners",
        36,
        36,
        (14, 16, 17, 18, 19),
        examples=("36445449291371",),
        counter_examples=("362752174888519",),
    ),
    IssuerRange(
        "diners",
        38,
        39,
        (16, 17, 18, 19),
        examples=("3848824173401574",),
    ),
    IssuerRange(
        "discover",
        6011,
        6011,
        (16, 17, 18, 19),
        examples=("discover 6011442843552256",),
        counter_examples=("6011931375858474",),
    ),
    IssuerRange(
        "discover",
        644,
        649,
        (16, 17, 18, 19),
        examples=("6460322879049854",),
    ),
    IssuerRange(
        "discover",
        65,
        65,
        (16, 17, 18, 19),
        examples=("6518088452160002",),
    ),
    IssuerRange(
        "jcb",
        3528,
        3589,
        (16, 17, 18, 19),
        examples=("JCB卡3561938668505858",),
        counter_examples=("3542195406135899", "353090784547485"),
    ),
    IssuerRange(
        "unionpay",
        62,
        62,
        (16, 17, 18, 19),
        examples=("退款到6217299124916663", "银行卡号6228486614244478071"),
        counter_examples=("订单号6230462953822534已经付款",),
    ),
    IssuerRange(
        "unionpay",
        81,
        81,
        (16, 17, 18, 19),
        examples=("8171534348678966",),
        counter_examples=("8187757447621689",),
    ),
    IssuerRange(
        "mir",
        2200,
        2204,
        (16, 17, 18, 19),
        examples=("Mir card 2202558383175774",),
        counter_examples=("2201472019860393", "220397923207322"),
    ),
    IssuerRange(
        "rupay",
        60,
        60,
        (16,),
        examples=("rupay 6076418912763992",),
        counter_examples=("6083998649840326",),
    ),
    IssuerRange(
        "maestro",
        50,
        50,
        (12, 13, 14, 15, 16, 17, 18, 19),
        examples=("maestro 5018382598986454",),
        counter_examples=("5020547620075325",),
    ),
    IssuerRange(
        "maestro",
        56,
        69,
        (12, 13, 14, 15, 16, 17, 18, 19),
        examples=("5893701667732673", "675966658865"),
    ),
    IssuerRange(
        "domestic",
        9,
        9,
        (16, 19),
        examples=("工资卡9558897755444599", "9559083519733188366"),
        counter_examples=("99261265206427929",),
    ),
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


RULES = (
    *(issuer.rule() for issuer in ISSUER_RANGES),
    Rule(
        "payment_card.context_fails_luhn",
        "BANK_CARD",
        "15 to 19 digits with a brand prefix that fail Luhn, next to a card "
        "keyword: an agent may mistype one digit of a real number",
        examples=("卡号6217832268775686好像输错了一位",),
        counter_examples=("6217832268775686", "订单号6217832268775686"),
    ),
    Rule(
        "payment_card.reference_keyword",
        "BANK_CARD",
        "a number after an order, tracking or serial keyword is that "
        "reference, unless a card keyword is also next to it",
        examples=("订单 6230462953822534 的付款卡号是4175389400528020",),
        counter_examples=("订单号6230462953822534已经付款",),
    ),
    Rule(
        "payment_card.timestamp",
        "BANK_CARD",
        "13-digit millisecond timestamps (prefixes 14 to 20) are not cards, "
        "not even after a card keyword",
        examples=("my Visa is 4044348743992",),
        counter_examples=("时间戳1716354821937", "卡号1716354821937"),
    ),
    Rule(
        "payment_card.grouped",
        "BANK_CARD",
        "a number grouped as printed on the card (4-4-4-4, Amex 4-6-5)",
        examples=("4175 3894 0052 8020", "amex 3477 953986 91979"),
    ),
    Rule(
        "payment_card.full_width",
        "BANK_CARD",
        "a number typed in full-width digits",
        examples=("卡号６２１７２９９１２４９１６６６３",),
    ),
    Rule(
        "payment_card.spoken",
        "BANK_CARD",
        "a number read out digit by digit, in Chinese or English",
        examples=(
            "卡号是六二幺七 二九九幺 二四九幺 六六六三",
            "card number: four one seven five three eight nine four zero zero "
            "five two eight zero two zero",
        ),
    ),
)


class PaymentCardRecognizer(Recognizer):
    name = "payment_card"
    types = ("BANK_CARD",)
    rules = RULES

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
        if len(compact) in (15, 18) and ID_CONTEXT.search(view.before(start, 10)):
            # A mistyped resident ID right after 身份证号 is not a card.
            return None
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
