"""Text normalisation that keeps a map back to the original offsets.

Recognizers match on normalised text (half-width digits, plain spaces, ASCII
hyphens, spoken digits turned into digits) but every finding must point into
the text exactly as the platform sent it. `MappedText` carries, for each
character of the normalised text, the span of original characters it came
from, so any transform can be chained and a match mapped back in one step.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

# Separators that people and input methods put inside a long number:
# spaces of every width and every kind of dash fold to these two.
_SPACES = "\u00a0\u2002\u2003\u2009\u200a\u202f\u205f\u3000"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"
_WIDTH_TABLE = {ord(c): " " for c in _SPACES}
_WIDTH_TABLE.update({ord(c): "-" for c in _DASHES})
# Full-width ASCII (U+FF01..U+FF5E) maps one-to-one onto U+0021..U+007E.
_WIDTH_TABLE.update({code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)})


@dataclass(frozen=True)
class MappedText:
    """Normalised text with the original span of each of its characters."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @classmethod
    def identity(cls, text: str) -> MappedText:
        positions = tuple(range(len(text)))
        return cls(text, positions, tuple(p + 1 for p in positions))

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map the half-open span [start, end) back to original offsets."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(
                f"span {start}:{end} is outside the normalised text "
                f"of length {len(self.text)}"
            )
        return self.starts[start], self.ends[end - 1]

    def rewrite(self, pieces: Sequence[tuple[int, int, str]]) -> MappedText:
        """Replace non-overlapping spans of this text, keeping the map.

        Each piece is (start, end, replacement) in this text's offsets, in
        ascending order. Every character of a replacement maps to the whole
        original span of what it replaced.
        """
        text: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        cursor = 0
        for start, end, replacement in pieces:
            if start < cursor:
                raise ValueError("rewrite pieces overlap or are out of order")
            text.append(self.text[cursor:start])
            starts.extend(self.starts[cursor:start])
            ends.extend(self.ends[cursor:start])
            original_start, original_end = self.original_span(start, end)
            text.append(replacement)
            starts.extend([original_start] * len(replacement))
            ends.extend([original_end] * len(replacement))
            cursor = end
        text.append(self.text[cursor:])
        starts.extend(self.starts[cursor:])
        ends.extend(self.ends[cursor:])
        return MappedText("".join(text), tuple(starts), tuple(ends))


def fold_width(text: str) -> MappedText:
    """Fold full-width characters, odd spaces and dashes to ASCII, one for one.

    The result has the same length as the input, so its offsets are the
    original offsets.
    """
    return MappedText.identity(text.translate(_WIDTH_TABLE))


# A digit run: digits, optionally grouped by single spaces, hyphens or dots
# (at most two separator characters between groups), optionally ending in an
# X as resident IDs do. A run never starts or ends next to a Latin letter or
# digit, so "SF6211354998039" and hashes are not runs; it may touch Chinese
# characters on both sides, which Python's `\b` would not allow.
_DIGIT_RUN = re.compile(
    r"""
    (?<![0-9A-Za-z])
    (?P<run>[0-9](?:[ .\-]{1,2}[0-9]|[0-9])*)
    (?P<check>[Xx])?
    (?![0-9A-Za-z])
    """,
    re.VERBOSE,
)
_SEPARATOR = re.compile(r"[ .\-]{1,2}")


@dataclass(frozen=True)
class DigitRun:
    """A run of digits in a mapped text, with its grouping.

    `digits` holds the digits only (and a final upper-case X when the run
    ends in one); `positions[i]` is the index of `digits[i]` in the mapped
    text; `groups` holds the lengths of the separator-delimited groups.
    """

    digits: str
    positions: tuple[int, ...]
    groups: tuple[int, ...]
    separators: tuple[str, ...]

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Return the mapped-text span from digit `first` to digit `last`."""
        return self.positions[first], self.positions[last] + 1

    @cached_property
    def _bounds(self) -> tuple[int, ...]:
        """Digit index where each group starts, then the total digit count."""
        return tuple(itertools.accumulate(self.groups, initial=0))

    def slice_groups(self, first: int, last: int) -> tuple[int, ...]:
        """Return the group lengths inside the digit-index slice [first, last)."""
        bounds = self._bounds
        group = bisect.bisect_right(bounds, first) - 1
        sizes = []
        while group < len(self.groups) and bounds[group] < last:
            overlap = min(bounds[group + 1], last) - max(bounds[group], first)
            if overlap > 0:
                sizes.append(overlap)
            group += 1
        return tuple(sizes)

    def grouped_like_one_number(self, first: int, last: int) -> bool:
        """Tell whether a slice is grouped the way people write one long number.

        Long numbers are written in groups of three or more digits (4-4-4-4,
        4-6-5, 6-8-4); only the last group may be shorter. Two-digit groups
        such as "41 11 11 11 ..." are a list of small numbers, not a card.
        """
        groups = self.slice_groups(first, last)
        return all(size >= 3 for size in groups[:-1])

    def group_slices(self, max_groups: int = 12) -> Iterator[tuple[int, int]]:
        """Yield digit-index slices that start and end on group boundaries.

        The whole run comes first, then shorter contiguous ranges of groups,
        longest first. Runs with more than `max_groups` groups only yield
        ranges of up to `max_groups` groups.
        """
        bounds = [0]
        for size in self.groups:
            bounds.append(bounds[-1] + size)
        count = len(self.groups)
        for width in range(min(count, max_groups), 0, -1):
            for first in range(0, count - width + 1):
                yield bounds[first], bounds[first + width]


def digit_runs(mapped: MappedText) -> list[DigitRun]:
    """Find the digit runs of a normalised text."""
    runs = []
    text = mapped.text
    for match in _DIGIT_RUN.finditer(text):
        digits: list[str] = []
        positions: list[int] = []
        groups: list[int] = []
        separators: list[str] = []
        size = 0
        index = match.start("run")
        end = match.end("run")
        while index < end:
            char = text[index]
            if char.isdigit():
                digits.append(char)
                positions.append(index)
                size += 1
                index += 1
                continue
            separator = _SEPARATOR.match(text, index)
            assert separator is not None  # the run pattern only allows these
            groups.append(size)
            separators.append(separator.group())
            size = 0
            index = separator.end()
        if match.group("check"):
            digits.append("X")
            positions.append(match.start("check"))
            size += 1
        groups.append(size)
        runs.append(
            DigitRun(
                "".join(digits), tuple(positions), tuple(groups), tuple(separators)
            )
        )
    return runs
