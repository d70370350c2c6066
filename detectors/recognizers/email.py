"""Email addresses, plus-addressing kept whole.

File names that look like addresses (`avatar@2x.png`) are dropped by their
extension, which is never a top-level domain people use for mail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from detectors.recognizers.base import Candidate, Recognizer, Rule, SegmentView

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


RULES = (
    Rule(
        "email.address",
        "EMAIL_ADDRESS",
        "local part, @ and a domain ending in a top-level domain of letters",
        examples=(
            "请发到 lin.yue88@example.com 谢谢",
            "mail me at Chen.Hao@Example.CN",
        ),
        counter_examples=("user@localhost", "@example.com"),
    ),
    Rule(
        "email.plus_tag",
        "EMAIL_ADDRESS",
        "plus-addressing stays part of the address",
        examples=("收据发 zhou_qing+receipts@mail.example.org",),
    ),
    Rule(
        "email.subdomain",
        "EMAIL_ADDRESS",
        "a domain of several labels, country-code second-level domains included",
        examples=("my work address is r.patel@eu.billing.example.co.uk",),
    ),
    Rule(
        "email.full_width",
        "EMAIL_ADDRESS",
        "an address typed in full-width characters",
        examples=("邮箱ｗａｎｇ．ｌｅｉ＠ｅｘａｍｐｌｅ．ｃｏｍ",),
    ),
    Rule(
        "email.file_name",
        "EMAIL_ADDRESS",
        "a name ending in a file extension (avatar@2x.png) is a file, not an address",
        examples=("头像 avatar@2x.png 传不上去，发到 lin.yue88@example.com 吧",),
        counter_examples=("头像文件 avatar@2x.png 上传失败", "icon@3x.jpg"),
    ),
)


class EmailRecognizer(Recognizer):
    name = "email"
    types = ("EMAIL_ADDRESS",)
    rules = RULES

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
