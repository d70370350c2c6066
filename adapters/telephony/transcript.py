"""Shared pieces of call transcripts: roles, times, word timings and ids.

Every telephony parser stores the words it has timings for in
`segment.extra["words"]`, as dicts with `start` and `end` (character offsets
into the segment's text), `text`, `start_ms` and `end_ms`. `finding_time_range`
uses them to place a finding in the recording, and interpolates over the
segment's own times when a transcript has no word timings.

A segment whose times the provider gave but that cannot be used (missing in
one sentence, negative, past `MAX_TIME_MS`, or ending before they start) has
no times, and `segment.extra["time_error"]` says which field was wrong, so
its findings are reported as `invalid` rather than silently left unmuted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
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
METHOD_INVALID = "invalid"
# Key of `segment.extra` that names the time field a parser could not use.
TIME_ERROR = "time_error"
# No call lasts a week; a larger offset is a broken field, and SQLite's
# integers could not hold some of them.
MAX_TIME_MS = 7 * 24 * 3600 * 1000

_MAX_SECONDS = Decimal(MAX_TIME_MS) / 1000

# See `is_plain_id`.
_PLAIN_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_DIGIT_RUN = re.compile(r"[0-9](?:[-._:]?[0-9]){5,}")
_DIGITS = re.compile(r"[0-9]{6}")
_UUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
# The form of the keyed hash that `keyed_id` gives an id that is not plain.
_KEYED = re.compile(r"h-[0-9a-f]{32}")


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
    non-negative number of at most `MAX_TIME_MS`. The message never quotes
    the value.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise PayloadInvalid(
            f"{field} is {type(value).__name__}; expected seconds as a number"
        )
    try:
        seconds = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise PayloadInvalid(f"{field} is not a number of seconds") from None
    if not seconds.is_finite() or seconds < 0:
        raise PayloadInvalid(f"{field} must be a finite, non-negative number")
    # Compared before multiplying: a huge exponent such as 1e999999999
    # overflows Decimal arithmetic, though comparing it does not.
    if seconds > _MAX_SECONDS:
        raise PayloadInvalid(_too_late(field))

    return int((seconds * 1000).to_integral_value())


def millis(value: object, field: str) -> int:
    """Read a whole, non-negative number of milliseconds, at most `MAX_TIME_MS`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PayloadInvalid(
            f"{field} is {type(value).__name__}; expected milliseconds as a number"
        )
    if value != value or value < 0 or value == float("inf"):
        raise PayloadInvalid(f"{field} must be a finite, non-negative number")
    if value > MAX_TIME_MS:
        raise PayloadInvalid(_too_late(field))

    return int(value)


def _too_late(field: str) -> str:
    return f"{field} is more than 7 days into the call; expected a time in the call"


def timed_span(
    start_ms: int | None, end_ms: int | None, where: str
) -> tuple[int | None, int | None, str | None]:
    """Return a segment's (start_ms, end_ms, time error) from its parsed times.

    An end before the start makes the segment untimed, with an error naming
    `where`, because neither time can be trusted to mute the right audio.
    """
    if start_ms is not None and end_ms is not None and end_ms < start_ms:
        return None, None, f"{where} ends before it starts"
    return start_ms, end_ms, None


def clamp_words(
    words: Sequence[TimedWord], start_ms: int | None, end_ms: int | None
) -> list[TimedWord]:
    """Keep each word inside its segment's time range, dropping empty ones.

    A word that ends before it starts, or lies wholly outside the segment,
    is dropped, and `finding_time_range` interpolates over it instead.
    """
    kept: list[TimedWord] = []
    for word in words:
        first, last = word.start_ms, word.end_ms
        if start_ms is not None and end_ms is not None:
            first = min(max(first, start_ms), end_ms)
            last = min(max(last, start_ms), end_ms)
        if last > first:
            kept.append(TimedWord(word.text, first, last))
    return kept


def is_plain_id(value: str) -> bool:
    """Return True for a provider id that is safe to store as it is.

    A plain id has 1 to 128 letters, digits and `._:-`, and no run of six
    digits, which could be a phone or card number. Outside a UUID, digits
    split by single separators (`138-0013-8000`) count as one run. Inside a
    UUID they do not, because its groups of hex digits often meet that way.
    """
    if not _PLAIN_ID.fullmatch(value):
        return False
    runs = _DIGITS if _UUID.fullmatch(value) else _DIGIT_RUN
    return not runs.search(value)


def keyed_id(value: str, key: bytes) -> str:
    """Return a provider id fit to store and echo: as it is, or its keyed hash.

    An id that is not plain (see `is_plain_id`) could carry a phone or card
    number, so it becomes `h-` and 32 hex digits of HMAC-SHA256 under `key`.
    The same id always gives the same hash, so deliveries of one call still
    meet in one case. Such a hash is returned as it is, so an id that
    passes through here twice keeps its first hash.

    Raise `ValueError` when the id must be hashed and `key` is empty.
    """
    if is_plain_id(value) or _KEYED.fullmatch(value):
        return value
    if not key:
        raise ValueError("no key to hash a provider id with; pass the fingerprint key")
    return "h-" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


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


def unique_ids(
    candidates: Sequence[object],
    prefix: str,
    plain: Callable[[str], bool] = is_plain_id,
) -> list[str]:
    """Return the provider's ids when all are present, distinct and plain.

    Otherwise every segment gets a positional id (`prefix` plus a 1-based
    index), so ids stay unique within the interaction. Segment ids are
    stored with findings, so an id must pass `plain`, by default
    `is_plain_id`.
    """
    present = [c for c in candidates if isinstance(c, str) and c and plain(c)]
    if len(present) == len(candidates) and len(set(present)) == len(present):
        return list(present)

    return [f"{prefix}{index}" for index in range(1, len(candidates) + 1)]


def usable_range(start_ms: int | None, end_ms: int | None) -> bool:
    """Return True when a range can be muted: 0 <= start < end <= `MAX_TIME_MS`."""
    if start_ms is None or end_ms is None:
        return False
    return 0 <= start_ms < end_ms <= MAX_TIME_MS


def _word_entries(words: object) -> list[tuple[int, int, int, int]]:
    """Read word entries as (start, end, start_ms, end_ms), skipping malformed ones.

    The generic format lets a sender put anything in `words`.
    """
    if not isinstance(words, list):
        return []
    entries = []
    for word in words:
        if not isinstance(word, Mapping):
            continue
        values = [word.get(name) for name in ("start", "end", "start_ms", "end_ms")]
        numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        if len(numbers) == 4:
            entries.append((numbers[0], numbers[1], numbers[2], numbers[3]))
    return entries


def finding_time_range(
    segment: Segment, start: int, end: int
) -> tuple[int | None, int | None, str]:
    """Place characters `start:end` of a segment in the recording.

    Return (start_ms, end_ms, method). The method is `words` when timed words
    overlap the range, `interpolated` when the range is spread linearly over
    the segment's own start and end, `none` (with no times) when the segment
    has no times at all, and `invalid` (with no times) when its times cannot
    be used: an empty or reversed range, one past `MAX_TIME_MS`, or times
    a parser dropped (see `TIME_ERROR`).
    """
    overlapping = [
        w
        for w in _word_entries(segment.extra.get("words"))
        if w[0] < end and w[1] > start
    ]
    if overlapping:
        first = min(w[2] for w in overlapping)
        last = max(w[3] for w in overlapping)
        if usable_range(first, last):
            return first, last, METHOD_WORDS

    if segment.start_ms is None or segment.end_ms is None or not segment.text:
        if segment.extra.get(TIME_ERROR) or overlapping:
            return None, None, METHOD_INVALID
        return None, None, METHOD_NONE

    duration = segment.end_ms - segment.start_ms
    length = len(segment.text)
    start_ms = segment.start_ms + duration * start // length
    # Round the end up, so the range never cuts the last character short.
    end_ms = segment.start_ms - (-duration * end // length)
    if not usable_range(start_ms, end_ms):
        return None, None, METHOD_INVALID

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
