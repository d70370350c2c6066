"""Shared pieces of call transcripts: roles, times and word timings.

Every telephony parser stores the words it has timings for in
`segment.extra["words"]`, as dicts with `start` and `end` (character offsets
into the segment's text), `text`, `start_ms` and `end_ms`. `finding_time_range`
uses them to place a finding in the recording, and interpolates over the
segment's own times when a transcript has no word timings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.errors import PayloadInvalid
from detectors.schema import ValidationError, interaction_from_dict
from detectors.types import SPEAKERS, Interaction, Segment

# Twilio's usual layout of a dual-channel recording: the caller on channel 1
# and the agent on channel 2. SIP trunk recordings are often the other way
# round, so callers pass their own map when their setup differs.
DEFAULT_CHANNEL_ROLES: Mapping[int, str] = {1: "customer", 2: "agent"}

METHOD_WORDS = "words"
METHOD_INTERPOLATED = "interpolated"
METHOD_NONE = "none"


@dataclass(frozen=True)
class TimedWord:
    """A recognised word with its time in the recording, in milliseconds."""

    text: str
    start_ms: int
    end_ms: int


def check_roles(roles: Iterable[str]) -> None:
    """Raise `ValueError` when a configured role is not a known speaker."""
    for role in roles:
        if role not in SPEAKERS:
            raise ValueError(
                f"configured role {role!r} is invalid; expected one of "
                f"{', '.join(SPEAKERS)}"
            )


def seconds_to_ms(value: object, field: str) -> int:
    """Convert an offset in seconds (a number or a numeric string) to ms.

    Raise `PayloadInvalid` naming `field` when the value is not a finite,
    non-negative number. The message never quotes the value.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise PayloadInvalid(
            f"{field} is {type(value).__name__}; expected seconds as a number"
        )
    try:
        seconds = Decimal(str(value).strip())
    except InvalidOperation:
        raise PayloadInvalid(f"{field} is not a number of seconds") from None
    if not seconds.is_finite() or seconds < 0:
        raise PayloadInvalid(f"{field} must be a finite, non-negative number")

    return int((seconds * 1000).to_integral_value())


def millis(value: object, field: str) -> int:
    """Read a whole, non-negative number of milliseconds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PayloadInvalid(
            f"{field} is {type(value).__name__}; expected milliseconds as a number"
        )
    if value != value or value < 0 or value == float("inf"):
        raise PayloadInvalid(f"{field} must be a finite, non-negative number")

    return int(value)


def align_words(text: str, words: Sequence[TimedWord]) -> list[dict[str, Any]]:
    """Find each timed word in `text`, in order, and return the word entries.

    A word is searched for from the end of the previous match, ignoring case,
    so repeated words map to successive occurrences. A word that is not in
    the text (the recogniser's word list and its formatted text can differ,
    for example "five" against "5") is left out, and `finding_time_range`
    then interpolates around it.
    """
    aligned: list[dict[str, Any]] = []
    cursor = 0
    for word in words:
        needle = word.text.strip()
        if not needle:
            continue
        match = re.compile(re.escape(needle), re.IGNORECASE).search(text, cursor)
        if match is None:
            continue
        aligned.append(
            {
                "start": match.start(),
                "end": match.end(),
                "text": match.group(),
                "start_ms": word.start_ms,
                "end_ms": word.end_ms,
            }
        )
        cursor = match.end()

    return aligned


def unique_ids(candidates: Sequence[str | None], prefix: str) -> list[str]:
    """Return the provider's ids when all are present and distinct.

    Otherwise every segment gets a positional id (`prefix` plus a 1-based
    index), so ids stay unique within the interaction.
    """
    present = [c for c in candidates if c]
    if len(present) == len(candidates) and len(set(present)) == len(present):
        return list(present)

    return [f"{prefix}{index}" for index in range(1, len(candidates) + 1)]


def finding_time_range(
    segment: Segment, start: int, end: int
) -> tuple[int | None, int | None, str]:
    """Place characters `start:end` of a segment in the recording.

    Return (start_ms, end_ms, method). The method is `words` when timed words
    overlap the range, `interpolated` when the range is spread linearly over
    the segment's own start and end, and `none` (with no times) when the
    segment has no times at all.
    """
    words = segment.extra.get("words")
    if isinstance(words, list):
        overlapping = [w for w in words if w["start"] < end and w["end"] > start]
        if overlapping:
            first = min(int(w["start_ms"]) for w in overlapping)
            last = max(int(w["end_ms"]) for w in overlapping)
            return first, last, METHOD_WORDS

    if segment.start_ms is None or segment.end_ms is None or not segment.text:
        return None, None, METHOD_NONE

    duration = segment.end_ms - segment.start_ms
    length = len(segment.text)
    start_ms = segment.start_ms + duration * start // length
    # Round the end up, so the range never cuts the last character short.
    end_ms = segment.start_ms - (-duration * end // length)

    return start_ms, end_ms, METHOD_INTERPOLATED


def interaction_from_generic(data: object) -> Interaction:
    """Parse the generic transcript format (Redline's Interaction JSON).

    Voice segments carry `start_ms` and `end_ms`, and may carry word timings
    in `words`, in the shape this module describes. Raise `PayloadInvalid`
    naming the invalid fields.
    """
    try:
        return interaction_from_dict(data)
    except ValidationError as error:
        fields = ", ".join(sorted(_error_fields(error.messages)))
        raise PayloadInvalid(f"invalid transcript: check {fields}") from None


def _error_fields(messages: object, prefix: str = "") -> list[str]:
    """Flatten marshmallow's error tree to dotted field names, without values."""
    if not isinstance(messages, dict):
        return [prefix or "the document"]
    names: list[str] = []
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        names.extend(_error_fields(value, path) if isinstance(value, dict) else [path])
    return names
