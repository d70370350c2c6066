"""Contact Lens post-call analysis files and S3 object-created events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.errors import PayloadInvalid
from adapters.telephony.contact_lens import (
    interaction_from_analysis,
    parse_s3_event,
)
from adapters.telephony.transcript import TIME_ERROR

ID_KEY = b"id-key-for-telephony-tests"

CONTACT_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
AGENT_UUID = "7d0c6a3e-1111-4a2b-9c3d-222222222222"
CUSTOMER_UUID = "7d0c6a3e-3333-4a2b-9c3d-444444444444"
KEY = f"Analysis/Voice/2026/03/02/{CONTACT_ID}_analysis_2026-03-02T09:30:00Z.json"


def analysis() -> dict[str, Any]:
    return {
        "Version": "1.1.0",
        "Channel": "VOICE",
        "LanguageCode": "en-US",
        "ContentMetadata": {"Output": "Raw"},
        "Participants": [
            {"ParticipantId": AGENT_UUID, "ParticipantRole": "AGENT"},
            {"ParticipantId": CUSTOMER_UUID, "ParticipantRole": "CUSTOMER"},
        ],
        "CustomerMetadata": {"ContactId": CONTACT_ID, "InstanceId": "inst-1"},
        "Transcript": [
            {
                "Id": "turn-a",
                "ParticipantId": AGENT_UUID,
                "Content": "Thanks for calling, how may I help?",
                "BeginOffsetMillis": 120,
                "EndOffsetMillis": 2300,
            },
            {
                "Id": "turn-b",
                "ParticipantId": CUSTOMER_UUID,
                "Content": "I want to change my delivery address.",
                "BeginOffsetMillis": 2600,
                "EndOffsetMillis": 5100,
            },
        ],
    }


def test_roles_from_participants() -> None:
    interaction = interaction_from_analysis(analysis(), id_key=ID_KEY)

    assert interaction.channel == "voice"
    assert interaction.source["contact_id"] == CONTACT_ID
    assert [s.speaker for s in interaction.segments] == ["agent", "customer"]
    assert [s.id for s in interaction.segments] == ["turn-a", "turn-b"]
    assert interaction.segments[1].start_ms == 2600
    assert interaction.segments[1].end_ms == 5100


def test_older_file_uses_ids_as_roles() -> None:
    data = analysis()
    del data["Participants"]
    del data["CustomerMetadata"]
    data["Transcript"][0]["ParticipantId"] = "AGENT"
    data["Transcript"][1]["ParticipantId"] = "CUSTOMER"

    interaction = interaction_from_analysis(data, key=KEY, id_key=ID_KEY)

    assert [s.speaker for s in interaction.segments] == ["agent", "customer"]
    assert interaction.source["contact_id"] == CONTACT_ID


def test_repeated_turn_ids_replaced() -> None:
    data = analysis()
    for turn in data["Transcript"]:
        turn["Id"] = "same"

    interaction = interaction_from_analysis(data, id_key=ID_KEY)

    assert [s.id for s in interaction.segments] == ["turn-1", "turn-2"]


def test_unknown_participant_rejected() -> None:
    data = analysis()
    data["Transcript"][0]["ParticipantId"] = "nobody"

    with pytest.raises(PayloadInvalid, match=r"Transcript\[0\]\.ParticipantId"):
        interaction_from_analysis(data, id_key=ID_KEY)


def test_missing_offsets_rejected() -> None:
    data = analysis()
    del data["Transcript"][1]["EndOffsetMillis"]

    with pytest.raises(PayloadInvalid, match="EndOffsetMillis"):
        interaction_from_analysis(data, id_key=ID_KEY)


def s3_notification(key: str, event: str = "ObjectCreated:Put") -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": event,
                "s3": {"bucket": {"name": "connect-bucket"}, "object": {"key": key}},
            }
        ]
    }


def test_s3_notification_decodes_key() -> None:
    objects = parse_s3_event(s3_notification("Analysis/Voice/a+b%3A1_analysis_x.json"))

    assert [(o.bucket, o.key) for o in objects] == [
        ("connect-bucket", "Analysis/Voice/a b:1_analysis_x.json")
    ]
    assert objects[0].is_voice_analysis


def test_s3_event_inside_sqs() -> None:
    event = {"Records": [{"body": json.dumps(s3_notification(KEY))}]}

    assert [o.key for o in parse_s3_event(event)] == [KEY]


def test_eventbridge_object_created() -> None:
    event = {
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": "connect-bucket"}, "object": {"key": KEY}},
    }

    assert [o.key for o in parse_s3_event(event)] == [KEY]


def test_s3_deletion_ignored() -> None:
    assert parse_s3_event(s3_notification(KEY, "ObjectRemoved:Delete")) == []


def test_s3_event_without_records_rejected() -> None:
    with pytest.raises(PayloadInvalid):
        parse_s3_event({"Event": "s3:TestEvent"})


def test_recording_uri_kept() -> None:
    data = analysis()
    uri = f"s3://connect-bucket/CallRecordings/{CONTACT_ID}_20260302T09:30_UTC.wav"
    data["CustomerMetadata"]["InputS3Uri"] = uri

    assert interaction_from_analysis(data, id_key=ID_KEY).source["recording_url"] == uri
    assert (
        interaction_from_analysis(analysis(), id_key=ID_KEY).source["recording_url"]
        is None
    )


def test_empty_transcript_rejected() -> None:
    data = analysis()
    data["Transcript"] = []

    with pytest.raises(PayloadInvalid, match="Transcript is empty"):
        interaction_from_analysis(data, id_key=ID_KEY)


def test_turn_ending_before_it_starts_is_untimed() -> None:
    data = analysis()
    data["Transcript"][1]["EndOffsetMillis"] = 1000

    segments = interaction_from_analysis(data, id_key=ID_KEY).segments

    assert (segments[1].start_ms, segments[1].end_ms) == (None, None)
    assert segments[1].extra[TIME_ERROR] == "Transcript[1] ends before it starts"
    assert (segments[0].start_ms, segments[0].end_ms) == (120, 2300)


def test_offset_past_a_week_rejected() -> None:
    data = analysis()
    data["Transcript"][1]["EndOffsetMillis"] = 1e300

    with pytest.raises(PayloadInvalid, match=r"Transcript\[1\]\.EndOffsetMillis"):
        interaction_from_analysis(data, id_key=ID_KEY)


def test_missing_contact_id_from_transcript() -> None:
    first, second = analysis(), analysis()
    del first["CustomerMetadata"], second["CustomerMetadata"]
    second["Transcript"][1]["Content"] = "I want to cancel my order."

    ids = [interaction_from_analysis(d, id_key=ID_KEY).id for d in (first, second)]
    again = interaction_from_analysis(json.loads(json.dumps(first)), id_key=ID_KEY)

    assert ids[0] != ids[1]
    assert again.id == ids[0]
    assert all(i.startswith("connect:-:contact:") for i in ids)


@pytest.mark.parametrize(
    ("field", "value"),
    [("ContactId", {"id": 1}), ("InstanceId", ["i"]), ("ContactId", 7)],
)
def test_metadata_ids_must_be_strings(field: str, value: object) -> None:
    data = analysis()
    data["CustomerMetadata"][field] = value

    with pytest.raises(PayloadInvalid, match=f"CustomerMetadata.{field} is"):
        interaction_from_analysis(data, id_key=ID_KEY)


def test_numeric_ids_hashed() -> None:
    data = analysis()
    data["AccountId"] = "123456789012"
    data["CustomerMetadata"]["ContactId"] = "13800138000"
    data["Transcript"][0]["Id"] = {"turn": 1}

    interaction = interaction_from_analysis(data, id_key=ID_KEY)

    stored = json.dumps([interaction.id, interaction.source])
    assert "13800138000" not in stored
    assert "123456789012" not in stored
    assert interaction.source["contact_id"].startswith("h-")
    assert (
        interaction.id == f"connect:inst-1:contact:{interaction.source['contact_id']}"
    )
    assert [s.id for s in interaction.segments] == ["turn-1", "turn-2"]
