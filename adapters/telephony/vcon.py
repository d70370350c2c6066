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
    TimedWord,
    align_words,
    check_roles,
    seconds_to_ms,
)
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
        return json.loads(body)
    except json.JSONDecodeError:
        raise PayloadInvalid(f"{where}.body is not valid JSON") from None


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


def _party_of(index: object, dialog_parties: Sequence[int]) -> int:
    """Map a speaker or channel index to a party index through the dialog."""
    number = int(index) if isinstance(index, (int, float)) else 0
    if 0 <= number < len(dialog_parties):
        return dialog_parties[number]
    return number


def _deepgram_turns(
    body: Mapping[str, Any], dialog_parties: Sequence[int], where: str
) -> list[_Turn]:
    results = body.get("results")
    if not isinstance(results, Mapping):
        raise PayloadInvalid(f"{where}.body has no results")
    utterances = results.get("utterances")
    if isinstance(utterances, list) and utterances:
        return [
            (
                _party_of(u.get("speaker", u.get("channel", 0)), dialog_parties),
                str(u.get("transcript", "")),
                seconds_to_ms(u.get("start"), f"{where}.utterances[{i}].start"),
                seconds_to_ms(u.get("end"), f"{where}.utterances[{i}].end"),
                _words(u.get("words"), f"{where}.utterances[{i}]"),
            )
            for i, u in enumerate(utterances)
        ]

    turns: list[_Turn] = []
    channels = results.get("channels")
    if not isinstance(channels, list):
        raise PayloadInvalid(f"{where}.body.results has no channels")
    multichannel = len(channels) > 1
    for number, channel in enumerate(channels):
        alternative = (channel.get("alternatives") or [{}])[0]
        words = _words(alternative.get("words"), f"{where}.channels[{number}]")
        paragraphs = (alternative.get("paragraphs") or {}).get("paragraphs") or []
        if not paragraphs:
            party = _party_of(number if multichannel else 0, dialog_parties)
            end = words[-1].end_ms if words else 0
            text = str(alternative.get("transcript", ""))
            turns.append((party, text, words[0].start_ms if words else 0, end, words))
            continue
        for index, paragraph in enumerate(paragraphs):
            field = f"{where}.channels[{number}].paragraphs[{index}]"
            start_ms = seconds_to_ms(paragraph.get("start"), f"{field}.start")
            end_ms = seconds_to_ms(paragraph.get("end"), f"{field}.end")
            speaker = number if multichannel else paragraph.get("speaker", 0)
            text = " ".join(str(s.get("text", "")) for s in paragraph["sentences"])
            inside = [w for w in words if start_ms <= w.start_ms < end_ms]
            turns.append(
                (_party_of(speaker, dialog_parties), text, start_ms, end_ms, inside)
            )
    return turns


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
        delta = moment - dialog_start
        return max(0, round(delta.total_seconds() * 1000))
    return seconds_to_ms(value, field)


def _list_turns(
    body: Sequence[Any], dialog_start: datetime.datetime | None, where: str
) -> list[_Turn]:
    turns: list[_Turn] = []
    for index, item in enumerate(body):
        field = f"{where}.body[{index}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("text"), str):
            raise PayloadInvalid(f"{field} has no text")
        party = item.get("parties", 0)
        if isinstance(party, list):
            party = party[0] if party else 0
        start_ms = _offset_ms(item.get("start", 0), dialog_start, f"{field}.start")
        duration_ms = seconds_to_ms(item.get("duration", 0), f"{field}.duration")
        words = _words(item.get("words"), field)
        turns.append(
            (int(party), item["text"], start_ms, start_ms + duration_ms, words)
        )
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
) -> Interaction:
    """Build the voice interaction from a vCon's transcript analysis.

    Raise `PayloadInvalid` when the vCon has no transcript analysis, or its
    body has neither of the shapes described in this module's docstring.
    """
    # NOTE: diarization indexes speakers in the order they first speak, and
    # that order is taken as the dialog's `parties` order. A transcript that
    # gives every turn the same speaker (common for mono recordings) puts the
    # whole call on one party.
    check_roles([*party_roles.values(), unknown_role])
    if not isinstance(data, Mapping):
        raise PayloadInvalid("a vCon must be a JSON object")
    parties = _list_field(data, "parties")
    analyses = _list_field(data, "analysis")
    dialogs = _list_field(data, "dialog")
    index, analysis = _pick_transcript(analyses)
    where = f"analysis[{index}]"

    dialog_ref = analysis.get("dialog", 0)
    dialog_index = (
        dialog_ref[0] if isinstance(dialog_ref, list) and dialog_ref else dialog_ref
    )
    dialog = (
        dialogs[dialog_index]
        if isinstance(dialog_index, int) and 0 <= dialog_index < len(dialogs)
        else {}
    )
    dialog_parties = [p for p in dialog.get("parties", []) if isinstance(p, int)]
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

    segments = []
    for number, (party, text, start_ms, end_ms, words) in enumerate(turns, start=1):
        extra: dict[str, Any] = {"party": party}
        if words:
            extra["words"] = align_words(text, words)
        segments.append(
            Segment(
                id=f"turn-{number}",
                speaker=_speaker(party, parties, party_roles, unknown_role),
                text=text,
                start_ms=start_ms,
                end_ms=max(start_ms, end_ms),
                extra=extra,
            )
        )

    return Interaction(
        id=f"vcon:{data.get('uuid') or '-'}",
        channel="voice",
        segments=segments,
        source={
            "platform": "vcon",
            "uuid": data.get("uuid"),
            "vendor": analysis.get("vendor"),
            "schema": analysis.get("schema"),
            "redacted": analysis.get("type") == "transcript-redacted",
            "recording_url": _recording_url(dialog),
        },
    )


def _recording_url(dialog: Mapping[str, Any]) -> str | None:
    """Return the URL of a recording dialog's external audio, or None."""
    url = dialog.get("url")
    if dialog.get("type") == "recording" and isinstance(url, str) and url:
        return url
    return None
