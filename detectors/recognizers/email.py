"""Email addresses, plus-addressing kept whole.

File names that look like addresses (`avatar@2x.png`) are dropped by their
extension, which is never a top-level domain people use for mail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from detectors.recognizers.base import Candidate, Recognizer, SegmentView

_EMAIL = re.compile(
    r"""
    (?<![A-Za-z0-9._%+\-])
    (?P<local>[A-Za-z0-9](?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9_%+\-])?)
    @
    (?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+)
    (?P<tld>[A-Za-z]{2,24})
    (?![A-Za-z0-9\-])
    """,
    re.VERBOSE,
)
_FILE_EXTENSIONS = frozenset(
    [
        "png",
        "jpg",
        "jpeg",
        "gif",
        "svg",
        "webp",
        "bmp",
        "ico",
        "tif",
        "tiff",
        "heic",
        "pdf",
        "css",
        "js",
        "ts",
        "json",
        "xml",
        "html",
        "htm",
        "txt",
        "md",
        "zip",
        "gz",
        "mp3",
        "mp4",
        "wav",
        "mov",
        "avi",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
    ]
)


class EmailRecognizer(Recognizer):
    name = "email"
    types = ("EMAIL_ADDRESS",)

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        for match in _EMAIL.finditer(view.folded.text):
            tld = match.group("tld").lower()
            if tld in _FILE_EXTENSIONS:
                continue
            yield Candidate(
                match.start(),
                match.end(),
                "EMAIL_ADDRESS",
                "full",
                match.group().lower(),
                0.95,
                self.name,
                "email address",
            )


RECOGNIZERS = [EmailRecognizer()]
