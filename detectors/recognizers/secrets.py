"""Secrets written out in the record: one-time codes and passwords with their cue.

"验证码是482913", "my password is ...": keeping such a value in the record is
never allowed, whoever wrote it. Answers given in a later message, after an
agent asked for the secret, are found by the secret-answer analyzer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from detectors.recognizers.base import Candidate, Recognizer, Rule, SegmentView

_IS = r"\s*(?:是|为|:|：|=|is|was|are)?\s*"
_SECRET = re.compile(
    rf"""
    (?:
      (?P<otp_cue>验证码|校验码|动态码|动态密码|短信码
        |(?<![a-z])(?:one[\ -]time\ code|verification\ code|otp|passcode|sms\ code
        |login\ code|security\ code\ we\ sent)(?![a-z]))
      {_IS}(?P<otp>[0-9]{{4,8}})(?![0-9])
    |
      # Latin cues must be whole words: "Pinewood" and "Spinnaker" hold no PIN.
      (?P<password_cue>密码|口令|pin码|(?<![a-z])(?:password|passcode|pin)(?![a-z]))
      {_IS}
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
        for match in _SECRET.finditer(view.folded.text):
            if match.group("otp"):
                yield Candidate(
                    match.start("otp"),
                    match.end("otp"),
                    "VERIFICATION_CODE",
                    "full",
                    match.group("otp"),
                    0.85,
                    self.name,
                    "code next to a code cue",
                )
                continue
            value = match.group("password")
            if _NOT_A_PASSWORD.match(value) or value.isalpha() and not value.isascii():
                continue
            yield Candidate(
                match.start("password"),
                match.end("password"),
                "PASSWORD",
                "full",
                value,
                0.75,
                self.name,
                "password next to a password cue",
            )


RECOGNIZERS = [SecretValueRecognizer()]
