"""vCon documents: Deepgram-shaped and turn-list transcript analyses."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from adapters.errors import PayloadInvalid
from adapters.telephony.transcript import finding_time_range
from adapters.telephony.vcon import interaction_from_vcon

DIALOG_START = "2026-03-02T09:00:00+00:00"


def vcon_with(body: Any, encoding: str = "json") -> dict[str, Any]:
    return {
        "vcon": "0.0.2",
        "uuid": "018f0000-0000-8000-8000-000000000001",
        "parties": [{"name": "Caller"}, {"name": "Desk", "role": "agent"}],
        "dialog": [{"type": "recording", "start": DIALOG_START, "parties": [0, 1]}],
        "analysis": [
            {"type": "transcript", "dialog": 0, "encoding": encoding, "body": body}
        ],
    }


def turn_list() -> list[dict[str, Any]]:
    return [
        {
            "parties": 0,
            "start": "2026-03-02T09:00:01+00:00",
            "duration": 2.5,
            "text": "My router keeps dropping the line.",
        },
        {
            "parties": 1,
            "start": 4.0,
            "duration": 3.0,
            "text": "Let me run a line test now.",
            "words": [
                {"word": "Let", "start": 4.0, "end": 4.2},
                {"word": "me", "start": 4.2, "end": 4.3},
                {"word": "run", "start": 4.3, "end": 4.6},
            ],
        },
    ]


def diarized_body() -> dict[str, Any]:
    return {
        "results": {
            "channels": [
                {
                    "alternatives": [
                        {
                            "transcript": "Hello there. Good morning.",
                            "words": [
                                {
                                    "word": "hello",
                                    "punctuated_word": "Hello",
                                    "start": 0.5,
                                    "end": 0.8,
                                    "speaker": 0,
                                },
                                {
                                    "word": "there",
                                    "punctuated_word": "there.",
                                    "start": 0.8,
                                    "end": 1.1,
                                    "speaker": 0,
                                },
                                {
                                    "word": "good",
                                    "punctuated_word": "Good",
                                    "start": 1.5,
                                    "end": 1.7,
                                    "speaker": 1,
                                },
                                {
                                    "word": "morning",
                                    "punctuated_word": "morning.",
                                    "start": 1.7,
                                    "end": 2.2,
                                    "speaker": 1,
                                },
                            ],
                            "paragraphs": {
                                "paragraphs": [
                                    {
                                        "speaker": 0,
                                        "start": 0.5,
                                        "end": 1.1,
                                        "sentences": [{"text": "Hello there."}],
                                    },
                                    {
                                        "speaker": 1,
                                        "start": 1.5,
                                        "end": 2.2,
                                        "sentences": [{"text": "Good morning."}],
                                    },
                                ]
                            },
                        }
                    ]
                }
            ]
        }
    }


def test_turn_list_roles_and_times() -> None:
    interaction = interaction_from_vcon(vcon_with(turn_list()))

    assert interaction.channel == "voice"
    assert [s.speaker for s in interaction.segments] == ["customer", "agent"]
    assert [s.start_ms for s in interaction.segments] == [1000, 4000]
    assert [s.end_ms for s in interaction.segments] == [3500, 7000]


def test_turn_list_words_aligned() -> None:
    agent = interaction_from_vcon(vcon_with(turn_list())).segments[1]
    start = agent.text.index("run")

    assert finding_time_range(agent, start, start + 3) == (4300, 4600, "words")


def test_turn_list_as_json_string_and_base64url() -> None:
    text = json.dumps(turn_list())
    encoded = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    from_string = interaction_from_vcon(vcon_with(text))
    from_base64 = interaction_from_vcon(vcon_with(encoded, "base64url"))

    assert len(from_string.segments) == 2
    assert len(from_base64.segments) == 2


def test_deepgram_paragraphs_by_speaker() -> None:
    interaction = interaction_from_vcon(vcon_with(diarized_body()))

    assert [s.speaker for s in interaction.segments] == ["customer", "agent"]
    assert [s.text for s in interaction.segments] == ["Hello there.", "Good morning."]
    assert len(interaction.segments[1].extra["words"]) == 2


def test_party_roles_override() -> None:
    data = vcon_with(turn_list())
    data["parties"][1].pop("role")

    interaction = interaction_from_vcon(data, party_roles={0: "agent", 1: "customer"})

    assert [s.speaker for s in interaction.segments] == ["agent", "customer"]


def test_vcon_without_transcript_rejected() -> None:
    data = vcon_with(turn_list())
    data["analysis"] = []

    with pytest.raises(PayloadInvalid, match="no transcript"):
        interaction_from_vcon(data)


def test_invalid_role_is_setup_error() -> None:
    with pytest.raises(ValueError, match="role"):
        interaction_from_vcon(vcon_with(turn_list()), party_roles={0: "boss"})


def test_recording_url_from_dialog() -> None:
    data = vcon_with(turn_list())
    assert interaction_from_vcon(data).source["recording_url"] is None

    data["dialog"][0]["url"] = "https://media.example.net/calls/1.wav"

    interaction = interaction_from_vcon(data)

    assert (
        interaction.source["recording_url"] == "https://media.example.net/calls/1.wav"
    )
