"""vCon documents: Deepgram-shaped and turn-list transcript analyses."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from adapters.errors import PayloadInvalid
from adapters.telephony.transcript import TIME_ERROR, finding_time_range
from adapters.telephony.vcon import interaction_from_vcon

ID_KEY = b"id-key-for-telephony-tests"

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
    interaction = interaction_from_vcon(vcon_with(turn_list()), id_key=ID_KEY)

    assert interaction.channel == "voice"
    assert [s.speaker for s in interaction.segments] == ["customer", "agent"]
    assert [s.start_ms for s in interaction.segments] == [1000, 4000]
    assert [s.end_ms for s in interaction.segments] == [3500, 7000]


def test_turn_list_words_aligned() -> None:
    agent = interaction_from_vcon(vcon_with(turn_list()), id_key=ID_KEY).segments[1]
    start = agent.text.index("run")

    assert finding_time_range(agent, start, start + 3) == (4300, 4600, "words")


def test_turn_list_as_json_string_and_base64url() -> None:
    text = json.dumps(turn_list())
    encoded = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    from_string = interaction_from_vcon(vcon_with(text), id_key=ID_KEY)
    from_base64 = interaction_from_vcon(vcon_with(encoded, "base64url"), id_key=ID_KEY)

    assert len(from_string.segments) == 2
    assert len(from_base64.segments) == 2


def test_deepgram_paragraphs_by_speaker() -> None:
    interaction = interaction_from_vcon(vcon_with(diarized_body()), id_key=ID_KEY)

    assert [s.speaker for s in interaction.segments] == ["customer", "agent"]
    assert [s.text for s in interaction.segments] == ["Hello there.", "Good morning."]
    assert len(interaction.segments[1].extra["words"]) == 2


def test_party_roles_override() -> None:
    data = vcon_with(turn_list())
    data["parties"][1].pop("role")

    interaction = interaction_from_vcon(
        data, party_roles={0: "agent", 1: "customer"}, id_key=ID_KEY
    )

    assert [s.speaker for s in interaction.segments] == ["agent", "customer"]


def test_vcon_without_transcript_rejected() -> None:
    data = vcon_with(turn_list())
    data["analysis"] = []

    with pytest.raises(PayloadInvalid, match="no transcript"):
        interaction_from_vcon(data, id_key=ID_KEY)


def test_invalid_role_is_setup_error() -> None:
    with pytest.raises(ValueError, match="role"):
        interaction_from_vcon(
            vcon_with(turn_list()), party_roles={0: "boss"}, id_key=ID_KEY
        )


def test_recording_url_from_dialog() -> None:
    data = vcon_with(turn_list())
    assert interaction_from_vcon(data, id_key=ID_KEY).source["recording_url"] is None

    data["dialog"][0]["url"] = "https://media.example.net/calls/1.wav"

    interaction = interaction_from_vcon(data, id_key=ID_KEY)

    assert (
        interaction.source["recording_url"] == "https://media.example.net/calls/1.wav"
    )


def utterances_body(utterances: list[Any]) -> dict[str, Any]:
    return {"results": {"utterances": utterances, "channels": []}}


def paragraph(**fields: Any) -> dict[str, Any]:
    alternative = {"paragraphs": {"paragraphs": [{"start": 0.5, "end": 1.1, **fields}]}}
    return {"results": {"channels": [{"alternatives": [alternative]}]}}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("uuid"), "uuid"),
        (lambda d: d.update(uuid={"id": 1}), "uuid"),
        (lambda d: d.update(uuid="  "), "uuid"),
        (lambda d: d.update(dialog=["x"]), r"dialog\[0\]"),
        (lambda d: d["analysis"][0].update(body=[]), r"analysis\[0\]\.body"),
        (
            lambda d: d["analysis"][0]["body"][0].update(parties="customer"),
            r"analysis\[0\]\.body\[0\]\.parties",
        ),
        (
            lambda d: d["analysis"][0]["body"][0].update(parties={}),
            r"analysis\[0\]\.body\[0\]\.parties",
        ),
        (
            lambda d: d["analysis"][0]["body"][0].update(parties=[True]),
            r"analysis\[0\]\.body\[0\]\.parties\[0\]",
        ),
        (
            lambda d: d["analysis"][0]["body"][0].update(start="2026-03-02T09:00:05"),
            r"analysis\[0\]\.body\[0\]\.start",
        ),
        (
            lambda d: d["analysis"][0]["body"][0].update(start="2036-03-02T09:00:05Z"),
            r"analysis\[0\]\.body\[0\]\.start",
        ),
        (
            lambda d: d["analysis"][0].update(body=utterances_body(["x"])),
            r"utterances\[0\]",
        ),
        (
            lambda d: d["analysis"][0].update(
                body=utterances_body([{"transcript": "hi", "speaker": "one"}])
            ),
            r"utterances\[0\]\.speaker",
        ),
        (
            lambda d: d["analysis"][0].update(
                body=utterances_body([{"transcript": ["hi"], "start": 0, "end": 1}])
            ),
            r"utterances\[0\]\.transcript",
        ),
        (
            lambda d: d["analysis"][0].update(body={"results": {"channels": ["x"]}}),
            r"channels\[0\]",
        ),
        (
            lambda d: d["analysis"][0].update(
                body={"results": {"channels": [{"alternatives": "x"}]}}
            ),
            r"channels\[0\]\.alternatives",
        ),
        (
            lambda d: d["analysis"][0].update(body=paragraph()),
            r"paragraphs\[0\]\.sentences",
        ),
        (
            lambda d: d["analysis"][0].update(body=paragraph(sentences=["x"])),
            r"paragraphs\[0\]\.sentences\[0\]",
        ),
        (
            lambda d: d["analysis"][0].update(body={"results": {"channels": []}}),
            r"analysis\[0\]\.body has no turns",
        ),
        (
            lambda d: d["analysis"][0]["body"][0].update(start="1e999999999"),
            r"analysis\[0\]\.body\[0\]\.start is more than 7 days",
        ),
        (
            lambda d: d["analysis"][0]["body"][0].update(duration="1e999999999"),
            r"analysis\[0\]\.body\[0\]\.duration is more than 7 days",
        ),
        (
            lambda d: d["analysis"][0].update(body="[" * 100_000 + "]" * 100_000),
            r"analysis\[0\]\.body nests lists or objects too deeply",
        ),
        (
            lambda d: d["analysis"][0].update(body='[{"text": "hi", "start": NaN}]'),
            r"analysis\[0\]\.body is not valid JSON",
        ),
    ],
)
def test_malformed_vcon_names_field(change: Any, field: str) -> None:
    data = vcon_with(turn_list())
    change(data)

    with pytest.raises(PayloadInvalid, match=field):
        interaction_from_vcon(data, id_key=ID_KEY)


def test_vendor_and_schema_masked() -> None:
    data = vcon_with(turn_list())
    data["analysis"][0]["vendor"] = "acme 13800138000"
    data["analysis"][0]["schema"] = "crm-13800138000-v2"

    source = interaction_from_vcon(data, id_key=ID_KEY).source

    assert source["vendor"] == "acme ***********"
    assert source["schema"] == "crm-***********-v2"


def test_numeric_uuid_hashed() -> None:
    data = vcon_with(turn_list())
    data["uuid"] = "13800138000"

    interaction = interaction_from_vcon(data, id_key=ID_KEY)

    assert interaction.source["uuid"].startswith("h-")
    assert interaction.id == f"vcon:{interaction.source['uuid']}"
    assert "13800138000" not in json.dumps([interaction.id, interaction.source])


def test_plain_uuid_kept() -> None:
    data = vcon_with(turn_list())
    data["uuid"] = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

    assert interaction_from_vcon(data, id_key=ID_KEY).id == f"vcon:{data['uuid']}"


def test_reversed_utterance_untimed() -> None:
    utterances = [
        {"speaker": 0, "transcript": "late", "start": 2.0, "end": 1.0},
        {"speaker": 1, "transcript": "fine", "start": 2.0, "end": 3.0},
    ]
    data = vcon_with(utterances_body(utterances))

    late, fine = interaction_from_vcon(data, id_key=ID_KEY).segments

    assert (late.start_ms, late.end_ms) == (None, None)
    assert late.extra[TIME_ERROR] == "turn 1 ends before it starts"
    assert finding_time_range(late, 0, 4) == (None, None, "invalid")
    assert (fine.start_ms, fine.end_ms) == (2000, 3000)


def test_words_kept_inside_their_turn() -> None:
    turns = turn_list()
    turns[1]["words"] = [
        {"word": "Let", "start": 3.0, "end": 4.2},
        {"word": "me", "start": 8.0, "end": 9.0},
        {"word": "run", "start": 6.5, "end": 9.0},
    ]

    agent = interaction_from_vcon(vcon_with(turns), id_key=ID_KEY).segments[1]

    assert [(w["text"], w["start_ms"], w["end_ms"]) for w in agent.extra["words"]] == [
        ("Let", 4000, 4200),
        ("run", 6500, 7000),
    ]
