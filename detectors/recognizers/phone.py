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

from detectors.normalize import DigitRun
from detectors.recognizers.base import (
    Candidate,
    Recognizer,
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
_CN_MOBILE = re.compile(r"(?:86|0086)?(1[3-9][0-9]{9})")
# How people group the eleven digits of a Chinese mobile number. A US
# number such as 1-800-555-0199 also has eleven digits, grouped 1-3-3-4.
_CN_MOBILE_GROUPINGS = frozenset(
    {(11,), (3, 4, 4), (3, 8), (7, 4), (4, 3, 4), (3, 3, 5)}
)
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


class PhoneRecognizer(Recognizer):
    name = "phone"
    types = ("PHONE_NUMBER",)

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
            yield candidate

    def _cn_mobiles(self, view: SegmentView) -> Iterator[Candidate]:
        for mapped, run in view.digit_sources():
            for first, last in run.group_slices():
                compact = run.digits[first:last]
                match = _CN_MOBILE.fullmatch(compact)
                if not match or not _grouped_like_cn_mobile(run, first, last):
                    continue
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
