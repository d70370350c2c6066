"""Twilio Voice Intelligence and classic transcription callbacks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from adapters.errors import PayloadInvalid
from adapters.telephony.transcript import TIME_ERROR, finding_time_range
from adapters.telephony.twilio import (
    TRANSCRIPT_AVAILABLE,
    parse_transcript_callback,
    recording_url,
    recording_wav_url,
    transcript_interaction,
    transcription_completed,
    transcription_interaction,
)
from detectors.types import Interaction

TRANSCRIPT_SID = "GT" + "a1" * 16
ACCOUNT_SID = "AC" + "b2" * 16
CALL_SID = "CA" + "c3" * 16

SENTENCES: list[dict[str, Any]] = [
    {
        "sid": "GX" + "02" * 16,
        "media_channel": 2,
        "sentence_index": 1,
        "start_time": "3.5",
        "end_time": "5.25",
        "transcript": "Sure, one moment please.",
        "words": [
            {"word": "Sure,", "start_time": "3.5", "end_time": "3.8"},
            {"word": "one", "start_time": "3.9", "end_time": "4.1"},
            {"word": "moment", "start_time": "4.1", "end_time": "4.6"},
            {"word": "please.", "start_time": "4.7", "end_time": "5.25"},
        ],
    },
    {
        "sid": "GX" + "01" * 16,
        "media_channel": 1,
        "sentence_index": 0,
        "start_time": "0.4",
        "end_time": "2.0",
        "transcript": "Hi, my parcel never arrived.",
        "words": [],
    },
]


def fake_fetch(sid: str) -> list[Mapping[str, Any]]:
    assert sid == TRANSCRIPT_SID
    return SENTENCES


def callback_body() -> dict[str, str]:
    return {
        "account_sid": ACCOUNT_SID,
        "transcript_sid": TRANSCRIPT_SID,
        "customer_key": CALL_SID,
        "event_type": TRANSCRIPT_AVAILABLE,
    }


def test_callback_json_and_form_agree() -> None:
    fields = callback_body()
    form = "&".join(f"{k}={v}" for k, v in fields.items()).encode()

    from_json = parse_transcript_callback(
        json.dumps(fields).encode(), "application/json"
    )
    from_form = parse_transcript_callback(form, "application/x-www-form-urlencoded")

    assert from_json == from_form
    assert from_json.customer_key == CALL_SID
    assert from_json.is_transcript_available


@pytest.mark.parametrize(
    "body",
    [
        b'{"event_type": "x"}',
        b'{"transcript_sid": "GT../../etc"}',
        b"[1, 2]",
        b"{not json",
    ],
)
def test_callback_invalid_rejected(body: bytes) -> None:
    with pytest.raises(PayloadInvalid):
        parse_transcript_callback(body, "application/json")


def test_sentences_become_ordered_segments() -> None:
    callback = parse_transcript_callback(
        json.dumps(callback_body()).encode(), "application/json"
    )

    interaction = transcript_interaction(callback, fake_fetch)

    assert interaction.channel == "voice"
    assert interaction.source["customer_key"] == CALL_SID
    assert [s.speaker for s in interaction.segments] == ["customer", "agent"]
    assert [s.start_ms for s in interaction.segments] == [400, 3500]
    assert [s.end_ms for s in interaction.segments] == [2000, 5250]
    assert interaction.segments[0].id == "GX" + "01" * 16


def test_word_timings_place_finding() -> None:
    callback = parse_transcript_callback(
        json.dumps(callback_body()).encode(), "application/json"
    )
    agent = transcript_interaction(callback, fake_fetch).segments[1]
    start = agent.text.index("moment")

    assert finding_time_range(agent, start, start + 6) == (4100, 4600, "words")


def test_channel_roles_configurable() -> None:
    callback = parse_transcript_callback(
        json.dumps(callback_body()).encode(), "application/json"
    )

    interaction = transcript_interaction(
        callback, fake_fetch, channel_roles={1: "agent", 2: "customer"}
    )

    assert [s.speaker for s in interaction.segments] == ["agent", "customer"]


def test_other_event_type_rejected() -> None:
    fields = {**callback_body(), "event_type": "something_else"}
    callback = parse_transcript_callback(json.dumps(fields).encode(), "")

    with pytest.raises(PayloadInvalid, match="does not announce"):
        transcript_interaction(callback, fake_fetch)


def interaction_of(sentences: list[dict[str, Any]]) -> Interaction:
    callback = parse_transcript_callback(
        json.dumps(callback_body()).encode(), "application/json"
    )
    return transcript_interaction(callback, lambda sid: sentences)


@pytest.mark.parametrize(
    "start_time", [None, "-1", "soon", "1e30", 1e300, "nan", "1e999999999"]
)
def test_bad_sentence_time_untimed(start_time: object) -> None:
    broken = [{**SENTENCES[1], "start_time": start_time}, SENTENCES[0]]

    untimed, timed = interaction_of(broken).segments

    assert (untimed.start_ms, untimed.end_ms) == (None, None)
    assert "sentences[0].start_time" in untimed.extra[TIME_ERROR]
    assert finding_time_range(untimed, 0, 2) == (None, None, "invalid")
    assert (timed.start_ms, timed.end_ms) == (3500, 5250)
    assert TIME_ERROR not in timed.extra


def test_reversed_sentence_untimed() -> None:
    inverted = [{**SENTENCES[0], "start_time": "5.25", "end_time": "3.5"}]

    segment = interaction_of(inverted).segments[0]

    assert (segment.start_ms, segment.end_ms) == (None, None)
    assert segment.extra[TIME_ERROR] == "sentences[0] ends before it starts"
    # The words still place a value within the sentence.
    start = segment.text.index("moment")
    assert finding_time_range(segment, start, start + 6) == (4100, 4600, "words")


def test_broken_sentence_fields_tolerated() -> None:
    broken = [
        {**SENTENCES[1], "media_channel": "left", "transcript": None, "sid": 7},
        "not a sentence",
        SENTENCES[0],
    ]

    segments = interaction_of(broken).segments  # type: ignore[arg-type]

    assert [s.text for s in segments] == ["", "Sure, one moment please."]
    assert segments[0].speaker == "customer"
    assert [s.id for s in segments] == ["sentence-1", "sentence-2"]


def test_words_outside_their_sentence_clamped() -> None:
    words = [
        {"word": "Sure,", "start_time": "1.0", "end_time": "3.8"},
        {"word": "one", "start_time": None, "end_time": "4.1"},
        {"word": "moment", "start_time": "4.1", "end_time": "99"},
        {"word": "please.", "start_time": "6.0", "end_time": "7.0"},
    ]
    sentence = {**SENTENCES[0], "words": words}

    segment = interaction_of([sentence]).segments[0]

    assert [
        (w["text"], w["start_ms"], w["end_ms"]) for w in segment.extra["words"]
    ] == [
        ("Sure,", 3500, 3800),
        ("moment", 4100, 5250),
    ]


def test_classic_transcription_one_segment() -> None:
    params = [
        ("AccountSid", ACCOUNT_SID),
        ("CallSid", CALL_SID),
        ("TranscriptionSid", "TR" + "d4" * 16),
        ("TranscriptionStatus", "completed"),
        ("TranscriptionText", "Please call me back about my refund."),
        ("RecordingUrl", "https://api.twilio.com/recordings/RE1"),
    ]

    interaction = transcription_interaction(params)

    assert len(interaction.segments) == 1
    assert interaction.segments[0].speaker == "customer"
    assert interaction.segments[0].start_ms is None
    assert interaction.source["call_sid"] == CALL_SID


def test_failed_transcription_rejected() -> None:
    params = [("CallSid", CALL_SID), ("TranscriptionStatus", "failed")]

    assert not transcription_completed(params)
    assert transcription_completed([("CallSid", CALL_SID)])
    with pytest.raises(PayloadInvalid, match="TranscriptionStatus"):
        transcription_interaction(params)


def test_transcription_account_sid_checked() -> None:
    params = [
        ("AccountSid", "+8613812345678"),
        ("CallSid", CALL_SID),
        ("TranscriptionText", "hello"),
    ]

    with pytest.raises(PayloadInvalid, match="AccountSid is not a Twilio SID"):
        transcription_interaction(params)


def test_transcription_role_configurable() -> None:
    params = [("CallSid", CALL_SID), ("TranscriptionText", "Your order shipped.")]

    assert transcription_interaction(params, "agent").segments[0].speaker == "agent"
    with pytest.raises(ValueError, match="role 'robot'"):
        transcription_interaction(params, "robot")


def test_customer_key_other_than_sid_masked() -> None:
    fields = {**callback_body(), "customer_key": "+8613812345678"}
    callback = parse_transcript_callback(json.dumps(fields).encode(), "")

    interaction = transcript_interaction(callback, fake_fetch)

    assert interaction.source["customer_key"] == "+86138****5678"


def test_recording_urls() -> None:
    sid = "RE" + "e5" * 16
    base = "https://api.twilio.com/2010-04-01/Accounts"

    assert recording_url("https://api.twilio.com/", ACCOUNT_SID, sid) == (
        f"{base}/{ACCOUNT_SID}/Recordings/{sid}.wav"
    )
    assert recording_wav_url(f"{base}/{ACCOUNT_SID}/Recordings/{sid}") == (
        f"{base}/{ACCOUNT_SID}/Recordings/{sid}.wav"
    )
    assert recording_wav_url(f"{base}/{ACCOUNT_SID}/Recordings/{sid}.mp3") == (
        f"{base}/{ACCOUNT_SID}/Recordings/{sid}.mp3"
    )
    with pytest.raises(ValueError, match="recording SID"):
        recording_url("https://api.twilio.com", ACCOUNT_SID, "RE/../x")
