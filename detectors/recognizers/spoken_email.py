"""Email addresses read aloud or typed out in words: "li dot ming at qq dot com".

The address must end in a top-level domain people use for mail, read as
"dot com" or written ".com", so ordinary sentences with "at" never match.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from detectors.recognizers.base import Candidate, Recognizer, SegmentView

_DOT = r"(?:\s*\.\s*|\s+(?:dot|點|点)\s+|\s*(?:點|点)\s*)"
_JOIN = rf"(?:{_DOT}|\s+(?:underscore|under\ score|dash|hyphen|下划线|减号)\s+)"
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


class SpokenEmailRecognizer(Recognizer):
    name = "spoken_email"
    types = ("EMAIL_ADDRESS",)

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
