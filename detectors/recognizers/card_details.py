"""Card security codes (CVV, CVC, 安全码) and card expiry dates.

Neither has a checksum: three digits are three digits. Only a keyword right
before the value proves what it is, so each pattern below is a keyword, a
short gap without digits or sentence ends, and the value. A keyword alone
("请勿提供安全码") gives nothing; the value must be in the same segment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from detectors.recognizers.base import Candidate, Recognizer, Rule, SegmentView

# Between a keyword and its value: up to 30 characters that are neither
# digits, commas nor the end of a sentence ("是", ": ", " on the back is ").
_GAP = r"[^0-9。．！？!?;；,，\n]{0,30}?"

_CVV = re.compile(
    rf"""
    (?P<keyword>
        (?<![a-z])(?:cvv2?|cvc2?|cvn2?|csc)(?![a-z])     # names printed on cards
      | card\ security\ code|card\ verification\ (?:value|code|number)
      | (?<![a-z])security\ code(?![a-z])               # checked for a card below
      | 安全码|卡片验证码|卡验证码|信用卡验证码|cvn2码
      | 背面(?:的)?(?:签名栏)?(?:的)?(?:后|末)?[三四34]位(?:数字|数|码)?
      | 背面(?:的)?(?:验证码|安全码|校验码)
    )
    (?P<gap>{_GAP})
    (?<![0-9])(?P<value>[0-9]{{3,4}})
    (?![0-9]|\s*(?:位|元|块|次|个|%|岁|天|年|月|日|号|分|秒|digits?))
    """,
    re.VERBOSE | re.IGNORECASE,
)
_EXPIRY = re.compile(
    rf"""
    (?P<keyword>
        (?<![a-z])exp(?:iry|iration|ires?|\.)?(?:\ date)?(?![a-z])
      | (?P<card_keyword>valid\ (?:thru|through)|good\ thru|卡片?有效期(?:至|到)?)
      | 有效期(?:至|到)?
    )
    (?P<gap>{_GAP})
    (?<![0-9])
    (?P<month>0?[1-9]|1[0-2])
    \s?[/\-]\s?
    (?P<year>20[0-9]{{2}}|[0-9]{{2}})
    (?![0-9]|[/.\-][0-9])
    """,
    re.VERBOSE | re.IGNORECASE,
)
# A gap that names another number means the value belongs to that number
# ("安全码和卡号后四位1234", "CVV, phone 1234").
_OTHER_NUMBER = re.compile(
    r"卡号|尾号|手机|电话|订单|后四位|末四位|card number|phone|order|ending",
    re.IGNORECASE,
)
# "security code" alone may be a code sent by text message, and "expiry" or
# "有效期" may belong to a coupon or an ID card. So each counts only with a
# card word before it.
_CARD_WORD = re.compile(
    r"card|back|visa|master|amex|unionpay|卡|背面|银联", re.IGNORECASE
)
_CARD_WORD_WINDOW = 30


RULES = (
    Rule(
        "card_details.cvv_keyword",
        "CARD_CVV",
        "3 or 4 digits right after CVV, CVC, CVN or CSC",
        examples=("CVV 382", "my cvc2 is 0714"),
        counter_examples=("CVV 38", "CVV, phone 1234"),
    ),
    Rule(
        "card_details.cvv_zh",
        "CARD_CVV",
        "3 or 4 digits after 安全码, 卡片验证码 or the back-of-card digits",
        examples=("安全码：2046", "卡背面的三位数是 517"),
        counter_examples=("请勿提供安全码", "安全码和卡号后四位1234"),
    ),
    Rule(
        "card_details.security_code",
        "CARD_CVV",
        "3 or 4 digits after security code, only with a card word before it",
        examples=("the security code on my card is 941",),
        counter_examples=("security code 941", "短信里的security code是 941"),
    ),
    Rule(
        "card_details.expiry_card_keyword",
        "CARD_EXPIRY",
        "month and year after valid thru, good thru or 卡片有效期",
        examples=("卡片有效期 09/28", "valid thru 04/27"),
    ),
    Rule(
        "card_details.expiry",
        "CARD_EXPIRY",
        "month and year after exp, expiry or 有效期, only with a card word before it",
        examples=("my visa card exp 12/26", "信用卡有效期至 11/2029"),
        counter_examples=("有效期 09/28", "coupon expires 12/26"),
    ),
)


class CardDetailsRecognizer(Recognizer):
    name = "card_details"
    types = ("CARD_CVV", "CARD_EXPIRY")
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        yield from self._security_codes(view)
        yield from self._expiry_dates(view)

    def _security_codes(self, view: SegmentView) -> Iterator[Candidate]:
        for match in _CVV.finditer(view.folded.text):
            if _OTHER_NUMBER.search(match.group("gap")):
                continue
            keyword = match.group("keyword").lower()
            if keyword == "security code" and not self._near_card_word(view, match):
                continue
            start, end = match.span("value")
            yield Candidate(
                start,
                end,
                "CARD_CVV",
                "full",
                match.group("value"),
                0.9,
                f"{self.name}_cvv",
                "3 or 4 digits right after a card security code keyword",
            )

    def _expiry_dates(self, view: SegmentView) -> Iterator[Candidate]:
        for match in _EXPIRY.finditer(view.folded.text):
            if _OTHER_NUMBER.search(match.group("gap")):
                continue
            if not match.group("card_keyword") and not self._near_card_word(
                view, match
            ):
                continue
            month = int(match.group("month"))
            year = match.group("year")[-2:]
            start, end = match.start("month"), match.end("year")
            yield Candidate(
                start,
                end,
                "CARD_EXPIRY",
                "full",
                f"{month:02d}/{year}",
                0.85,
                f"{self.name}_expiry",
                "month and year right after a card expiry keyword",
            )

    @staticmethod
    def _near_card_word(view: SegmentView, match: re.Match[str]) -> bool:
        before = view.before(match.start(), _CARD_WORD_WINDOW)
        return bool(_CARD_WORD.search(before + match.group("gap")))


RECOGNIZERS = [CardDetailsRecognizer()]
