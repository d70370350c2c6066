"""Chinese social-security card and medical-insurance numbers.

Most cities use the holder's resident ID as the social-security number.
When the number after a social-security keyword is a valid resident ID, this
recognizer stays silent and the resident ID recognizer reports it, so one
value is never reported twice under two types. Otherwise a 9 to 20 character
number (card serials such as a letter and eight digits, city medical
insurance numbers) right after the keyword is reported. No checksum is
public for these, so the keyword is the only evidence.
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
from detectors.recognizers.cn_resident_id import is_resident_id

CONTEXT = keyword_pattern(
    [
        "社保卡号",
        "社保号",
        "社保编号",
        "社保账号",
        "社会保障号",
        "社会保障卡号",
        "社会保障卡",
        "社保卡",
        "医保卡号",
        "医保卡",
        "医保号",
        "医保编号",
        "医保账号",
        "医疗保险号",
        "参保号",
        "参保编号",
        "个人社保号",
        "social insurance number",
        "medical insurance number",
    ]
)
# Words that make the number next to the keyword something else: a bank
# card's number is the card recognizer's, a phone number the phone's.
NEGATIVE_CONTEXT = keyword_pattern(
    ["银行卡", "手机", "电话", "密码", "订单", "单号", "工单", "phone", "order"]
)

_NUMBER = re.compile(
    r"""
    (?<![0-9A-Za-z])
    (?P<number>[0-9A-Z]{9,20})
    (?![0-9A-Za-z])
    """,
    re.VERBOSE | re.IGNORECASE,
)
# Most of a number's characters are digits: at least this many.
_MIN_DIGITS = 6


RULES = (
    Rule(
        "social_insurance.card_serial",
        "SOCIAL_INSURANCE_NUMBER",
        "a social-security card serial (letters and digits) right after a "
        "social-security keyword",
        examples=("社保卡号 A28340196",),
        counter_examples=("社保卡号 A2834", "社保卡绑定的银行卡 A28340196"),
    ),
    Rule(
        "social_insurance.medical_number",
        "SOCIAL_INSURANCE_NUMBER",
        "a city medical-insurance number of 9 to 20 characters right after a "
        "medical-insurance keyword",
        examples=("医保卡号：3301062019008817", "参保编号 HZ20190088172"),
    ),
    Rule(
        "social_insurance.resident_id",
        "SOCIAL_INSURANCE_NUMBER",
        "a valid resident ID after a social-security keyword is reported as a "
        "resident ID, not a second time as a social-security number",
        examples=("社保卡号 A28340196",),
        counter_examples=("社保号 330106198704237089",),
    ),
)


class SocialInsuranceRecognizer(Recognizer):
    name = "social_insurance"
    types = ("SOCIAL_INSURANCE_NUMBER",)
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        for match in _NUMBER.finditer(view.folded.text):
            number = match.group("number").upper()
            if sum(char.isdigit() for char in number) < _MIN_DIGITS:
                continue
            if is_resident_id(number):
                continue
            start, end = match.span()
            before = view.before(start, 10)
            if not CONTEXT.search(before) or NEGATIVE_CONTEXT.search(before):
                continue
            yield Candidate(
                start,
                end,
                "SOCIAL_INSURANCE_NUMBER",
                "full",
                number,
                0.8,
                self.name,
                "9 to 20 character number right after a social-security or "
                "medical-insurance keyword; not a resident ID",
            )


RECOGNIZERS = [SocialInsuranceRecognizer()]
