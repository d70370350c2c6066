"""Exceptions of the document package.

    DocumentError
     +-- UnreadableDocument   the bytes are not an image or PDF this package reads
     +-- RedactionFailed      a redacted copy still shows a value: do not release it
     +-- OcrUnavailable       the requested OCR engine is not installed

`NotInspected` is internal: `extract` turns it into a `Document` with
status "not_inspected" and the exception's message as the reason. No message
of this package contains a detected value.
"""

from __future__ import annotations


class DocumentError(Exception):
    """Base class of the errors that this package raises to callers."""


class UnreadableDocument(DocumentError):
    """The input is corrupt, truncated, over a limit or of an unsupported type."""


class OcrUnavailable(DocumentError):
    """The OCR engine that was asked for is not installed or cannot start."""


class RedactionFailed(DocumentError):
    """A value is still readable in the redacted copy.

    `page` is the 1-based page where it was found and `location` names where it
    was read back: "text", "widget", "annotation", "metadata" or "image".
    """

    def __init__(self, page: int | None, location: str) -> None:
        where = f"page {page}" if page is not None else "the document"
        super().__init__(
            f"redaction failed: a value is still readable in the {location} of "
            f"{where}; the redacted copy must not be released"
        )
        self.page = page
        self.location = location


class NotInspected(Exception):
    """A document cannot be inspected; the message is the reason shown to users."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
