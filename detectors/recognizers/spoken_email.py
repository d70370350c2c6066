"""Email addresses read aloud or typed out in words: "li dot ming at qq dot com".

The address must end in a top-level domain people use for mail, read as
"dot com" or written ".com", so sentences such as "meet me at home" never
match.

NOTE: a word before "at" and a site named after it ("look at example dot
com") still reads as an address, because the words alone cannot tell them
apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from detectors.recognizers.base import Candidate, Recognizer, Rule, SegmentView

_DOT = r"(?:\s*\.\s*|\s+(?:dot|點|点)\s+|\s*(?:點|点)\s*)"
_JOIN = (
    rf"(?:{_DOT}|\s+(?:underscore|under\ score|dash|hyphen)\s+"
    r"|\s*(?:下划线|减号)\s*)"
)
_AT = r"(?:\s+(?:at|at\ sign)\s+|\s*(?:艾特|at符号|圈a|@)\s*)"
_WORD = r"[a-z0-9][a-z0-9+\-]*"
_TLD = r"(?:com|net|org|cn|edu|gov|io|co|uk|me|info|biz|hk|tw|jp|us|de|fr)"
_SPOKEN_EMAIL = re.compile(
    rf"""
    (?<![a-z0-9@])
    (?P<local>{_WORD}(?:{_JOIN}{_WORD}){{0,4}})
    {_AT}
    (?P<domain>{_WORD}(?:{_DOT}{_WORD}){{0,3}}{_DOT}{_TLD})
    (?![a-z0-9])
    """,
    re.VERBOSE,
)
_SEPARATORS = (
    (re.compile(rf"{_DOT}"), "."),
    (re.compile(r"\s+(?:underscore|under score)\s+|\s*下划线\s*"), "_"),
    (re.compile(r"\s+(?:dash|hyphen)\s+|\s*减号\s*"), "-"),
)


def _compact(spoken: str) -> str:
    for pattern, replacement in _SEPARATORS:
        spoken = pattern.sub(replacement, spoken)
    return spoken.replace(" ", "")


RULES = (
    Rule(
        "spoken_email.english",
        "EMAIL_ADDRESS",
        "an address read with at, dot, underscore and dash, ending in a mail "
        "top-level domain",
        examples=(
            "it's lin dot yue at example dot com",
            "my email is chen underscore hao at mail dot example dot org",
            "the address is k dash morris at example dot co dot uk",
        ),
        counter_examples=(
            "meet me at home dot",
            "I'm at the office, dot com companies",
        ),
    ),
    Rule(
        "spoken_email.chinese",
        "EMAIL_ADDRESS",
        "an address read with 艾特, 点, 下划线 and 减号, with or without spaces",
        examples=(
            "邮箱 zhou下划线qing艾特163点com",
            "邮箱 zhou 减号 qing 艾特 163 点 com",
        ),
        counter_examples=("明天点名，我在艾特那个群",),
    ),
)


class SpokenEmailRecognizer(Recognizer):
    name = "spoken_email"
    types = ("EMAIL_ADDRESS",)
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        text = view.lowered
        for match in _SPOKEN_EMAIL.finditer(text):
            if "@" in match.group():
                continue  # a written address: the email recognizer reports it
            local = _compact(match.group("local"))
            domain = _compact(match.group("domain"))
            yield Candidate(
                match.start(),
                match.end(),
                "EMAIL_ADDRESS",
                "full",
                f"{local}@{domain}",
                0.85,
                self.name,
                "email address read out in words",
            )


RECOGNIZERS = [SpokenEmailRecognizer()]
