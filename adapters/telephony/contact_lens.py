"""Amazon Connect Contact Lens: post-call analysis files and S3 events.

Contact Lens writes one JSON file per analysed call to the instance's bucket
under `Analysis/Voice/` (the redacted copy under `Analysis/Voice/Redacted/`).
The gateway learns of a new file from an S3 object-created event, fetches the
object itself, and passes the parsed JSON to `interaction_from_analysis`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from adapters.errors import PayloadInvalid
from adapters.telephony.transcript import (
    TIME_ERROR,
    check_roles,
    keyed_id,
    millis,
    timed_span,
    unique_ids,
)
from detectors.types import Interaction, Segment

# Contact Lens participant roles mapped to Redline speakers. CUSTOM_BOT and
# SUPERVISOR appear in the real-time API; the post-call file uses the first
# three.
DEFAULT_PARTICIPANT_ROLES: Mapping[str, str] = {
    "AGENT": "agent",
    "CUSTOMER": "customer",
    "SYSTEM": "system",
    "CUSTOM_BOT": "system",
    "SUPERVISOR": "agent",
}

# Post-call file names start with the contact id: <contactId>_analysis_....
_CONTACT_ID_IN_KEY = re.compile(r"([0-9A-Za-z-]{8,64})_analysis_")


@dataclass(frozen=True)
class S3Object:
    """An object named by an S3 object-created event."""

    bucket: str
    key: str

    @property
    def is_voice_analysis(self) -> bool:
        """True for a Contact Lens post-call voice analysis file."""
        return self.key.startswith("Analysis/Voice/") and self.key.endswith(".json")


def _s3_record(record: Mapping[str, Any]) -> S3Object | None:
    s3 = record.get("s3")
    if not isinstance(s3, Mapping):
        return None
    event_name = str(record.get("eventName", "ObjectCreated:"))
    if not event_name.startswith("ObjectCreated:"):
        return None
    try:
        bucket = s3["bucket"]["name"]
        key = s3["object"]["key"]
    except (KeyError, TypeError):
        raise PayloadInvalid(
            "S3 record has no s3.bucket.name or s3.object.key"
        ) from None
    # S3 notifications encode object keys as in a form: spaces arrive as "+".
    return S3Object(str(bucket), unquote_plus(str(key)))


def parse_s3_event(event: Mapping[str, Any]) -> list[S3Object]:
    """List the objects created in an S3 event notification.

    Accepts the notification itself (`Records[].s3`), the same wrapped in SQS
    messages (`Records[].body` holding the notification as JSON) and the
    EventBridge form (`detail-type` "Object Created"). Other S3 events, such
    as deletions and test events, give no objects.
    """
    if event.get("detail-type") == "Object Created":
        detail = event.get("detail")
        try:
            detail_map = detail if isinstance(detail, Mapping) else {}
            return [
                S3Object(
                    str(detail_map["bucket"]["name"]),
                    str(detail_map["object"]["key"]),
                )
            ]
        except (KeyError, TypeError):
            raise PayloadInvalid(
                "EventBridge event has no detail.bucket.name or detail.object.key"
            ) from None

    records = event.get("Records")
    if not isinstance(records, list):
        raise PayloadInvalid("S3 event has no Records list")
    objects: list[S3Object] = []
    for record in records:
        if not isinstance(record, Mapping):
            continue
        body = record.get("body")
        if isinstance(body, str) and "s3" not in record:
            try:
                inner = json.loads(body)
            except (json.JSONDecodeError, RecursionError):
                raise PayloadInvalid("SQS record body is not valid JSON") from None
            if isinstance(inner, Mapping) and "Records" in inner:
                objects.extend(parse_s3_event(inner))
            continue
        found = _s3_record(record)
        if found is not None:
            objects.append(found)

    return objects


def contact_id_from_key(key: str) -> str | None:
    """Read the contact id from a post-call file name, or None."""
    match = _CONTACT_ID_IN_KEY.search(key.rsplit("/", 1)[-1])
    return match.group(1) if match else None


def _participant_map(data: Mapping[str, Any]) -> dict[str, str]:
    """Map ParticipantId to ParticipantRole from the Participants list."""
    mapping: dict[str, str] = {}
    participants = data.get("Participants")
    if not isinstance(participants, list):
        return mapping
    for participant in participants:
        if isinstance(participant, Mapping):
            pid = participant.get("ParticipantId")
            role = participant.get("ParticipantRole")
            if isinstance(pid, str) and isinstance(role, str):
                mapping[pid] = role.upper()
    return mapping


def interaction_from_analysis(
    data: Mapping[str, Any],
    key: str | None = None,
    roles: Mapping[str, str] = DEFAULT_PARTICIPANT_ROLES,
    *,
    id_key: bytes,
) -> Interaction:
    """Build the voice interaction from a post-call analysis file.

    A turn's speaker comes from its ParticipantId through `Participants[]`.
    When that list has no entry for the id, the id itself is the role, because
    older files and the API use "AGENT" and "CUSTOMER" as ids. The contact id is
    CustomerMetadata.ContactId, else read from the object `key`, else (the
    file format does not require CustomerMetadata) `file-` and a hash of the
    Transcript, so two calls never share a case. Account, instance and
    contact ids pass through `keyed_id` with `id_key`.

    A turn whose EndOffsetMillis is before its BeginOffsetMillis has no
    times, and `TIME_ERROR` says so.

    Raise `PayloadInvalid` when the file has no Transcript list or an empty
    one, a turn lacks Content or offsets, or a participant has no known role.
    """
    check_roles(roles.values())
    if not isinstance(data, Mapping):
        raise PayloadInvalid("Contact Lens analysis must be a JSON object")
    turns = data.get("Transcript")
    if not isinstance(turns, list):
        raise PayloadInvalid("Contact Lens analysis has no Transcript list")
    if not turns:
        raise PayloadInvalid(
            "Transcript is empty; send the analysis file of a call that was transcribed"
        )
    participants = _participant_map(data)
    metadata = data.get("CustomerMetadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    contact_id = _optional_text(metadata, "ContactId", "CustomerMetadata.")
    if contact_id is None and key:
        contact_id = contact_id_from_key(key)
    if contact_id is None:
        digest = hashlib.sha256(canonical_json(turns)).hexdigest()[:32]
        contact_id = f"file-{digest}"
    contact_id = keyed_id(contact_id, id_key)
    instance_id = _optional_text(metadata, "InstanceId", "CustomerMetadata.")
    instance_id = keyed_id(instance_id, id_key) if instance_id else None
    account_id = _optional_text(data, "AccountId")
    account_id = keyed_id(account_id, id_key) if account_id else None

    ids = unique_ids(
        [t.get("Id") if isinstance(t, Mapping) else None for t in turns], "turn-"
    )
    segments = [
        _segment(segment_id, turn, f"Transcript[{index}]", participants, roles)
        for index, (segment_id, turn) in enumerate(zip(ids, turns, strict=True))
    ]
    output = data.get("ContentMetadata")
    redacted = isinstance(output, Mapping) and output.get("Output") == "Redacted"
    language = data.get("LanguageCode")

    return Interaction(
        id=f"connect:{instance_id or '-'}:contact:{contact_id}",
        channel="voice",
        segments=segments,
        language=language if isinstance(language, str) else None,
        source={
            "platform": "amazon_connect",
            "product": "contact_lens",
            "account_id": account_id,
            "instance_id": instance_id,
            "contact_id": contact_id,
            "object_key": key,
            "redacted": redacted,
            "recording_url": _text_or_none(metadata.get("InputS3Uri")),
        },
    )


def canonical_json(value: object) -> bytes:
    """Serialise JSON data the same way whatever its key order or spacing."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False).encode()


def _optional_text(data: Mapping[str, Any], name: str, prefix: str = "") -> str | None:
    """Return a string field, None when absent or empty; raise for another type."""
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PayloadInvalid(
            f"{prefix}{name} is {type(value).__name__}; expected a string"
        )
    return value


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _segment(
    segment_id: str,
    turn: object,
    where: str,
    participants: Mapping[str, str],
    roles: Mapping[str, str],
) -> Segment:
    if not isinstance(turn, Mapping):
        raise PayloadInvalid(f"{where} must be a JSON object")
    text = turn.get("Content")
    if not isinstance(text, str):
        raise PayloadInvalid(f"{where}.Content is missing")
    participant = turn.get("ParticipantId")
    if not isinstance(participant, str):
        raise PayloadInvalid(f"{where}.ParticipantId is missing")
    role = participants.get(participant, participant.upper())
    speaker = roles.get(role)
    if speaker is None:
        raise PayloadInvalid(
            f"{where}.ParticipantId has no role: add it to Participants[] or "
            f"expect one of {', '.join(sorted(roles))}"
        )
    extra: dict[str, Any] = {"participant_id": participant}
    if isinstance(turn.get("Id"), str) and turn["Id"]:
        extra["provider_id"] = turn["Id"]
    redaction = turn.get("Redaction")
    if isinstance(redaction, Mapping) and redaction.get("RedactedTimestamps"):
        extra["redacted_timestamps"] = redaction["RedactedTimestamps"]

    start_ms, end_ms, time_error = timed_span(
        millis(turn.get("BeginOffsetMillis"), f"{where}.BeginOffsetMillis"),
        millis(turn.get("EndOffsetMillis"), f"{where}.EndOffsetMillis"),
        where,
    )
    if time_error:
        extra[TIME_ERROR] = time_error

    return Segment(
        id=segment_id,
        speaker=speaker,
        text=text,
        start_ms=start_ms,
        end_ms=end_ms,
        extra=extra,
    )
