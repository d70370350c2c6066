"""Call transcripts end to end: signed routes, worker, ledger and muted copies.

The Twilio API is `FakeTwilio` on 127.0.0.1. Recordings are 8 kHz 16-bit
WAV files whose every sample is non-zero, so a silenced frame is one that
reads as zero.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import hashlib
import io
import json
import sqlite3
import threading
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from waitress.wasyncore import close_all
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response as WerkzeugResponse

from detectors.types import Finding
from gateway.app import create_app
from gateway.cli import _start
from gateway.runtime import Runtime
from gateway.telephony import MUTE_RECORDING, mute_ranges, stored_recording_url
from infra.config import GenericSourceSettings, Settings, TelephonySettings
from infra.datadir import DataDirLock
from infra.errors import ConfigError
from infra.ports import Job
from infra.sqlite import Database, SqliteLedger
from tests.conftest import FrozenClock
from tests.fakedata import card
from tests.fakes.twilio_server import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FakeTwilio,
    fake_twilio,  # noqa: F401 - pytest fixture
)
from tests.gateway import signed

SECRET = "vcon-source-secret-for-tests"
PUBLIC = "https://redline.example.com"
CARD = card("453201", 16)
GROUPED = " ".join(CARD[i : i + 4] for i in range(0, 16, 4))
TRANSCRIPT_SID = "GT" + "7c" * 16
RECORDING_SID = "RE" + "8d" * 16
RATE = 8000
LOUD = 1000


# -- fixtures and helpers -------------------------------------------------


def make_wav(seconds: float) -> bytes:
    output = io.BytesIO()
    with wave.open(output, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes(
            LOUD.to_bytes(2, "little", signed=True) * int(RATE * seconds)
        )
    return output.getvalue()


def samples(data: bytes) -> list[int]:
    with wave.open(io.BytesIO(data), "rb") as reader:
        frames = reader.readframes(reader.getnframes())
    return [
        int.from_bytes(frames[i : i + 2], "little", signed=True)
        for i in range(0, len(frames), 2)
    ]


def assert_silent_exactly(data: bytes, ranges: list[list[int]]) -> None:
    """Check that a sample is zero exactly when it falls in one of `ranges`."""
    values = samples(data)
    muted = [False] * len(values)
    for start_ms, end_ms in ranges:
        for index in range(start_ms * RATE // 1000, end_ms * RATE // 1000):
            muted[index] = True
    assert any(muted)
    wrong = [i for i, value in enumerate(values) if (value == 0) != muted[i]]
    assert wrong == []


@pytest.fixture
def recordings(tmp_path: Path) -> Path:
    folder = tmp_path / "recordings-in"
    folder.mkdir()
    return folder


def build(
    settings: Settings,
    clock: FrozenClock,
    fake: FakeTwilio,
    recordings: Path,
    **telephony: Any,
) -> Runtime:
    values: dict[str, Any] = {
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_public_base_url": PUBLIC,
        "twilio_intelligence_url": fake.base_url,
        "twilio_api_url": fake.base_url,
        "recording_hosts": (fake.host,),
        "recordings_dir": recordings,
    }
    values.update(telephony)
    source = GenericSourceSettings("crm", SECRET, ())
    return Runtime.build(
        dataclasses.replace(
            settings,
            generic_sources=(source,),
            telephony=TelephonySettings(**values),
        ),
        clock=clock,
    )


@pytest.fixture
def runtime(
    settings: Settings,
    clock: FrozenClock,
    fake_twilio: FakeTwilio,  # noqa: F811
    recordings: Path,
) -> Iterator[Runtime]:
    built = build(settings, clock, fake_twilio, recordings)
    yield built
    built.database.close()


@pytest.fixture
def client(runtime: Runtime) -> FlaskClient:
    return create_app(runtime).test_client()


def twilio_post(
    client: FlaskClient,
    path: str,
    body: bytes,
    signed_params: dict[str, str] | str,
    content_type: str,
    signed_url: str | None = None,
    token: str = AUTH_TOKEN,
    headers: dict[str, str] | None = None,
    base_url: str = "http://localhost",
) -> Any:
    """Post `body` to `path`, signed as Twilio signs the public URL."""
    url = signed_url or PUBLIC + path
    signature = RequestValidator(token).compute_signature(url, signed_params)
    return client.post(
        path,
        data=body,
        content_type=content_type,
        headers={"X-Twilio-Signature": signature, **(headers or {})},
        base_url=base_url,
    )


def post_intelligence(client: FlaskClient, fields: dict[str, str]) -> Any:
    """Post a Voice Intelligence callback as JSON, with `bodySHA256` in the URL."""
    body = json.dumps(fields).encode()
    query = f"?bodySHA256={hashlib.sha256(body).hexdigest()}"
    path = "/webhooks/twilio/intelligence" + query
    return twilio_post(client, path, body, {}, "application/json")


def post_form(client: FlaskClient, path: str, params: dict[str, str], **kw: Any) -> Any:
    body = urlencode(params).encode()
    return twilio_post(
        client, path, body, params, "application/x-www-form-urlencoded", **kw
    )


def transcription(text: str, recording_url: str = "") -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "CallSid": "CA" + "1e" * 16,
        "RecordingSid": RECORDING_SID,
        "RecordingUrl": recording_url,
        "TranscriptionSid": "TR" + "2f" * 16,
        "TranscriptionStatus": "completed",
        "TranscriptionText": text,
    }


def words(text: str, start: float, step: float = 0.5) -> list[dict[str, str]]:
    """Time each word of `text` `step` seconds apart from `start`, 0.4 s long."""
    return [
        {
            "word": word,
            "start_time": f"{start + n * step:.2f}",
            "end_time": f"{start + n * step + 0.4:.2f}",
        }
        for n, word in enumerate(text.split())
    ]


def sentence(index: int, channel: int, text: str, start: float) -> dict[str, Any]:
    timed = words(text, start)
    return {
        "sid": f"GX{index:032x}",
        "media_channel": channel,
        "sentence_index": index,
        "start_time": timed[0]["start_time"],
        "end_time": timed[-1]["end_time"],
        "transcript": text,
        "confidence": "0.93",
        "words": timed,
    }


# Customer on channel 1, agent on channel 2. Words are 0.5 s apart and
# 0.4 s long, so the digit groups of sentence 1 (words 4 to 7) cover 5.5 s
# to 7.4 s, and those of sentence 2 (words 5 to 8) 10.5 s to 12.4 s.
SENTENCES = [
    sentence(0, 2, "Thanks for calling, how can I help?", 0.0),
    sentence(1, 1, f"My new card is {GROUPED} thanks.", 3.5),
    sentence(2, 2, f"Let me read that back: {GROUPED} correct?", 8.0),
    sentence(3, 1, "Yes that is right.", 13.5),
    sentence(4, 2, "Great, it is updated.", 15.5),
]
CUSTOMER_RANGE = [5500, 7400]
AGENT_RANGE = [10500, 12400]
CALL_SECONDS = 18


def drain(runtime: Runtime) -> int:
    return runtime.worker.drain()


def only_case(client: FlaskClient, runtime: Runtime) -> dict[str, Any]:
    cases = runtime.ledger.list_cases()
    assert len(cases) == 1
    response = client.get(f"/api/cases/{cases[0].id}")
    assert response.status_code == 200
    data: dict[str, Any] = response.json
    return data


def card_finding(case: dict[str, Any], behaviour: str) -> dict[str, Any]:
    found = [
        f
        for f in case["findings"]
        if f["type"] == "BANK_CARD" and f["behaviour"] == behaviour
    ]
    assert len(found) == 1
    return found[0]


def database_bytes(runtime: Runtime) -> bytes:
    path = runtime.database.path
    names = [path, *(Path(f"{path}{suffix}") for suffix in ("-wal", "-shm"))]
    return b"".join(name.read_bytes() for name in names if name.exists())


# -- Twilio Voice Intelligence --------------------------------------------


def intelligence_callback() -> dict[str, str]:
    return {
        "account_sid": ACCOUNT_SID,
        "service_sid": "GA" + "6b" * 16,
        "transcript_sid": TRANSCRIPT_SID,
        "customer_key": "CA" + "1e" * 16,
        "event_type": "voice_intelligence_transcript_available",
    }


def test_intelligence_readback_is_high_with_word_times(
    client: FlaskClient,
    runtime: Runtime,
    fake_twilio: FakeTwilio,  # noqa: F811
) -> None:
    fake_twilio.add_transcript(TRANSCRIPT_SID, SENTENCES, RECORDING_SID)
    fake_twilio.add_recording(RECORDING_SID, make_wav(CALL_SECONDS))

    response = post_intelligence(client, intelligence_callback())
    assert response.status_code == 202
    assert response.json["status"] == "queued"
    assert drain(runtime) == 2  # the transcript, then the muted copy

    case = only_case(client, runtime)
    assert case["severity"] == "high"
    assert case["platform"] == "twilio"
    agent = card_finding(case, "agent_full_disclosure")
    customer = card_finding(case, "unmasked_record")
    assert [agent["start_ms"], agent["end_ms"]] == AGENT_RANGE
    assert [customer["start_ms"], customer["end_ms"]] == CUSTOMER_RANGE
    assert agent["context"]["time_method"] == "words"
    assert agent["suggestion"].startswith("Mute 0:10.500-0:12.400 of the recording.")
    assert case["redaction"] == {
        "mute_ranges_ms": [CUSTOMER_RANGE, AGENT_RANGE],
        "untimed_values": 0,
        "untimed": [],
    }
    assert case["source"]["recording_url"] == (
        fake_twilio.recording_url(RECORDING_SID) + ".wav"
    )
    # Every sentence page and the recording went out with the credentials.
    assert sum("/Sentences" in p for p in fake_twilio.paths()) == 3
    assert all(r.authorised for r in fake_twilio.requests)


def test_intelligence_context_is_masked_with_speakers_and_times(
    client: FlaskClient,
    runtime: Runtime,
    fake_twilio: FakeTwilio,  # noqa: F811
) -> None:
    fake_twilio.add_transcript(TRANSCRIPT_SID, SENTENCES)
    post_intelligence(client, intelligence_callback())
    drain(runtime)

    agent = card_finding(only_case(client, runtime), "agent_full_disclosure")
    utterances = agent["context"]["utterances"]
    assert [u["speaker"] for u in utterances] == [
        "agent",
        "customer",
        "agent",
        "customer",
        "agent",
    ]
    assert [u["has_finding"] for u in utterances] == [False, False, True, False, False]
    assert (utterances[2]["start_ms"], utterances[2]["end_ms"]) == (8000, 12900)
    assert "4532********3850" in utterances[1]["text"]
    assert "4532********3850" in utterances[2]["text"]
    assert utterances[3]["text"] == "Yes that is right."
    assert CARD not in json.dumps(utterances)
    assert GROUPED not in json.dumps(utterances)


def test_intelligence_muted_copy_silent_exactly_in_ranges(
    client: FlaskClient,
    runtime: Runtime,
    fake_twilio: FakeTwilio,  # noqa: F811
) -> None:
    fake_twilio.add_transcript(TRANSCRIPT_SID, SENTENCES, RECORDING_SID)
    fake_twilio.add_recording(RECORDING_SID, make_wav(CALL_SECONDS))
    post_intelligence(client, intelligence_callback())
    drain(runtime)

    case = only_case(client, runtime)
    copy = case["source"]["muted_recording"]
    assert copy["file"] == f"recordings/{case['id']}.wav"
    assert copy["ranges_ms"] == [CUSTOMER_RANGE, AGENT_RANGE]
    saved = (runtime.settings.data_dir / copy["file"]).read_bytes()
    assert_silent_exactly(saved, copy["ranges_ms"])
    assert (runtime.settings.data_dir / copy["file"]).stat().st_mode & 0o077 == 0
    with client.get(f"/api/cases/{case['id']}/recording") as download:
        assert download.status_code == 200
        assert download.mimetype == "audio/wav"
        assert download.data == saved


def test_no_detected_value_in_database_file(
    client: FlaskClient,
    runtime: Runtime,
    fake_twilio: FakeTwilio,  # noqa: F811
) -> None:
    fake_twilio.add_transcript(TRANSCRIPT_SID, SENTENCES, RECORDING_SID)
    fake_twilio.add_recording(RECORDING_SID, make_wav(CALL_SECONDS))
    post_intelligence(client, intelligence_callback())
    post_form(
        client,
        "/webhooks/twilio/transcription",
        transcription(f"Call me back, my card is {CARD}."),
    )
    assert drain(runtime) == 3
    assert len(runtime.ledger.list_cases()) == 2

    stored = database_bytes(runtime)
    for form in (CARD, GROUPED, CARD[4:12], GROUPED[5:14]):
        assert form.encode() not in stored
        assert form.encode("utf-16-le") not in stored


def test_intelligence_other_event_ignored(
    client: FlaskClient, runtime: Runtime
) -> None:
    fields = {**intelligence_callback(), "event_type": "voice_intelligence_other"}
    response = post_intelligence(client, fields)
    assert response.status_code == 202
    assert response.json["status"] == "ignored"
    assert drain(runtime) == 0


def test_intelligence_fetch_error_retries(
    client: FlaskClient,
    runtime: Runtime,
    clock: FrozenClock,
    fake_twilio: FakeTwilio,  # noqa: F811
) -> None:
    fake_twilio.add_transcript(TRANSCRIPT_SID, SENTENCES)
    fake_twilio.fail_next_sentences = 503
    post_intelligence(client, intelligence_callback())
    drain(runtime)
    assert runtime.ledger.list_cases() == []
    assert runtime.queue.counts()["queued"] == 1

    clock.advance(minutes=5)
    drain(runtime)
    assert len(runtime.ledger.list_cases()) == 1


def test_intelligence_duplicate_callback_queued_once(
    client: FlaskClient, runtime: Runtime
) -> None:
    assert post_intelligence(client, intelligence_callback()).json["status"] == (
        "queued"
    )
    assert post_intelligence(client, intelligence_callback()).json["status"] == (
        "duplicate"
    )


def test_channel_roles_from_configuration(
    settings: Settings,
    clock: FrozenClock,
    fake_twilio: FakeTwilio,  # noqa: F811
    recordings: Path,
) -> None:
    swapped = build(
        settings,
        clock,
        fake_twilio,
        recordings,
        twilio_channel_roles={1: "agent", 2: "customer"},
    )
    try:
        fake_twilio.add_transcript(TRANSCRIPT_SID, SENTENCES)
        client = create_app(swapped).test_client()
        post_intelligence(client, intelligence_callback())
        drain(swapped)
        case = only_case(client, swapped)
        # Channel 1 now speaks as the agent, so its card is the disclosure.
        agent = card_finding(case, "agent_full_disclosure")
        assert [agent["start_ms"], agent["end_ms"]] == CUSTOMER_RANGE
    finally:
        swapped.database.close()


# -- Twilio recording transcription ---------------------------------------


def test_transcription_by_agent_is_high_without_times(
    settings: Settings,
    clock: FrozenClock,
    fake_twilio: FakeTwilio,  # noqa: F811
    recordings: Path,
) -> None:
    agent_side = build(
        settings, clock, fake_twilio, recordings, twilio_transcription_role="agent"
    )
    try:
        client = create_app(agent_side).test_client()
        params = transcription(
            f"Your card {GROUPED} is on file.",
            fake_twilio.recording_url(RECORDING_SID),
        )
        response = post_form(client, "/webhooks/twilio/transcription", params)
        assert response.status_code == 202
        assert drain(agent_side) == 1  # no times, so no muted copy is queued

        case = only_case(client, agent_side)
        assert case["severity"] == "high"
        finding = card_finding(case, "agent_full_disclosure")
        assert finding["start_ms"] is None
        assert finding["context"]["time_method"] == "none"
        assert case["redaction"]["mute_ranges_ms"] == []
        assert case["redaction"]["untimed_values"] == 1
        assert case["redaction"]["untimed"] == [
            {
                "segment": finding["segment"],
                "start": finding["start"],
                "end": finding["end"],
                "type": "BANK_CARD",
                "masked": finding["masked"],
                "time_method": "none",
            }
        ]
        assert case["source"]["recording_url"] == fake_twilio.recording_url(
            RECORDING_SID
        )
        muting = client.post(
            f"/api/cases/{case['id']}/recording",
            json={"url": fake_twilio.recording_url(RECORDING_SID) + ".wav"},
        )
        assert muting.status_code == 409
        assert "no time" in muting.json["reason"]
    finally:
        agent_side.database.close()


def test_transcription_voicemail_with_security_code_is_high(
    client: FlaskClient, runtime: Runtime
) -> None:
    params = transcription(
        f"Hi this is a message about my card {CARD} and the security code is "
        "737, please call back."
    )
    assert post_form(client, "/webhooks/twilio/transcription", params).status_code == (
        202
    )
    drain(runtime)

    case = only_case(client, runtime)
    assert case["severity"] == "high"
    assert "credential_request" in case["behaviours"]


def test_transcription_missing_text_400(client: FlaskClient) -> None:
    params = transcription("x")
    del params["TranscriptionText"]
    response = post_form(client, "/webhooks/twilio/transcription", params)
    assert response.status_code == 400
    assert "TranscriptionText" in response.json["reason"]


# -- Twilio signatures ----------------------------------------------------


def test_twilio_bad_signature_401(client: FlaskClient, runtime: Runtime) -> None:
    response = post_form(
        client,
        "/webhooks/twilio/transcription",
        transcription("hello"),
        token="not-the-auth-token",
    )
    assert response.status_code == 401
    assert drain(runtime) == 0


def test_twilio_missing_signature_401(client: FlaskClient) -> None:
    response = client.post(
        "/webhooks/twilio/transcription", data=transcription("hello")
    )
    assert response.status_code == 401
    assert "X-Twilio-Signature" in response.json["reason"]


def test_twilio_broken_json_400(client: FlaskClient) -> None:
    body = b'{"transcript_sid": '
    path = (
        "/webhooks/twilio/intelligence?bodySHA256=" + hashlib.sha256(body).hexdigest()
    )
    response = twilio_post(client, path, body, {}, "application/json")
    assert response.status_code == 400
    assert "not valid JSON" in response.json["reason"]


def test_twilio_changed_body_401(client: FlaskClient) -> None:
    body = json.dumps(intelligence_callback()).encode()
    path = (
        "/webhooks/twilio/intelligence?bodySHA256=" + hashlib.sha256(body).hexdigest()
    )
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + path, {})
    response = client.post(
        path,
        data=body.replace(b"GT", b"GX"),
        content_type="application/json",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 401


def test_twilio_unknown_kind_404(client: FlaskClient) -> None:
    response = post_form(client, "/webhooks/twilio/voice", transcription("x"))
    assert response.status_code == 404
    assert "intelligence or transcription" in response.json["reason"]


def test_twilio_unconfigured_404(
    settings: Settings,
    clock: FrozenClock,
    fake_twilio: FakeTwilio,  # noqa: F811
    recordings: Path,
) -> None:
    bare = build(settings, clock, fake_twilio, recordings, twilio_auth_token="")
    try:
        client = create_app(bare).test_client()
        response = post_form(
            client, "/webhooks/twilio/transcription", transcription("x")
        )
        assert response.status_code == 404
        assert "REDLINE_TWILIO_AUTH_TOKEN" in response.json["reason"]
    finally:
        bare.database.close()


def test_twilio_signed_with_default_port(client: FlaskClient) -> None:
    path = "/webhooks/twilio/transcription"
    response = post_form(
        client,
        path,
        transcription("hello"),
        signed_url=f"https://redline.example.com:443{path}",
    )
    assert response.status_code == 202


def test_twilio_signed_query_as_received(client: FlaskClient) -> None:
    path = "/webhooks/twilio/transcription?team=billing%2Fvip&x=a+b"
    response = post_form(client, path, transcription("hello"))
    assert response.status_code == 202


@pytest.mark.parametrize(("trusted", "status"), [(True, 202), (False, 401)])
def test_twilio_forwarded_headers_only_when_trusted(
    settings: Settings,
    clock: FrozenClock,
    fake_twilio: FakeTwilio,  # noqa: F811
    recordings: Path,
    trusted: bool,
    status: int,
) -> None:
    proxied = build(
        settings,
        clock,
        fake_twilio,
        recordings,
        twilio_public_base_url="",
        twilio_trust_forwarded=trusted,
    )
    try:
        client = create_app(proxied).test_client()
        path = "/webhooks/twilio/transcription"
        response = post_form(
            client,
            path,
            transcription("hello"),
            signed_url=f"https://calls.example.org{path}",
            headers={
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": "calls.example.org",
            },
            base_url="http://10.0.0.7:8080",
        )
        assert response.status_code == status
    finally:
        proxied.database.close()


# -- vCon -----------------------------------------------------------------


def vcon(text: str) -> dict[str, Any]:
    """A vCon whose transcript has the agent read a card back, with word times."""
    turns = [
        {"parties": 0, "start": 1.0, "duration": 3.0, "text": "I need to pay."},
        {"parties": 1, "start": 4.0, "duration": 6.0, "text": text},
    ]
    turns[1]["words"] = [
        {
            "word": w["word"],
            "start": float(w["start_time"]),
            "end": float(w["end_time"]),
        }
        for w in words(text, 4.0)
    ]
    return {
        "vcon": "0.0.2",
        "uuid": "0195544a-bd15-8960-b9a2-000000000001",
        "parties": [{"name": "Caller"}, {"name": "Desk", "role": "agent"}],
        "dialog": [
            {
                "type": "recording",
                "start": "2026-03-02T09:00:00+00:00",
                "duration": 12.0,
                "parties": [0, 1],
                "mimetype": "audio/x-wav",
                "url": "https://media.example.net/calls/0001.wav?X-Sig=secret",
            }
        ],
        "analysis": [
            {"type": "transcript", "dialog": 0, "vendor": "test", "body": turns}
        ],
    }


def post_signed(
    client: FlaskClient,
    clock: FrozenClock,
    path: str,
    body: bytes,
    source: str = "crm",
    secret: str = SECRET,
) -> Any:
    return signed.post_signed(client, clock, body, secret, path, source)


def test_vcon_readback_is_high_and_muted_from_path(
    client: FlaskClient, clock: FrozenClock, runtime: Runtime, recordings: Path
) -> None:
    body = json.dumps(vcon(f"I will read it back {GROUPED} ok?")).encode()
    response = post_signed(client, clock, "/webhooks/vcon", body)
    assert response.status_code == 202
    assert drain(runtime) == 1  # media.example.net is not an allowed host

    case = only_case(client, runtime)
    assert case["severity"] == "high"
    assert case["platform"] == "generic:crm"
    agent = card_finding(case, "agent_full_disclosure")
    # Words 5 to 8 of the turn: 4.0 + 5 * 0.5 = 6.5 s to 4.0 + 8 * 0.5 + 0.4.
    assert [agent["start_ms"], agent["end_ms"]] == [6500, 8400]
    assert agent["context"]["time_method"] == "words"
    assert case["source"]["recording_url"] == "https://media.example.net/calls/0001.wav"

    (recordings / "call-0001.wav").write_bytes(make_wav(12))
    muting = client.post(
        f"/api/cases/{case['id']}/recording", json={"path": "call-0001.wav"}
    )
    assert muting.status_code == 202
    assert drain(runtime) == 1
    copy = only_case(client, runtime)["source"]["muted_recording"]
    assert copy["from"] == "path"
    saved = (runtime.settings.data_dir / copy["file"]).read_bytes()
    assert_silent_exactly(saved, [[6500, 8400]])


def test_vcon_unknown_source_404(client: FlaskClient, clock: FrozenClock) -> None:
    body = json.dumps(vcon("hello")).encode()
    response = post_signed(client, clock, "/webhooks/vcon", body, source="pbx")
    assert response.status_code == 404


def test_vcon_bad_signature_401(client: FlaskClient, clock: FrozenClock) -> None:
    body = json.dumps(vcon("hello")).encode()
    response = post_signed(client, clock, "/webhooks/vcon", body, secret="wrong")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"uuid": ', "not valid JSON"),
        (b'{"uuid": "x", "analysis": []}', "no transcript analysis"),
        (b"[1, 2]", "JSON object"),
    ],
)
def test_vcon_broken_body_400(
    client: FlaskClient, clock: FrozenClock, body: bytes, reason: str
) -> None:
    response = post_signed(client, clock, "/webhooks/vcon", body)
    assert response.status_code == 400
    assert reason in response.json["reason"]


# -- Contact Lens ---------------------------------------------------------

# 12 characters, the card's 16, then 11: 39 characters over 3.9 s, so each
# character is 100 ms and the card covers 1.2 s to 2.8 s of the turn.
READ_BACK = f"I read back {CARD} - correct?"


def test_contact_lens_readback_interpolated(
    client: FlaskClient, clock: FrozenClock, runtime: Runtime
) -> None:
    assert len(READ_BACK) == 39
    analysis = {
        "CustomerMetadata": {"InstanceId": "inst-1", "ContactId": "contact-0001"},
        "Participants": [
            {"ParticipantId": "a-1", "ParticipantRole": "AGENT"},
            {"ParticipantId": "c-1", "ParticipantRole": "CUSTOMER"},
        ],
        "Transcript": [
            {
                "Id": "t1",
                "ParticipantId": "c-1",
                "Content": "I want to check a payment",
                "BeginOffsetMillis": 0,
                "EndOffsetMillis": 2000,
            },
            {
                "Id": "t2",
                "ParticipantId": "a-1",
                "Content": READ_BACK,
                "BeginOffsetMillis": 2500,
                "EndOffsetMillis": 6400,
            },
        ],
    }
    body = json.dumps(analysis).encode()
    assert post_signed(client, clock, "/webhooks/contact-lens", body).status_code == (
        202
    )
    drain(runtime)

    case = only_case(client, runtime)
    assert case["severity"] == "high"
    agent = card_finding(case, "agent_full_disclosure")
    assert [agent["start_ms"], agent["end_ms"]] == [3700, 5300]
    assert agent["context"]["time_method"] == "interpolated"
    assert case["redaction"]["mute_ranges_ms"] == [[3700, 5300]]


# -- recordings: where they may come from ---------------------------------


class OtherHost:
    """A server that is not on the allow-list and counts what reaches it."""

    def __init__(self) -> None:
        self.hits = 0
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, self._app)
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def _app(self, environ: Any, start_response: Any) -> Any:
        Request(environ)
        self.hits += 1
        response = WerkzeugResponse(make_wav(CALL_SECONDS), content_type="audio/x-wav")
        return response(environ, start_response)


@pytest.fixture
def other_host() -> Iterator[OtherHost]:
    server = OtherHost()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def recorded_case(
    client: FlaskClient, runtime: Runtime, fake: FakeTwilio
) -> dict[str, Any]:
    fake.add_transcript(TRANSCRIPT_SID, SENTENCES)
    post_intelligence(client, intelligence_callback())
    drain(runtime)
    return only_case(client, runtime)


def test_download_from_other_host_rejected(
    client: FlaskClient,
    runtime: Runtime,
    fake_twilio: FakeTwilio,  # noqa: F811
    other_host: OtherHost,
) -> None:
    case = recorded_case(client, runtime, fake_twilio)

    response = client.post(
        f"/api/cases/{case['id']}/recording",
        json={"url": f"{other_host.base_url}/call.wav"},
    )

    assert response.status_code == 400
    assert "REDLINE_RECORDING_HOSTS" in response.json["reason"]
    assert drain(runtime) == 0
    assert other_host.hits == 0


def test_redirect_off_allowed_host_rejected(
    client: FlaskClient,
    runtime: Runtime,
    fake_twilio: FakeTwilio,  # noqa: F811
    other_host: OtherHost,
) -> None:
    fake_twilio.add_transcript(TRANSCRIPT_SID, SENTENCES, RECORDING_SID)
    fake_twilio.redirect_recordings_to = other_host.base_url
    post_intelligence(client, intelligence_callback())
    drain(runtime)

    assert other_host.hits == 0
    case = only_case(client, runtime)
    assert "redirect rejected" in case["source"]["muted_recording"]["error"]
    dead = runtime.queue.dead_jobs(10)
    assert [job["kind"] for job in dead] == [MUTE_RECORDING]


def test_recording_over_size_limit_rejected(
    settings: Settings,
    clock: FrozenClock,
    fake_twilio: FakeTwilio,  # noqa: F811
    recordings: Path,
) -> None:
    small = build(settings, clock, fake_twilio, recordings, max_recording_bytes=4096)
    try:
        fake_twilio.add_transcript(TRANSCRIPT_SID, SENTENCES, RECORDING_SID)
        fake_twilio.add_recording(RECORDING_SID, make_wav(CALL_SECONDS))
        client = create_app(small).test_client()
        post_intelligence(client, intelligence_callback())
        drain(small)
        error = only_case(client, small)["source"]["muted_recording"]["error"]
        assert "over the limit of 4096 bytes" in error
        assert not (small.settings.data_dir / "recordings").exists()
    finally:
        small.database.close()


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../outside.wav", "outside REDLINE_RECORDINGS_DIR"),
        ("missing.wav", "no recording file"),
    ],
)
def test_recording_path_rejected(
    client: FlaskClient,
    runtime: Runtime,
    fake_twilio: FakeTwilio,  # noqa: F811
    recordings: Path,
    path: str,
    reason: str,
) -> None:
    (recordings.parent / "outside.wav").write_bytes(make_wav(1))
    case = recorded_case(client, runtime, fake_twilio)

    response = client.post(f"/api/cases/{case['id']}/recording", json={"path": path})

    assert response.status_code == 400
    assert reason in response.json["reason"]


@pytest.mark.parametrize(
    "body",
    [{}, {"url": "https://a.example/x.wav", "path": "x.wav"}, {"file": "x.wav"}],
)
def test_recording_request_shape_400(
    client: FlaskClient,
    runtime: Runtime,
    fake_twilio: FakeTwilio,  # noqa: F811
    body: dict[str, str],
) -> None:
    case = recorded_case(client, runtime, fake_twilio)
    response = client.post(f"/api/cases/{case['id']}/recording", json=body)
    assert response.status_code == 400


def test_recording_of_unknown_case_404(client: FlaskClient) -> None:
    response = client.post(
        "/api/cases/c_0000000000000000/recording", json={"path": "x.wav"}
    )
    assert response.status_code == 404
    assert client.get("/api/cases/c_0000000000000000/recording").status_code == 404


# -- ledger schema --------------------------------------------------------


def test_older_database_gets_context_column(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(
            """
            CREATE TABLE cases (id TEXT PRIMARY KEY, interaction_key TEXT NOT NULL
                UNIQUE, platform TEXT NOT NULL, channel TEXT NOT NULL,
                source TEXT NOT NULL, agent_id TEXT, team TEXT,
                severity TEXT NOT NULL, status TEXT NOT NULL,
                behaviours TEXT NOT NULL, sla_deadline TEXT,
                resolution_note TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE TABLE findings (case_id TEXT NOT NULL, finding_key TEXT NOT NULL,
                segment TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
                type TEXT NOT NULL, form TEXT NOT NULL, behaviour TEXT,
                severity TEXT NOT NULL, rule TEXT NOT NULL, confidence REAL NOT NULL,
                masked TEXT NOT NULL, fingerprint TEXT NOT NULL,
                excerpt TEXT NOT NULL, suggestion TEXT NOT NULL,
                explanation TEXT NOT NULL, start_ms INTEGER, end_ms INTEGER,
                created_at TEXT NOT NULL, report_id TEXT,
                PRIMARY KEY (case_id, finding_key));
            INSERT INTO cases VALUES ('c_1', 'k', 'twilio', 'voice', '{}', NULL,
                NULL, 'high', 'open', '[]', NULL, '', '2026-01-01T00:00:00Z',
                '2026-01-01T00:00:00Z');
            INSERT INTO findings VALUES ('c_1', 's1:0:4:BANK_CARD', 's1', 0, 4,
                'BANK_CARD', 'full', 'unmasked_record', 'medium', 'payment_card',
                0.9, '****', '', '', '', '', 100, 200, '2026-01-01T00:00:00Z',
                NULL);
            """
        )
    connection.close()

    database = Database(path)
    try:
        case = SqliteLedger(database).get_case("c_1")
        assert case is not None
        assert case.findings[0].context is None
        assert case.findings[0].start_ms == 100
    finally:
        database.close()


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        (
            "https://u:pw@media.example.net/a.wav?sig=1#t",
            "https://media.example.net/a.wav",
        ),
        ("s3://bucket/CallRecordings/a.wav", "s3://bucket/CallRecordings/a.wav"),
        (
            "https://media.example.net:44321/2026/139%2012345678.wav",
            "https://media.example.net:44321/2026/*** ********.wav",
        ),
        ("s3://bucket/calls/13912345678.wav", "s3://bucket/calls/***********.wav"),
        ("https://[::1/x.wav", None),
        ("file:///var/calls/a.wav", None),
        ("not a url", None),
        (None, None),
    ],
)
def test_stored_recording_url(url: str | None, kept: str | None) -> None:
    assert stored_recording_url(url) == kept


# -- behind a proxy, on the real server -----------------------------------


@contextmanager
def live_gateway(env: dict[str, str]) -> Iterator[str]:
    """Serve the gateway as `python -m gateway run` does, on 127.0.0.1.

    `_start` builds the waitress server that `run` uses; it runs in a
    thread and is closed from its own loop.
    """
    settings = Settings.from_env(env)
    lock = DataDirLock(settings.data_dir)
    runtime, server = _start(settings, lock, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.trigger.pull_trigger(lambda: close_all(server._map))
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
        runtime.database.close()
        lock.release()


@pytest.mark.parametrize(
    ("proxy", "path", "status"),
    [
        ("127.0.0.1", "/webhooks/twilio/transcription", 202),
        ("*", "/webhooks/twilio/transcription?", 202),
        ("10.9.9.9", "/webhooks/twilio/transcription", 401),
    ],
)
def test_real_server_applies_forwarded_headers(
    tmp_path: Path, proxy: str, path: str, status: int
) -> None:
    env = {
        "REDLINE_DATA_DIR": str(tmp_path / "data"),
        "REDLINE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "REDLINE_TWILIO_TRUST_FORWARDED": "true",
        "REDLINE_TRUSTED_PROXY": proxy,
    }
    params = transcription("hello")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        f"https://calls.example.org{path}", params
    )

    with live_gateway(env) as base_url:
        response = requests.post(
            base_url + path,
            data=urlencode(params),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": "calls.example.org",
            },
            timeout=10,
        )

    assert response.status_code == status


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"REDLINE_TWILIO_TRUST_FORWARDED": "true"},
            "REDLINE_TRUSTED_PROXY is not set",
        ),
        ({"REDLINE_TRUSTED_PROXY": "proxy.internal"}, "give the proxy's IP"),
    ],
)
def test_trusted_proxy_config_checked(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_trusted_proxy_address_normalised() -> None:
    settings = Settings.from_env({"REDLINE_TRUSTED_PROXY": " 2001:DB8::0001 "})

    assert settings.trusted_proxy == "2001:db8::1"


# -- what intake can check, it checks ----------------------------------------


def contact_lens(
    turns: list[dict[str, Any]], metadata: dict[str, Any] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "Participants": [
            {"ParticipantId": "a-1", "ParticipantRole": "AGENT"},
            {"ParticipantId": "c-1", "ParticipantRole": "CUSTOMER"},
        ],
        "Transcript": turns,
    }
    if metadata is not None:
        data["CustomerMetadata"] = metadata
    return data


def readback_turn(begin: int = 2500, end: int = 6400) -> dict[str, Any]:
    return {
        "ParticipantId": "a-1",
        "Content": READ_BACK,
        "BeginOffsetMillis": begin,
        "EndOffsetMillis": end,
    }


def assert_no_dead_jobs(runtime: Runtime) -> None:
    assert runtime.queue.dead_jobs(10) == []
    assert runtime.queue.counts()["queued"] == 0


def test_contact_lens_reversed_turn_listed(
    client: FlaskClient, clock: FrozenClock, runtime: Runtime
) -> None:
    data = contact_lens([readback_turn(5000, 1000)], {"ContactId": "contact-0002"})

    response = post_signed(
        client, clock, "/webhooks/contact-lens", json.dumps(data).encode()
    )
    assert response.status_code == 202
    drain(runtime)

    assert_no_dead_jobs(runtime)
    case = only_case(client, runtime)
    agent = card_finding(case, "agent_full_disclosure")
    assert agent["start_ms"] is None
    assert agent["context"]["time_method"] == "invalid"
    assert agent["suggestion"].startswith("The transcript's times")
    assert case["redaction"]["mute_ranges_ms"] == []
    assert case["redaction"]["untimed_values"] == 1
    assert case["redaction"]["untimed"][0]["masked"] == agent["masked"]
    assert case["redaction"]["untimed"][0]["time_method"] == "invalid"


def test_contact_lens_empty_turn_untimed(
    client: FlaskClient, clock: FrozenClock, runtime: Runtime
) -> None:
    data = contact_lens([readback_turn(3000, 3000)], {"ContactId": "contact-0003"})

    post_signed(client, clock, "/webhooks/contact-lens", json.dumps(data).encode())
    drain(runtime)

    redaction = only_case(client, runtime)["redaction"]
    assert redaction["mute_ranges_ms"] == []
    assert redaction["untimed_values"] == 1


@pytest.mark.parametrize(
    ("path", "data", "field"),
    [
        ("/webhooks/contact-lens", contact_lens([]), "Transcript is empty"),
        (
            "/webhooks/contact-lens",
            contact_lens([readback_turn(0, 10**300)]),
            "Transcript[0].EndOffsetMillis",
        ),
        (
            "/webhooks/contact-lens",
            contact_lens([readback_turn()], {"ContactId": ["x"]}),
            "CustomerMetadata.ContactId",
        ),
        (
            "/webhooks/vcon",
            {**vcon("hi"), "analysis": [{"type": "transcript", "body": []}]},
            "analysis[0].body has no turns",
        ),
        (
            "/webhooks/vcon",
            {k: v for k, v in vcon("hi").items() if k != "uuid"},
            "uuid",
        ),
        ("/webhooks/vcon", {**vcon("hi"), "uuid": {"id": "13800138000"}}, "uuid"),
        ("/webhooks/vcon", {**vcon("hi"), "dialog": ["x"]}, "dialog[0]"),
    ],
)
def test_bad_transcript_rejected_at_intake(
    client: FlaskClient,
    clock: FrozenClock,
    runtime: Runtime,
    path: str,
    data: dict[str, Any],
    field: str,
) -> None:
    response = post_signed(client, clock, path, json.dumps(data).encode())

    assert response.status_code == 400
    assert field in response.json["reason"]
    assert "13800138000" not in response.json["reason"]
    assert drain(runtime) == 0


def vcon_turns(turn: dict[str, Any]) -> dict[str, Any]:
    data = vcon("hi")
    data["analysis"][0]["body"] = [{"text": "hello", **turn}]
    return data


def vcon_deepgram(results: dict[str, Any]) -> dict[str, Any]:
    data = vcon("hi")
    data["analysis"][0]["body"] = {"results": results}
    return data


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (vcon_turns({"parties": "customer"}), "body[0].parties"),
        (vcon_turns({"parties": {}}), "body[0].parties"),
        (vcon_turns({"start": "2026-03-02T09:00:05"}), "body[0].start"),
        (vcon_deepgram({"utterances": ["x"]}), "utterances[0]"),
        (vcon_deepgram({"channels": ["x"]}), "channels[0]"),
        (
            vcon_deepgram(
                {
                    "channels": [
                        {
                            "alternatives": [
                                {"paragraphs": {"paragraphs": [{"start": 0, "end": 1}]}}
                            ]
                        }
                    ]
                }
            ),
            "paragraphs[0].sentences",
        ),
    ],
)
def test_malformed_vcon_is_400_naming_field(
    client: FlaskClient,
    clock: FrozenClock,
    runtime: Runtime,
    data: dict[str, Any],
    field: str,
) -> None:
    response = post_signed(client, clock, "/webhooks/vcon", json.dumps(data).encode())

    assert response.status_code == 400
    assert field in response.json["reason"]
    assert drain(runtime) == 0


def test_calls_without_ids_stay_apart(
    client: FlaskClient, clock: FrozenClock, runtime: Runtime
) -> None:
    first = contact_lens([readback_turn()])
    second = contact_lens([{**readback_turn(), "Content": f"{READ_BACK} Thanks."}])

    ids = [
        post_signed(
            client, clock, "/webhooks/contact-lens", json.dumps(data).encode()
        ).json["interactions"][0]
        for data in (first, second, first)
    ]
    drain(runtime)

    assert ids[0] != ids[1]
    assert ids[2] == ids[0]
    assert len(runtime.ledger.list_cases()) == 2


def test_vcon_numeric_uuid_not_stored(
    client: FlaskClient, clock: FrozenClock, runtime: Runtime
) -> None:
    phone = "13800138000"
    data = {**vcon(f"I will read it back {GROUPED} ok?"), "uuid": phone}

    response = post_signed(client, clock, "/webhooks/vcon", json.dumps(data).encode())
    drain(runtime)

    assert response.status_code == 202
    assert phone not in response.get_data(as_text=True)
    case = only_case(client, runtime)
    assert case["source"]["uuid"] == response.json["interactions"][0].removeprefix(
        "vcon:"
    )
    stored = database_bytes(runtime)
    assert phone.encode() not in stored
    assert CARD.encode() not in stored
    # A second delivery of the call meets the same case.
    again = post_signed(client, clock, "/webhooks/vcon", json.dumps(data).encode())
    assert again.json["interactions"] == response.json["interactions"]


# -- Twilio sentences the worker cannot refuse -----------------------------


@pytest.mark.parametrize("bad", [None, "-1", "1e30", "soon", "1e999999999"])
def test_bad_sentence_time_spares_others(
    client: FlaskClient,
    runtime: Runtime,
    fake_twilio: FakeTwilio,  # noqa: F811
    bad: str | None,
) -> None:
    sentences = copy.deepcopy(SENTENCES)
    sentences[2]["start_time"] = bad
    for word in sentences[2]["words"]:
        word["start_time"] = bad
    fake_twilio.add_transcript(TRANSCRIPT_SID, sentences)

    post_intelligence(client, intelligence_callback())
    drain(runtime)

    assert_no_dead_jobs(runtime)
    case = only_case(client, runtime)
    agent = card_finding(case, "agent_full_disclosure")
    customer = card_finding(case, "unmasked_record")
    assert agent["start_ms"] is None
    assert agent["context"]["time_method"] == "invalid"
    assert [customer["start_ms"], customer["end_ms"]] == CUSTOMER_RANGE
    assert case["redaction"]["mute_ranges_ms"] == [CUSTOMER_RANGE]
    assert case["redaction"]["untimed_values"] == 1


def test_huge_word_times_untimed(
    client: FlaskClient,
    runtime: Runtime,
    fake_twilio: FakeTwilio,  # noqa: F811
) -> None:
    sentences = copy.deepcopy(SENTENCES)
    sentences[2]["end_time"] = "1e30"
    sentences[2]["words"] = [
        {**word, "end_time": "1e30"} for word in sentences[2]["words"]
    ]
    fake_twilio.add_transcript(TRANSCRIPT_SID, sentences)

    post_intelligence(client, intelligence_callback())
    assert drain(runtime) == 1

    assert_no_dead_jobs(runtime)
    agent = card_finding(only_case(client, runtime), "agent_full_disclosure")
    assert agent["context"]["time_method"] == "invalid"


def test_failed_transcription_ignored(client: FlaskClient, runtime: Runtime) -> None:
    params = transcription("")
    params["TranscriptionStatus"] = "failed"
    del params["TranscriptionText"]

    response = post_form(client, "/webhooks/twilio/transcription", params)

    assert response.status_code == 202
    assert response.json == {"status": "ignored", "delivery": "TR" + "2f" * 16}
    assert drain(runtime) == 0


def test_twilio_signed_with_empty_query(client: FlaskClient) -> None:
    path = "/webhooks/twilio/transcription?"
    response = post_form(client, path, transcription("hello"))

    assert response.status_code == 202


# -- muted copies: retry after a failure, never a stale file ---------------


def test_failed_copy_can_be_retried(
    client: FlaskClient,
    runtime: Runtime,
    fake_twilio: FakeTwilio,  # noqa: F811
    recordings: Path,
) -> None:
    case = recorded_case(client, runtime, fake_twilio)
    url = f"/api/cases/{case['id']}/recording"
    (recordings / "call.wav").write_bytes(b"not a wav")

    assert client.post(url, json={"path": "call.wav"}).json["status"] == "queued"
    assert client.post(url, json={"path": "call.wav"}).json["status"] == "duplicate"
    drain(runtime)
    assert "error" in only_case(client, runtime)["source"]["muted_recording"]
    assert client.get(url).status_code == 404

    (recordings / "call.wav").write_bytes(make_wav(CALL_SECONDS))
    assert client.post(url, json={"path": "call.wav"}).json["status"] == "queued"
    drain(runtime)
    copy = only_case(client, runtime)["source"]["muted_recording"]
    assert "error" not in copy
    with client.get(url) as download:
        assert download.status_code == 200
        assert_silent_exactly(download.data, copy["ranges_ms"])
    # The copy exists, so the same request queues nothing.
    assert client.post(url, json={"path": "call.wav"}).json["status"] == "duplicate"
    assert drain(runtime) == 0


def test_stale_copy_deleted_on_failure(
    client: FlaskClient,
    runtime: Runtime,
    fake_twilio: FakeTwilio,  # noqa: F811
    recordings: Path,
) -> None:
    case = recorded_case(client, runtime, fake_twilio)
    url = f"/api/cases/{case['id']}/recording"
    (recordings / "old.wav").write_bytes(make_wav(CALL_SECONDS))
    client.post(url, json={"path": "old.wav"})
    drain(runtime)
    with client.get(url) as download:
        assert download.status_code == 200

    (recordings / "new.wav").write_bytes(b"RIFF broken")
    client.post(url, json={"path": "new.wav"})
    drain(runtime)

    assert "error" in only_case(client, runtime)["source"]["muted_recording"]
    assert client.get(url).status_code == 404
    assert not (runtime.settings.data_dir / "recordings" / f"{case['id']}.wav").exists()


def test_mismatched_copy_not_served(
    client: FlaskClient,
    runtime: Runtime,
    fake_twilio: FakeTwilio,  # noqa: F811
    recordings: Path,
) -> None:
    case = recorded_case(client, runtime, fake_twilio)
    url = f"/api/cases/{case['id']}/recording"
    (recordings / "call.wav").write_bytes(make_wav(CALL_SECONDS))
    client.post(url, json={"path": "call.wav"})
    drain(runtime)

    saved = runtime.settings.data_dir / "recordings" / f"{case['id']}.wav"
    saved.write_bytes(make_wav(1))

    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"path": "call\x00.wav"},
        {"url": "https://[::1/x.wav"},
        {"path": 7},
    ],
)
def test_recording_request_with_bad_value_400(
    client: FlaskClient,
    runtime: Runtime,
    fake_twilio: FakeTwilio,  # noqa: F811
    body: dict[str, Any],
) -> None:
    case = recorded_case(client, runtime, fake_twilio)

    response = client.post(f"/api/cases/{case['id']}/recording", json=body)

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("times", "timed"),
    [
        ((1000, 2000), True),
        ((5000, 1000), False),
        ((3000, 3000), False),
        ((None, 2000), False),
        ((0, 10**30), False),
    ],
)
def test_mute_ranges_count_unusable_times(
    times: tuple[int | None, int | None], timed: bool
) -> None:
    spoken = Finding(
        "s1",
        0,
        16,
        "BANK_CARD",
        "full",
        "unmasked_record",
        "medium",
        "card",
        0.9,
        "4532********3850",
        start_ms=times[0],
        end_ms=times[1],
    )
    phrase = dataclasses.replace(spoken, type="RISKY_PHRASE", behaviour=None)

    ranges, untimed = mute_ranges([spoken, phrase])

    assert ranges == ([times] if timed else [])
    assert untimed == ([] if timed else [spoken])


# -- call sources, numbers in URLs, concurrent copies and credentials -------

PHONE = "13912345678"


class RecordingHost(OtherHost):
    """An allowed recording host without credentials; it records each path."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []
        self.authorised: list[bool] = []

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_port}"

    def _app(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        self.paths.append(request.path)
        self.authorised.append(request.authorization is not None)
        return super()._app(environ, start_response)


@pytest.fixture
def media_host() -> Iterator[RecordingHost]:
    server = RecordingHost()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def media_runtime(
    settings: Settings,
    clock: FrozenClock,
    fake_twilio: FakeTwilio,  # noqa: F811
    recordings: Path,
    media_host: RecordingHost,
) -> Iterator[Runtime]:
    built = build(
        settings,
        clock,
        fake_twilio,
        recordings,
        recording_hosts=(fake_twilio.host, media_host.host),
    )
    yield built
    built.database.close()


def generic_call(**source: Any) -> dict[str, Any]:
    """A call in the generic format whose agent reads a card back at 3.7-5.3 s."""
    return {
        "id": "call-0001",
        "channel": "voice",
        "source": source,
        "segments": [
            {
                "id": "s1",
                "speaker": "customer",
                "text": "I want to check a payment",
                "start_ms": 0,
                "end_ms": 2000,
            },
            {
                "id": "s2",
                "speaker": "agent",
                "text": READ_BACK,
                "start_ms": 2500,
                "end_ms": 6400,
            },
        ],
    }


def test_generic_call_source_kept_safe(
    media_runtime: Runtime,
    clock: FrozenClock,
    media_host: RecordingHost,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    client = create_app(media_runtime).test_client()
    forged_copy = {"file": "recordings/c_0000000000000000.wav", "sha256": "0" * 64}
    forged_item = {"segment": "s1", "kind": "image", "reason": "forged"}
    data = generic_call(
        recording_url=f"{media_host.base_url}/calls/{PHONE}.wav?sig=s3cr3t",
        crm_contact=PHONE,
        muted_recording=forged_copy,
        not_inspected=[forged_item],
    )

    response = post_signed(
        client, clock, "/webhooks/generic", json.dumps(data).encode()
    )
    assert response.status_code == 202
    assert drain(media_runtime) == 2  # the call, then its muted copy

    case = only_case(client, media_runtime)
    source = case["source"]
    assert source["recording_url"] == f"{media_host.base_url}/calls/{'*' * 11}.wav"
    assert source["crm_contact"].startswith("h-")
    assert "not_inspected" not in source
    copy = source["muted_recording"]
    assert copy["file"] == f"recordings/{case['id']}.wav"
    assert copy["sha256"] != forged_copy["sha256"]
    # The worker fetched the recording by its real path, and only once.
    assert media_host.paths == [f"/calls/{PHONE}.wav"]
    with client.get(f"/api/cases/{case['id']}/recording") as download:
        assert download.status_code == 200
        assert_silent_exactly(download.data, [[3700, 5300]])

    stored = database_bytes(media_runtime)
    assert PHONE.encode() not in stored
    assert b"s3cr3t" not in stored
    assert CARD.encode() not in stored
    # urllib3 logs URLs at debug level; the gateway keeps it at WARNING.
    ours = [
        record.getMessage()
        for record in caplog.records
        if record.name.split(".")[0] in ("gateway", "adapters", "infra")
    ]
    assert ours
    assert not [message for message in ours if PHONE in message]


def test_numbers_in_recording_urls_masked(
    client: FlaskClient, clock: FrozenClock, runtime: Runtime
) -> None:
    call = vcon(f"I will read it back {GROUPED} ok?")
    call["dialog"][0]["url"] = f"https://media.example.net/calls/{PHONE}.wav"
    call["analysis"][0]["vendor"] = f"acme {PHONE}"
    call["analysis"][0]["schema"] = f"crm-{PHONE}-v2"
    analysis = contact_lens(
        [readback_turn()],
        {
            "ContactId": "contact-0004",
            "InputS3Uri": f"s3://connect-bucket/calls/{PHONE}.wav",
        },
    )

    for path, data in (("/webhooks/vcon", call), ("/webhooks/contact-lens", analysis)):
        response = post_signed(client, clock, path, json.dumps(data).encode())
        assert response.status_code == 202
    drain(runtime)

    urls = {
        case.source["platform"]: case.source["recording_url"]
        for case in runtime.ledger.list_cases()
    }
    assert urls == {
        "vcon": f"https://media.example.net/calls/{'*' * 11}.wav",
        "amazon_connect": f"s3://connect-bucket/calls/{'*' * 11}.wav",
    }
    assert PHONE.encode() not in database_bytes(runtime)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda d: d["analysis"][0].update(body="[" * 100_000 + "]" * 100_000),
            "analysis[0].body nests",
        ),
        (
            lambda d: d["analysis"][0]["body"][0].update(start="1e999999999"),
            "analysis[0].body[0].start",
        ),
    ],
)
def test_vcon_unparsable_body_is_400(
    client: FlaskClient,
    clock: FrozenClock,
    runtime: Runtime,
    change: Any,
    field: str,
) -> None:
    data = vcon("hello")
    change(data)

    response = post_signed(client, clock, "/webhooks/vcon", json.dumps(data).encode())

    assert response.status_code == 400
    assert field in response.json["reason"]
    assert drain(runtime) == 0


def test_twilio_credentials_only_for_twilio_recordings(
    client: FlaskClient,
    clock: FrozenClock,
    runtime: Runtime,
    fake_twilio: FakeTwilio,  # noqa: F811
) -> None:
    fake_twilio.add_recording(RECORDING_SID, make_wav(CALL_SECONDS))
    url = fake_twilio.recording_url(RECORDING_SID) + ".wav"
    data = generic_call(recording_url=url)

    post_signed(client, clock, "/webhooks/generic", json.dumps(data).encode())
    assert drain(runtime) == 2
    case = only_case(client, runtime)
    assert "HTTP 401" in case["source"]["muted_recording"]["error"]

    # A copy asked for through the API gets no credentials either.
    response = client.post(f"/api/cases/{case['id']}/recording", json={"url": url})
    assert response.json["status"] == "queued"
    assert drain(runtime) == 1

    fetched = [r for r in fake_twilio.requests if "/Recordings/" in r.path]
    assert len(fetched) == 2
    assert not any(r.authorised for r in fetched)


class GatedLedger:
    """A ledger whose first muted-copy record waits until the test releases it."""

    def __init__(self, ledger: SqliteLedger) -> None:
        self.ledger = ledger
        self.first_waiting = threading.Event()
        self.second_recording = threading.Event()
        self.release = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ledger, name)

    def set_muted_recording(
        self, case_id: str, copy: dict[str, Any], note: str = ""
    ) -> bool:
        if copy.get("request") == "first":
            self.first_waiting.set()
            assert self.release.wait(30)
        else:
            self.second_recording.set()
        return self.ledger.set_muted_recording(case_id, copy, note)


def test_concurrent_copies_match_their_record(
    client: FlaskClient,
    runtime: Runtime,
    fake_twilio: FakeTwilio,  # noqa: F811
    recordings: Path,
) -> None:
    case = recorded_case(client, runtime, fake_twilio)
    (recordings / "first.wav").write_bytes(make_wav(CALL_SECONDS))
    (recordings / "second.wav").write_bytes(make_wav(CALL_SECONDS + 2))
    handler = runtime.worker.handlers[MUTE_RECORDING]
    gated = GatedLedger(runtime.ledger)  # type: ignore[arg-type]
    handler.ledger = gated  # type: ignore[attr-defined]

    def run(name: str) -> None:
        payload = {"case_id": case["id"], "path": f"{name}.wav", "request": name}
        handler(Job(name, MUTE_RECORDING, payload, 1))

    first = threading.Thread(target=run, args=("first",))
    second = threading.Thread(target=run, args=("second",))
    first.start()
    assert gated.first_waiting.wait(30)
    second.start()
    # The first job has written its file but not its record. The second
    # job must not record its own copy now, so give it the chance to.
    gated.second_recording.wait(0.5)
    gated.release.set()
    first.join(30)
    second.join(30)

    record = only_case(client, runtime)["source"]["muted_recording"]
    assert record["request"] == "second"
    url = f"/api/cases/{case['id']}/recording"
    with client.get(url) as download:
        assert download.status_code == 200
        assert hashlib.sha256(download.data).hexdigest() == record["sha256"]
    folder = runtime.settings.data_dir / "recordings"
    assert sorted(p.name for p in folder.iterdir()) == [f"{case['id']}.wav"]


def test_unfetched_transcript_opens_case(
    settings: Settings,
    clock: FrozenClock,
    fake_twilio: FakeTwilio,  # noqa: F811
    recordings: Path,
) -> None:
    limited = build(
        dataclasses.replace(settings, max_attempts=2), clock, fake_twilio, recordings
    )
    try:
        client = create_app(limited).test_client()
        fake_twilio.add_transcript(TRANSCRIPT_SID, SENTENCES)
        post_intelligence(client, intelligence_callback())
        fake_twilio.fail_next_sentences = 503
        assert drain(limited) == 1
        assert limited.ledger.list_cases() == []

        clock.advance(minutes=5)
        fake_twilio.fail_next_sentences = 503
        assert drain(limited) == 1

        assert limited.queue.dead_jobs(10) == []
        case = only_case(client, limited)
        assert case["platform"] == "twilio"
        assert case["severity"] == "low"
        assert case["findings"] == []
        assert case["source"]["transcript_sid"] == TRANSCRIPT_SID
        [item] = case["source"]["not_inspected"]
        assert item["kind"] == "transcript"
        assert item["msg_id"] == TRANSCRIPT_SID
        assert "HTTP 503" in item["reason"]
        assert limited.disposal is not None
        [digest] = limited.disposal.daily_digest(clock() + datetime.timedelta(hours=1))
        assert any(
            line.startswith(f"{case['id']} twilio transcript") for line in digest.lines
        )
    finally:
        limited.database.close()
