"""vCon (IETF virtualized conversation) documents with a transcript analysis.

A vCon lists `parties`, `dialog` entries (recordings, texts) and `analysis`
entries that refer to a dialog by index. This module reads analyses of type
`transcript` (else `transcript-redacted`) in two body shapes:

- a Deepgram pre-recorded result (`results.channels[].alternatives[]`, with
  `utterances`, `paragraphs` or only `words`), whose speaker or channel index
  picks a party through the dialog's `parties` list;
- a list of turns `{"parties": i, "start", "duration", "text", "words"}`,
  where `start` is an ISO 8601 time (or seconds from the dialog start),
  `duration` is in seconds, and word `start`/`end` are seconds from the
  dialog start.

A party's speaker is its own `role` when that is agent, customer or system,
else the caller's `party_roles` map.
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.errors import PayloadInvalid
from adapters.telephony.transcript import (
    MAX_TIME_MS,
    TIME_ERROR,
    TimedWord,
    align_words,
    check_roles,
    clamp_words,
    keyed_id,
    seconds_to_ms,
    timed_span,
)
from detectors.masking import MaskedText
from detectors.types import SPEAKERS, Interaction, Segment

# Party 0 is usually the one who placed the call. For a customer-service
# line that is the customer, so party 1 is the agent.
DEFAULT_PARTY_ROLES: Mapping[int, str] = {0: "customer", 1: "agent"}
TRANSCRIPT_TYPES = ("transcript", "transcript-redacted")

# (party index, text, start_ms, end_ms, timed words)
_Turn = tuple[int, str, int, int, list[TimedWord]]


def _decode_body(analysis: Mapping[str, Any], where: str) -> Any:
    """Return an analysis body as JSON data, whatever its `encoding`."""
    body = analysis.get("body")
    encoding = analysis.get("encoding", "json")
    if isinstance(body, (dict, list)):
        return body
    if not isinstance(body, str):
        raise PayloadInvalid(f"{where}.body is missing")
    if encoding == "base64url":
        try:
            body = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            raise PayloadInvalid(f"{where}.body is not valid base64url") from None
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except RecursionError:
        raise PayloadInvalid(
            f"{where}.body nests lists or objects too deeply to read"
        ) from None
    except ValueError:
        raise PayloadInvalid(f"{where}.body is not valid JSON") from None


def _reject_constant(name: str) -> Any:
    """Reject NaN and Infinity, which JSON does not allow."""
    raise ValueError(f"{name} is not a JSON value")


def _words(raw_words: object, where: str) -> list[TimedWord]:
    words: list[TimedWord] = []
    if not isinstance(raw_words, list):
        return words
    for index, raw in enumerate(raw_words):
        if not isinstance(raw, Mapping):
            continue
        text = raw.get("punctuated_word") or raw.get("word") or raw.get("text")
        if not isinstance(text, str) or "start" not in raw or "end" not in raw:
            continue
        field = f"{where}.words[{index}]"
        words.append(
            TimedWord(
                text,
                seconds_to_ms(raw["start"], f"{field}.start"),
                seconds_to_ms(raw["end"], f"{field}.end"),
            )
        )
    return words


def _object(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PayloadInvalid(f"{field} must be a JSON object")
    return value


def _list(value: object, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise PayloadInvalid(f"{field} must be a JSON list")
    return value


def _text(value: object, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadInvalid(f"{field} is {type(value).__name__}; expected a string")
    return value


def _index(value: object, field: str) -> int:
    """Read a party, speaker or channel index: a whole, non-negative number."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PayloadInvalid(
            f"{field} must be a party index (a whole number from 0), "
            f"not {type(value).__name__}"
        )
    return value


def _party_of(index: object, dialog_parties: Sequence[int], field: str) -> int:
    """Map a speaker or channel index to a party index through the dialog."""
    number = _index(index, field)
    if number < len(dialog_parties):
        return dialog_parties[number]
    return number


def _utterance_turns(
    utterances: list[Any], dialog_parties: Sequence[int], where: str
) -> list[_Turn]:
    turns: list[_Turn] = []
    for i, raw in enumerate(utterances):
        field = f"{where}.body.results.utterances[{i}]"
        utterance = _object(raw, field)
        name = "speaker" if utterance.get("speaker") is not None else "channel"
        turns.append(
            (
                _party_of(utterance.get(name) or 0, dialog_parties, f"{field}.{name}"),
                _text(utterance.get("transcript"), f"{field}.transcript"),
                seconds_to_ms(utterance.get("start"), f"{field}.start"),
                seconds_to_ms(utterance.get("end"), f"{field}.end"),
                _words(utterance.get("words"), field),
            )
        )
    return turns


def _deepgram_turns(
    body: Mapping[str, Any], dialog_parties: Sequence[int], where: str
) -> list[_Turn]:
    results = body.get("results")
    if not isinstance(results, Mapping):
        raise PayloadInvalid(f"{where}.body has no results")
    utterances = results.get("utterances")
    if isinstance(utterances, list) and utterances:
        return _utterance_turns(utterances, dialog_parties, where)

    turns: list[_Turn] = []
    channels = results.get("channels")
    if not isinstance(channels, list):
        raise PayloadInvalid(f"{where}.body.results has no channels")
    multichannel = len(channels) > 1
    for number, raw_channel in enumerate(channels):
        field = f"{where}.body.results.channels[{number}]"
        channel = _object(raw_channel, field)
        alternatives = _list(
            channel.get("alternatives") or [{}], f"{field}.alternatives"
        )
        alternative = _object(alternatives[0], f"{field}.alternatives[0]")
        words = _words(alternative.get("words"), field)
        paragraphs_field = f"{field}.alternatives[0].paragraphs"
        paragraphs = (
            _object(alternative.get("paragraphs") or {}, paragraphs_field).get(
                "paragraphs"
            )
            or []
        )
        if not paragraphs:
            party = _party_of(number if multichannel else 0, dialog_parties, field)
            end = words[-1].end_ms if words else 0
            text = _text(
                alternative.get("transcript"), f"{field}.alternatives[0].transcript"
            )
            turns.append((party, text, words[0].start_ms if words else 0, end, words))
            continue
        for index, raw in enumerate(
            _list(paragraphs, f"{paragraphs_field}.paragraphs")
        ):
            turns.append(
                _paragraph_turn(
                    raw,
                    f"{paragraphs_field}.paragraphs[{index}]",
                    number if multichannel else None,
                    words,
                    dialog_parties,
                )
            )
    return turns


def _paragraph_turn(
    raw: object,
    field: str,
    channel: int | None,
    words: Sequence[TimedWord],
    dialog_parties: Sequence[int],
) -> _Turn:
    """Read one Deepgram paragraph; `channel` is set for multichannel audio."""
    paragraph = _object(raw, field)
    start_ms = seconds_to_ms(paragraph.get("start"), f"{field}.start")
    end_ms = seconds_to_ms(paragraph.get("end"), f"{field}.end")
    speaker_field = f"{field}.speaker"
    speaker = channel
    if speaker is None:
        speaker = _index(paragraph.get("speaker") or 0, speaker_field)
    sentences = paragraph.get("sentences")
    if not isinstance(sentences, list):
        raise PayloadInvalid(f"{field}.sentences must be a JSON list of sentences")
    text = " ".join(
        _text(
            _object(sentence, f"{field}.sentences[{i}]").get("text"),
            f"{field}.sentences[{i}].text",
        )
        for i, sentence in enumerate(sentences)
    )
    inside = [w for w in words if start_ms <= w.start_ms < end_ms]
    return (
        _party_of(speaker, dialog_parties, speaker_field),
        text,
        start_ms,
        end_ms,
        inside,
    )


def _offset_ms(
    value: object, dialog_start: datetime.datetime | None, field: str
) -> int:
    """Read a turn start given as ISO 8601 time or as seconds from the dialog start."""
    if isinstance(value, str) and "T" in value:
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            raise PayloadInvalid(f"{field} is not an ISO 8601 time") from None
        if dialog_start is None:
            raise PayloadInvalid(f"{field} is a time but the dialog has no start")
        if (moment.tzinfo is None) != (dialog_start.tzinfo is None):
            raise PayloadInvalid(
                f"{field} and the dialog start must both have a UTC offset (such "
                "as +00:00) or both have none"
            )
        milliseconds = max(0, round((moment - dialog_start).total_seconds() * 1000))
        if milliseconds > MAX_TIME_MS:
            raise PayloadInvalid(
                f"{field} is more than 7 days after the dialog start; expected a "
                "time in the call"
            )
        return milliseconds
    return seconds_to_ms(value, field)


def _list_party(item: Mapping[str, Any], field: str) -> int:
    """Read a turn's `parties`: one index, or a list whose first entry speaks."""
    party = item.get("parties", 0)
    if isinstance(party, list):
        party = party[0] if party else 0
        field += "[0]"
    return _index(party, field)


def _list_turns(
    body: Sequence[Any], dialog_start: datetime.datetime | None, where: str
) -> list[_Turn]:
    turns: list[_Turn] = []
    for index, item in enumerate(body):
        field = f"{where}.body[{index}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("text"), str):
            raise PayloadInvalid(f"{field} has no text")
        party = _list_party(item, f"{field}.parties")
        start_ms = _offset_ms(item.get("start", 0), dialog_start, f"{field}.start")
        duration_ms = seconds_to_ms(item.get("duration", 0), f"{field}.duration")
        if start_ms + duration_ms > MAX_TIME_MS:
            raise PayloadInvalid(
                f"{field} ends more than 7 days into the call; check start and duration"
            )
        words = _words(item.get("words"), field)
        turns.append((party, item["text"], start_ms, start_ms + duration_ms, words))
    return turns


def _speaker(
    party_index: int,
    parties: Sequence[Any],
    party_roles: Mapping[int, str],
    unknown_role: str,
) -> str:
    if 0 <= party_index < len(parties):
        party = parties[party_index]
        role = party.get("role") if isinstance(party, Mapping) else None
        if isinstance(role, str) and role.lower() in SPEAKERS:
            return role.lower()
    return party_roles.get(party_index, unknown_role)


def _list_field(data: Mapping[str, Any], name: str) -> list[Any]:
    value = data.get(name)
    return value if isinstance(value, list) else []


def _pick_transcript(analyses: Sequence[Any]) -> tuple[int, Mapping[str, Any]]:
    for target in TRANSCRIPT_TYPES:
        for index, analysis in enumerate(analyses):
            if isinstance(analysis, Mapping) and analysis.get("type") == target:
                return index, analysis
    raise PayloadInvalid(
        "vCon has no transcript analysis; transcribe the recording first"
    )


def interaction_from_vcon(
    data: Mapping[str, Any],
    party_roles: Mapping[int, str] = DEFAULT_PARTY_ROLES,
    unknown_role: str = "customer",
    *,
    id_key: bytes,
) -> Interaction:
    """Build the voice interaction from a vCon's transcript analysis.

    The vCon's `uuid` names the call, after `keyed_id` with `id_key`. A
    turn that ends before it starts has no times, and `TIME_ERROR` names the
    turn. Words are kept inside their turn.

    Raise `PayloadInvalid` naming the field when the vCon has no `uuid`, no
    transcript analysis or one without turns, or its body has neither of
    the shapes described in this module's docstring.
    """
    # NOTE: diarization indexes speakers in the order they first speak, and
    # that order is taken as the dialog's `parties` order. A transcript that
    # gives every turn the same speaker (common for mono recordings) puts the
    # whole call on one party.
    check_roles([*party_roles.values(), unknown_role])
    if not isinstance(data, Mapping):
        raise PayloadInvalid("a vCon must be a JSON object")
    uuid = data.get("uuid")
    if not isinstance(uuid, str) or not uuid.strip():
        raise PayloadInvalid(
            "uuid must be a non-empty string; every vCon names its call with one"
        )
    uuid = keyed_id(uuid.strip(), id_key)
    parties = _list_field(data, "parties")
    analyses = _list_field(data, "analysis")
    dialogs = _list_field(data, "dialog")
    index, analysis = _pick_transcript(analyses)
    where = f"analysis[{index}]"

    dialog_ref = analysis.get("dialog", 0)
    dialog_index = (
        dialog_ref[0] if isinstance(dialog_ref, list) and dialog_ref else dialog_ref
    )
    dialog: Mapping[str, Any] = {}
    if isinstance(dialog_index, int) and 0 <= dialog_index < len(dialogs):
        dialog = _object(dialogs[dialog_index], f"dialog[{dialog_index}]")
    raw_parties = dialog.get("parties", [])
    dialog_parties = [
        p
        for p in (raw_parties if isinstance(raw_parties, list) else [])
        if isinstance(p, int) and not isinstance(p, bool) and p >= 0
    ]
    dialog_start = None
    if isinstance(dialog.get("start"), str):
        try:
            dialog_start = datetime.datetime.fromisoformat(dialog["start"])
        except ValueError:
            raise PayloadInvalid(
                f"dialog[{dialog_index}].start is not an ISO 8601 time"
            ) from None

    body = _decode_body(analysis, where)
    if isinstance(body, Mapping):
        turns = _deepgram_turns(body, dialog_parties, where)
    elif isinstance(body, list):
        turns = _list_turns(body, dialog_start, where)
    else:
        raise PayloadInvalid(f"{where}.body is neither an object nor a list")
    if not turns:
        raise PayloadInvalid(
            f"{where}.body has no turns; send the vCon once it is transcribed"
        )

    segments = []
    for number, (party, text, start_ms, end_ms, words) in enumerate(turns, start=1):
        extra: dict[str, Any] = {"party": party}
        segment_start, segment_end, time_error = timed_span(
            start_ms, end_ms, f"turn {number}"
        )
        if time_error:
            extra[TIME_ERROR] = time_error
        timed = clamp_words(words, segment_start, segment_end)
        if timed:
            extra["words"] = align_words(text, timed)
        segments.append(
            Segment(
                id=f"turn-{number}",
                speaker=_speaker(party, parties, party_roles, unknown_role),
                text=text,
                start_ms=segment_start,
                end_ms=segment_end,
                extra=extra,
            )
        )

    return Interaction(
        id=f"vcon:{uuid}",
        channel="voice",
        segments=segments,
        source={
            "platform": "vcon",
            "uuid": uuid,
            "vendor": _label(analysis.get("vendor")),
            "schema": _label(analysis.get("schema")),
            "redacted": analysis.get("type") == "transcript-redacted",
            "recording_url": _recording_url(dialog),
        },
    )


def _label(value: object) -> str | None:
    """Return a short label (vendor, schema) with numbers masked, else None.

    A label is free text, so a run of five or more digits in it, which could
    be a phone number, is masked, as are email addresses.
    """
    if not isinstance(value, str):
        return None
    text = value[:200]
    return MaskedText(text, []).whole()


def _recording_url(dialog: Mapping[str, Any]) -> str | None:
    """Return the URL of a recording dialog's external audio, or None."""
    url = dialog.get("url")
    if dialog.get("type") == "recording" and isinstance(url, str) and url:
        return url
    return None
