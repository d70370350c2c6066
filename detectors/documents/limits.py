"""Resource limits for one document, and the deadline that enforces its time.

Uploads come from customers, so a file may be huge, a decompression bomb or
a PDF of thousands of pages. Each limit turns into a `not_inspected` result
with a reason, never into an exception that reaches the caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from detectors.documents.errors import NotInspected

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one document may cost: bytes, decoded pixels, pages and seconds.

    `max_pixels` applies to an image upload and to each rendered PDF page;
    a PDF page that would exceed it is rendered at a lower resolution.
    """

    max_bytes: int = 20 * MIB
    max_pixels: int = 40_000_000
    max_pages: int = 50
    max_seconds: float = 60.0

    def check_size(self, size: int) -> None:
        """Raise `NotInspected` when a file of `size` bytes is over the limit."""
        if size > self.max_bytes:
            raise NotInspected(
                f"file too large: {size} bytes, the limit is {self.max_bytes} bytes"
            )

    def check_pixels(self, width: int, height: int) -> None:
        """Raise `NotInspected` when an image of this size is over the limit."""
        if width * height > self.max_pixels:
            raise NotInspected(
                f"too many pixels: {width}x{height} = {width * height} pixels, "
                f"the limit is {self.max_pixels}"
            )

    def check_pages(self, pages: int) -> None:
        """Raise `NotInspected` when a PDF has more pages than the limit."""
        if pages > self.max_pages:
            raise NotInspected(
                f"too many pages: {pages}, the limit is {self.max_pages}"
            )


class Deadline:
    """The time left for one document, measured on a monotonic clock."""

    def __init__(
        self, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        """Return the seconds left, never below zero."""
        return max(0.0, self._end - self._clock())

    def check(self) -> None:
        """Raise `NotInspected` once the time is up."""
        if self.remaining() <= 0:
            raise self.timed_out()

    def timeout_for_call(self, minimum: float = 1.0) -> float:
        """Return the timeout to pass to one OCR call, after checking the time.

        Tesseract's timeout is counted in whole seconds by pytesseract, so a
        call never gets less than `minimum`: a document may overrun its limit
        by up to that much.
        """
        self.check()
        return max(minimum, self.remaining())

    def timed_out(self) -> NotInspected:
        return NotInspected(f"timed out: the limit is {self.seconds:g} s per document")


# The defaults, shared: `Limits` is frozen, so one instance serves every call.
DEFAULT_LIMITS = Limits()
