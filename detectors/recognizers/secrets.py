"""Secrets written out in the record: one-time codes and passwords with their cue.

"验证码是482913", "my password is ...": keeping such a value in the record is
never allowed, whoever wrote it. Answers given in a later message, after an
agent asked for the secret, are found by the secret-answer analyzer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from detectors.normalize import MappedText
from detectors.phrases.matcher import is_negated
from detectors.recognizers.base import Candidate, Recognizer, Rule, SegmentView

_IS = r"\s*(?:(?:是|为|:|：|=|is|was|are)\s*){0,2}"
_SECRET = re.compile(
    rf"""
    (?:
      (?P<otp_cue>验证码|校验码|动态码|动态密码|短信码
        |(?<![a-z])(?:one[\ -]time\ code|verification\ code|otp|passcode|sms\ code
        |login\ code|security\ code\ we\ sent)(?![a-z]))
      {_IS}(?P<otp>[0-9](?:[\ \-]?[0-9]){{3,7}})(?![0-9])
    |
      # Latin cues must be whole words: "Pinewood" and "Spinnaker" hold no PIN.
      (?P<password_cue>密码|口令|pin码|(?<![a-z])(?:password|passcode|pin)(?![a-z]))
      (?P<connector>{_IS})
      (?P<password>
        (?![:：=])                          # the cue's separator is not in it
        (?=[^\s,，。.!！?？]*[0-9A-Za-z])
        # "!" and "?" end a sentence unless a letter or digit follows.
        (?:[^\s,，。!！?？]|[!?](?=[0-9A-Za-z])){{4,32}}
      )
    )
    """,
    re.VERBOSE | re.IGNORECASE,
)
# Words after a password cue that are not a password: "密码是多少", "password is wrong".
_NOT_A_PASSWORD = re.compile(
    r"^(?:多少|什么|啥|错|对|正确|错误|wrong|correct|incorrect|expired|required|needed"
    r"|reset|changed|ok|fine|safe|not|the|your|my|a|an|too)\b",
    re.IGNORECASE,
)


RULES = (
    Rule(
        "secret_value.code_zh",
        "VERIFICATION_CODE",
        "4 to 8 digits after 验证码, 校验码, 动态码 or 短信码",
        examples=("验证码是482913", "动态码：5520"),
        counter_examples=("验证码12", "验证码已发送，请勿泄露"),
    ),
    Rule(
        "secret_value.code_en",
        "VERIFICATION_CODE",
        "4 to 8 digits after verification code, one-time code, OTP or passcode; "
        "a bare 'the code' is a coupon as often as a login code",
        examples=(
            "verification code is 938271",
            "OTP 66120",
            "the passcode was 402017",
        ),
        counter_examples=(
            "the code expires in 10 minutes",
            "the code 2024 on the coupon",
        ),
    ),
    Rule(
        "secret_value.password_zh",
        "PASSWORD",
        "4 to 32 characters with a letter or digit after 密码, 口令 or PIN码",
        examples=("密码是abc12345", "登录密码：Hx9!mq27"),
        counter_examples=("密码是多少", "密码错误"),
    ),
    Rule(
        "secret_value.password_en",
        "PASSWORD",
        "4 to 32 characters with a letter or digit after password or PIN",
        examples=("my password is tulip2024", "PIN 8826", "password: Tr0ub4dor?x1 ok"),
        counter_examples=("password is wrong", "my password is too long"),
    ),
)


class SecretValueRecognizer(Recognizer):
    name = "secret_value"
    types = ("VERIFICATION_CODE", "PASSWORD")
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        texts = [view.folded] if view.spoken is None else [view.folded, view.spoken]
        for mapped in texts:
            lowered = mapped.text.lower()
            for match in _SECRET.finditer(mapped.text):
                if match.group("otp"):
                    digits = re.sub(r"[ \-]", "", match.group("otp"))
                    start, end = mapped.original_span(*match.span("otp"))
                    yield Candidate(
                        start, end, "VERIFICATION_CODE", "full", digits, 0.85,
                        self.name, "code next to a code cue",
                    )  # fmt: skip
                    continue
                if is_negated(lowered, match.start(), match.end()):
                    continue  # "don't send your password here"
                candidate = self._password(mapped, match)
                if candidate is not None:
                    yield candidate

    def _password(self, mapped: MappedText, match: re.Match[str]) -> Candidate | None:
        value = match.group("password")
        cue = match.group("password_cue").lower()
        if _NOT_A_PASSWORD.match(value) or (value.isalpha() and not value.isascii()):
            return None
        if cue.startswith("pin") and not value.isdigit():
            return None  # a PIN is digits: "PIN here" is a sentence
        explicit = any(mark in match.group("connector") for mark in ":：=是为")
        if value.isalpha() and value.islower() and not explicit:
            return None  # "my password is here somewhere"
        start, end = mapped.original_span(*match.span("password"))
        return Candidate(
            start, end, "PASSWORD", "full", value, 0.75, self.name,
            "password next to a password cue",
        )  # fmt: skip


RECOGNIZERS = [SecretValueRecognizer()]
