"""The recognizer contract: propose candidates loosely, then prove them.

A recognizer reads one segment through a `SegmentView` (the original text
plus normalised views of it, built once and shared by every recognizer) and
yields `Candidate`s. A candidate contains the canonical value in memory so the
engine can mask and fingerprint it; the value never leaves the detectors.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from detectors.normalize import DigitRun, MappedText, digit_runs, fold_width
from detectors.spoken import has_spoken_digits, spoken_digits
from detectors.types import Segment


@dataclass
class Candidate:
    """A proposed item with offsets into the segment's original text."""

    start: int
    end: int
    type: str
    form: str
    value: str
    confidence: float
    rule: str
    explanation: str = ""
    tags: set[str] = field(default_factory=set)
    shown: str = ""
    """The value as written (compact), masked for display when set; `value`
    stays the canonical form that fingerprints compare."""

    def __repr__(self) -> str:
        # The value is personal data, so the repr leaves it out.
        return (
            f"Candidate({self.type} {self.form} {self.start}:{self.end} "
            f"rule={self.rule} confidence={self.confidence:.2f})"
        )

    @property
    def length(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Candidate) -> bool:
        return self.start < other.end and other.start < self.end


class SegmentView:
    """One segment with the normalised views that recognizers share."""

    def __init__(self, segment: Segment, language: str | None = None) -> None:
        self.segment = segment
        self.text = segment.text
        self.language = language

    @cached_property
    def folded(self) -> MappedText:
        """The text with full-width characters folded, same length as the text."""
        return fold_width(self.text)

    @cached_property
    def lowered(self) -> str:
        """The folded text in lower case, same length as the text, for keywords."""
        return "".join(
            c.lower() if len(c.lower()) == 1 else c for c in self.folded.text
        )

    @cached_property
    def runs(self) -> list[DigitRun]:
        """Digit runs of the folded text; their positions index `folded`."""
        return digit_runs(self.folded)

    @cached_property
    def spoken(self) -> MappedText | None:
        """The folded text with spoken digits turned into digits, if it has any."""
        if not has_spoken_digits(self.folded.text):
            return None
        return spoken_digits(self.folded)

    @cached_property
    def spoken_runs(self) -> list[DigitRun]:
        """Digit runs of `spoken` that hold at least one spoken digit."""
        if self.spoken is None:
            return []
        written = {
            self.folded.original_span(*r.span(0, len(r.digits) - 1)) for r in self.runs
        }
        found = []
        for run in digit_runs(self.spoken):
            span = self.spoken.original_span(*run.span(0, len(run.digits) - 1))
            if span not in written:
                found.append(run)
        return found

    def digit_sources(self) -> Iterator[tuple[MappedText, DigitRun]]:
        """Yield every digit run, written or spoken, with the text it indexes."""
        for run in self.runs:
            yield self.folded, run
        if self.spoken is not None:
            for run in self.spoken_runs:
                yield self.spoken, run

    def run_span(
        self, mapped: MappedText, run: DigitRun, first: int, last: int
    ) -> tuple[int, int]:
        """Return the original span of digits `first` to `last - 1` of a run."""
        return mapped.original_span(*run.span(first, last - 1))

    def before(self, start: int, window: int = 16) -> str:
        """Return up to `window` folded, lower-cased characters before `start`."""
        return self.lowered[max(0, start - window) : start]

    def after(self, end: int, window: int = 16) -> str:
        return self.lowered[end : end + window]

    def context(self, start: int, end: int, window: int = 16) -> str:
        return self.before(start, window) + " " + self.after(end, window)


# Words right before a document-shaped code that make it an order, product,
# licence or booking reference rather than a passport or permit number.
# fmt: off
REFERENCE_NUMBER_WORDS = (
    "订单", "单号", "运单", "快递", "工单", "物流", "型号", "货号", "批号", "发票", "order", "tracking",
    "invoice", "ticket", "model", "sku", "serial", "part", "驾驶证", "驾照", "会员", "预订",
    "license", "licence", "driver", "member", "booking", "confirmation",
)
# fmt: on


def keyword_pattern(words: Sequence[str]) -> re.Pattern[str]:
    """Compile context words into one case-insensitive alternation.

    Latin words match on word boundaries; Chinese words match anywhere,
    because Chinese text has no spaces between words.
    """
    parts = []
    for word in sorted(words, key=len, reverse=True):
        escaped = re.escape(word.lower())
        if word.isascii() and word[:1].isalnum():
            parts.append(rf"(?<![a-z]){escaped}(?![a-z])")
        else:
            parts.append(escaped)
    return re.compile("|".join(parts) or r"(?!x)x")


def context_note(pattern: re.Pattern[str], text: str) -> str:
    """Return "; context: w1, w2" naming the context words found in `text`."""
    words = sorted({match.group().strip() for match in pattern.finditer(text)})
    return f"; context: {', '.join(words)}" if words else ""


def shown_digits(view: SegmentView, start: int, end: int) -> str:
    """Return the digits (and a leading +) written in a span, for display."""
    written = view.folded.text[start:end]
    return "".join(c for c in written if c.isdigit() or (c == "+" and c == written[0]))


@dataclass(frozen=True)
class Rule:
    """One identification rule of a recognizer, documented with examples.

    `examples` are texts in which the detector must report `type` with
    `form`; `counter_examples` are texts in which it must not. One test
    runs the examples of every rule of every recognizer.
    """

    id: str
    type: str
    description: str
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...] = ()
    form: str = "full"


@dataclass(frozen=True)
class Shape:
    """A shape a recognizer accepts, with its confidences and examples.

    `without_keyword` is None when the shape counts only next to one of the
    recognizer's keywords; `description` may stay empty when the recognizer
    writes its rule descriptions itself.
    """

    with_keyword: float
    without_keyword: float | None
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...] = ()
    description: str = ""


class Recognizer(ABC):
    """Finds one family of items in a segment.

    Subclasses set `name` (the rule id reported with every finding),
    `types` (the entity types they can report) and `rules` (the rules they
    apply, with examples), and implement `find`.
    """

    name: str = ""
    types: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()

    @abstractmethod
    def find(self, view: SegmentView) -> Iterable[Candidate]:
        """Yield the candidates found in one segment."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
