"""Secrets written out in the record: one-time codes and passwords with their cue.

"验证码是482913", "my password is ...": keeping such a value in the record is
never allowed, whoever wrote it. Answers given in a later message, after an
agent asked for the secret, are found by the secret-answer analyzer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from detectors.recognizers.base import Candidate, Recognizer, SegmentView

_IS = r"\s*(?:是|为|:|：|=|is|was|are)?\s*"
_SECRET = re.compile(
    rf"""
    (?:
      (?P<otp_cue>验证码|校验码|动态码|动态密码|短信码|one[\ -]time\ code|verification\ code
        |otp|passcode|sms\ code|the\ code)
      {_IS}(?P<otp>[0-9]{{4,8}})(?![0-9])
    |
      (?P<password_cue>密码|口令|pin码|password|pin)
      {_IS}(?P<password>(?=[^\s,，。.!！?？]*[0-9A-Za-z])[^\s,，。!！?？]{{4,32}})
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


class SecretValueRecognizer(Recognizer):
    name = "secret_value"
    types = ("VERIFICATION_CODE", "PASSWORD")

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
