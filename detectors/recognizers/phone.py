"""Phone numbers: Chinese mobiles first, then any region through phonenumbers.

Chinese mobile numbers are proven by shape alone (1, then 3 to 9, then nine
digits) because new number ranges reach people before phonenumbers' metadata
lists them. Other numbers must be valid for their region in phonenumbers.
Toll-free, shared-cost and premium numbers are company service lines, not
personal data, and are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers
from phonenumbers import PhoneNumberType

from detectors.normalize import DigitRun, MappedText
from detectors.recognizers.base import (
    Candidate,
    Recognizer,
    Rule,
    SegmentView,
    context_note,
    keyword_pattern,
    shown_digits,
)

CONTEXT = keyword_pattern(
    [
        "手机",
        "电话",
        "号码",
        "联系方式",
        "致电",
        "微信",
        "phone",
        "mobile",
        "cell",
        "call",
        "text",
        "number",
        "whatsapp",
        "tel",
    ]
)
HOTLINE_CONTEXT = keyword_pattern(
    ["客服热线", "热线", "客服电话", "服务热线", "hotline", "customer service", "toll"]
)
# Words right before a number that make it an order, tracking or invoice
# number rather than a phone, unless a phone word is next to it too.
NEGATIVE_CONTEXT = keyword_pattern(
    [
        "订单",
        "单号",
        "运单",
        "快递",
        "物流",
        "工单",
        "流水号",
        "交易号",
        "发票",
        "编号",
        "order",
        "tracking",
        "invoice",
        "reference",
        "ref",
        "ticket",
        "case",
        "booking",
        "confirmation",
        "transaction",
        "serial",
        "account no",
        "member",
    ]
)
_CN_MOBILE = re.compile(r"(?:86|0086)?(1[3-9][0-9]{9})")
# Groupings that people write the eleven digits of a Chinese mobile number
# in, each with examples. A US number such as 1-800-555-0199 also has eleven
# digits, grouped 1-3-3-4.
_CN_MOBILE_GROUPINGS: dict[tuple[int, ...], tuple[str, ...]] = {
    (11,): ("我换号了，新号码15987654321", "19912340987"),
    (3, 4, 4): ("138 1234 5678", "电话138-1234-5678"),
    (3, 8): ("138 12345678",),
    (7, 4): ("1381234 5678",),
    (4, 3, 4): ("1381 234 5678",),
    (3, 3, 5): ("138 123 45678",),
}
_SERVICE_TYPES = {
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.UAN,
    PhoneNumberType.VOICEMAIL,
}
# Chinese nationwide service numbers (400 and 800 prefixes, 95xxx and 96xxx
# short codes) belong to companies.
_CN_SERVICE = re.compile(r"(?:\+?86)?(?:400|800)[0-9]{7}$|9[56][0-9]{3,6}$")


def _foreign_country_code(view: SegmentView, mapped: MappedText, run: DigitRun) -> bool:
    """Tell whether a run starts with "+" and a country code other than 86."""
    start, _ = view.run_span(mapped, run, 0, 1)
    if start == 0 or view.folded.text[start - 1] != "+":
        return False
    return not run.digits.startswith("86")


def _grouped_like_cn_mobile(run: DigitRun, first: int, last: int) -> bool:
    groups = list(run.slice_groups(first, last))
    while groups and sum(groups) > 11 and groups[0] <= 4:
        groups.pop(0)  # the country code: 86 or 0086
    if sum(groups) != 11:
        # The country code is glued to the number, as in 8613800000000.
        return len(groups) == 1
    return tuple(groups) in _CN_MOBILE_GROUPINGS


def regions_for(language: str | None) -> tuple[str, ...]:
    """Return the default regions to try for numbers without a country code."""
    if language == "en":
        return ("US", "GB", "CN")
    return ("CN", "US", "GB")


def _region_rule(
    region: str, examples: tuple[str, ...], counter_examples: tuple[str, ...] = ()
) -> Rule:
    return Rule(
        f"phone.region_{region.lower()}",
        "PHONE_NUMBER",
        f"number that phonenumbers accepts as valid for region {region}",
        examples,
        counter_examples,
    )


# Numbers of other regions, written with the country code, or in national
# form for the regions tried by default.
_REGION_RULES = (
    _region_rule(
        "US",
        ("call me at 1-415-555-0132", "+1 415 555 0132"),
        counter_examples=("call me at 555-0132",),
    ),
    _region_rule("CA", ("+1 604 555 0147",)),
    _region_rule(
        "GB",
        ("my UK mobile is +44 7911 234567", "+44 20 7946 0958"),
        counter_examples=("+44 20 7946 095",),
    ),
    _region_rule(
        "HK",
        ("香港手机 +852 9123 4567", "+852 2123 4567"),
        counter_examples=("+852 9123 456",),
    ),
    _region_rule("MO", ("澳门 +853 6612 3456",)),
    _region_rule("TW", ("台湾 +886 912 345 678", "+886 2 2345 6789")),
    _region_rule("SG", ("+65 9123 4567",), counter_examples=("+65 1234 5678",)),
    _region_rule("JP", ("+81 90-1234-5678",), counter_examples=("+81 90-1234-567",)),
    _region_rule("KR", ("+82 10-2345-6789",)),
    _region_rule("AU", ("+61 412 345 678",)),
    _region_rule("DE", ("+49 1512 3456789",)),
    _region_rule("FR", ("+33 6 12 34 56 78",)),
    _region_rule("IN", ("+91 98765 43210",)),
)

_OTHER_RULES = (
    Rule(
        "phone.cn_mobile",
        "PHONE_NUMBER",
        "Chinese mobile number by shape: 1, then 3 to 9, then nine digits, "
        "in any number range, listed by phonenumbers or not",
        examples=("手机13812345678，随时联系", "你打这个17766554433吧"),
        counter_examples=("13812345678901",),
    ),
    Rule(
        "phone.cn_mobile_country_code",
        "PHONE_NUMBER",
        "Chinese mobile number after +86, 0086 or a glued 86",
        examples=("+86 138 1234 5678", "008613812345678", "手机 +86-159-8765-4321"),
    ),
    Rule(
        "phone.spoken_chinese",
        "PHONE_NUMBER",
        "number read out in Chinese digits, 幺 for one included",
        examples=("号码是幺三八幺二三四五六七八",),
    ),
    Rule(
        "phone.spoken_english",
        "PHONE_NUMBER",
        "number read out in English digit words",
        examples=(
            "my number is one three eight one two three four five six seven eight",
        ),
    ),
    Rule(
        "phone.cn_landline",
        "PHONE_NUMBER",
        "Chinese landline with its area code, found by phonenumbers' matcher",
        examples=("办公室电话010-62345678", "(021)52345678"),
    ),
    Rule(
        "phone.cn_service_number",
        "PHONE_NUMBER",
        "400 and 800 numbers and 95xxx or 96xxx short codes are company "
        "service lines, not personal data",
        examples=("热线4008201234打不通，请回我手机13912345678",),
        counter_examples=("4008201234", "服务号码8008301234", "打95533转人工"),
    ),
    Rule(
        "phone.toll_free",
        "PHONE_NUMBER",
        "numbers that phonenumbers types as toll-free, premium, shared-cost, "
        "UAN or voicemail in any region tried are service lines",
        examples=("call 1-888-555-0123 or my cell 202-555-0178",),
        counter_examples=("call 1-800-555-0199 for help", "call 1-888-555-0123"),
    ),
    Rule(
        "phone.hotline_keyword",
        "PHONE_NUMBER",
        "a number right after a hotline or customer-service keyword belongs "
        "to the company",
        examples=("客服说会打我电话 021-52345678",),
        counter_examples=("客服电话 021-52345678", "热线电话13812345678"),
    ),
)


def _grouping_rules() -> tuple[Rule, ...]:
    """Describe each grouping of `_CN_MOBILE_GROUPINGS` as a rule."""
    rules = []
    for grouping, examples in _CN_MOBILE_GROUPINGS.items():
        sizes = [str(size) for size in grouping]
        rules.append(
            Rule(
                "phone.cn_mobile_" + "_".join(sizes),
                "PHONE_NUMBER",
                "Chinese mobile number grouped " + "-".join(sizes),
                examples,
            )
        )
    return tuple(rules)


RULES = (*_grouping_rules(), *_REGION_RULES, *_OTHER_RULES)


class PhoneRecognizer(Recognizer):
    name = "phone"
    types = ("PHONE_NUMBER",)
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        found: list[Candidate] = []
        for candidate in self._cn_mobiles(view):
            found.append(candidate)
        for candidate in self._any_region(view):
            if not any(candidate.overlaps(other) for other in found):
                found.append(candidate)
        for candidate in found:
            if self._is_service_line(view, candidate):
                continue
            before = view.before(candidate.start, 12)
            if NEGATIVE_CONTEXT.search(before) and not CONTEXT.search(before):
                continue
            yield candidate

    def _cn_mobiles(self, view: SegmentView) -> Iterator[Candidate]:
        for mapped, run in view.digit_sources():
            for first, last in run.group_slices():
                compact = run.digits[first:last]
                match = _CN_MOBILE.fullmatch(compact)
                if not match or not _grouped_like_cn_mobile(run, first, last):
                    continue
                if _foreign_country_code(view, mapped, run):
                    break  # "+49 151 23456789" is a German number
                start, end = view.run_span(mapped, run, first, last)
                if start > 0 and view.folded.text[start - 1] == "+":
                    start -= 1
                context = view.context(start, end, 10)
                has_context = bool(CONTEXT.search(context))
                shown = shown_digits(view, start, end)
                yield Candidate(
                    start,
                    end,
                    "PHONE_NUMBER",
                    "full",
                    "+86" + match.group(1),
                    0.95 if has_context else 0.88,
                    "phone_cn_mobile",
                    "Chinese mobile number, 1 then 3-9 then nine digits"
                    + context_note(CONTEXT, context),
                    shown=shown if len(shown) >= 11 else match.group(1),
                )
                break  # the longest slice of a run wins

    def _any_region(self, view: SegmentView) -> Iterator[Candidate]:
        by_span: dict[tuple[int, int], list[phonenumbers.PhoneNumberMatch]] = {}
        texts = [view.folded] if view.spoken is None else [view.folded, view.spoken]
        for mapped in texts:
            for region in regions_for(view.language):
                matcher = phonenumbers.PhoneNumberMatcher(
                    mapped.text, region, leniency=phonenumbers.Leniency.VALID
                )
                for match in matcher:
                    span = mapped.original_span(match.start, match.end)
                    by_span.setdefault(span, []).append(match)
        for (start, end), matches in sorted(by_span.items()):
            # The same digits can be a mobile in one region and a toll-free
            # line in another (1-800-555-0199); any service reading wins.
            if any(
                phonenumbers.number_type(m.number) in _SERVICE_TYPES for m in matches
            ):
                continue
            match = matches[0]
            if len(re.sub(r"\D", "", match.raw_string)) < 7:
                continue
            value = phonenumbers.format_number(
                match.number, phonenumbers.PhoneNumberFormat.E164
            )
            context = view.context(start, end, 10)
            has_context = bool(CONTEXT.search(context))
            shown = shown_digits(view, start, end)
            national = str(match.number.national_number)
            yield Candidate(
                start,
                end,
                "PHONE_NUMBER",
                "full",
                value,
                0.9 if has_context else 0.75,
                "phone_number",
                f"valid phone number for region "
                f"{phonenumbers.region_code_for_number(match.number)} (phonenumbers)"
                + context_note(CONTEXT, context),
                shown=shown if len(shown) >= len(national) else national,
            )

    def _is_service_line(self, view: SegmentView, candidate: Candidate) -> bool:
        if _CN_SERVICE.match(candidate.value.lstrip("+")):
            return True
        return bool(HOTLINE_CONTEXT.search(view.before(candidate.start, 12)))


RECOGNIZERS = [PhoneRecognizer()]
