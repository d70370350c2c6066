"""Integration API end to end: signed post, worker, ledger and signed callback.

The callback goes to a WSGI server on 127.0.0.1 that records each request.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from stdnum import luhn
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response as WerkzeugResponse

from gateway.app import create_app
from gateway.runtime import Runtime
from infra.config import GenericSourceSettings, Settings
from infra.errors import ConfigError
from tests.conftest import FrozenClock
from tests.fakedata import resident_id
from tests.gateway.signed import post_signed

SECRET = "crm-signing-secret-for-tests"
ID = resident_id("11010519850304121")
CARD_BODY = "622202" + "4711083950" + "25"
CARD = CARD_BODY + luhn.calc_check_digit(CARD_BODY)


class CallbackServer:
    """Records the requests posted to it and responds with HTTP `status`."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, self._app)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/redline"

    def _app(self, environ: Any, start_response: Any) -> Any:
        incoming = Request(environ)
        self.requests.append((dict(incoming.headers), incoming.get_data()))
        return WerkzeugResponse("ok", status=self.status)(environ, start_response)


@pytest.fixture
def callback_server() -> Iterator[CallbackServer]:
    server = CallbackServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def runtime(settings: Settings, clock: FrozenClock) -> Iterator[Runtime]:
    source = GenericSourceSettings("crm", SECRET, ("127.0.0.1", "hooks.example.com"))
    built = Runtime.build(
        dataclasses.replace(settings, generic_sources=(source,)), clock=clock
    )
    yield built
    built.database.close()


@pytest.fixture
def client(runtime: Runtime) -> FlaskClient:
    return create_app(runtime).test_client()


def post(
    client: FlaskClient,
    clock: FrozenClock,
    body: bytes,
    path: str = "/webhooks/generic",
    source: str = "crm",
    secret: str = SECRET,
    seconds_ago: int = 0,
) -> Any:
    return post_signed(client, clock, body, secret, path, source, seconds_ago)


def chat(interaction_id: str, text: str) -> dict[str, Any]:
    return {
        "id": interaction_id,
        "channel": "chat",
        "segments": [
            {"id": "m1", "speaker": "customer", "text": "hi, checking my order"},
            {"id": "m2", "speaker": "agent", "text": text, "agent_id": "a-17"},
        ],
    }


def encode(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def test_signed_post_records_case(
    client: FlaskClient, clock: FrozenClock, runtime: Runtime
) -> None:
    body = encode(chat("crm-1", f"Your ID {ID} is on file"))
    response = post(client, clock, body)
    assert response.status_code == 202
    assert response.json["status"] == "queued"
    assert runtime.worker.drain() == 1
    cases = runtime.ledger.list_cases()
    assert len(cases) == 1
    assert cases[0].platform == "generic:crm"
    assert cases[0].interaction_key == "generic:crm:crm-1"
    assert ID not in json.dumps(dataclasses.asdict(cases[0]), ensure_ascii=False)


def test_callback_signed_and_masked(
    client: FlaskClient,
    clock: FrozenClock,
    runtime: Runtime,
    callback_server: CallbackServer,
) -> None:
    body = encode(
        {
            "interactions": [chat("crm-2", f"Your ID {ID} is on file")],
            "callback_url": callback_server.url,
        }
    )
    assert post(client, clock, body).status_code == 202
    assert runtime.worker.drain() == 1
    assert len(callback_server.requests) == 1
    headers, sent = callback_server.requests[0]
    assert headers["X-Redline-Source"] == "crm"
    timestamp = headers["X-Redline-Timestamp"]
    expected = (
        "v1="
        + hmac.new(
            SECRET.encode(), timestamp.encode() + b"." + sent, hashlib.sha256
        ).hexdigest()
    )
    assert hmac.compare_digest(headers["X-Redline-Signature"], expected)
    assert ID.encode() not in sent
    assert ID[6:14].encode() not in sent
    result = json.loads(sent)["results"][0]
    assert result["id"] == "crm-2"
    assert result["case_id"]
    assert result["findings"][0]["type"] == "CN_RESIDENT_ID"
    assert "excerpt" not in result["findings"][0]


def test_callback_failure_retries_once_recorded(
    client: FlaskClient,
    clock: FrozenClock,
    runtime: Runtime,
    callback_server: CallbackServer,
) -> None:
    callback_server.status = 503
    body = encode(
        {
            "interactions": [chat("crm-3", f"Your ID {ID} is on file")],
            "callback_url": callback_server.url,
        }
    )
    assert post(client, clock, body).status_code == 202
    runtime.worker.drain()
    assert runtime.queue.counts()["queued"] == 1
    assert len(runtime.ledger.list_cases()) == 1
    callback_server.status = 200
    clock.advance(hours=1)
    runtime.worker.drain()
    assert len(callback_server.requests) == 2
    cases = runtime.ledger.list_cases()
    assert len(cases) == 1
    assert len(cases[0].findings) == 1


def test_bad_signature_401(client: FlaskClient, clock: FrozenClock) -> None:
    body = encode(chat("crm-4", "hello"))
    response = post(client, clock, body, secret="wrong-secret")
    assert response.status_code == 401


def test_stale_timestamp_401(client: FlaskClient, clock: FrozenClock) -> None:
    body = encode(chat("crm-5", "hello"))
    response = post(client, clock, body, seconds_ago=301)
    assert response.status_code == 401
    assert "X-Redline-Timestamp" in response.json["reason"]


def test_unknown_source_404(client: FlaskClient, clock: FrozenClock) -> None:
    body = encode(chat("crm-6", "hello"))
    response = post(client, clock, body, source="erp")
    assert response.status_code == 404
    assert "erp" in response.json["reason"]


def test_invalid_interaction_names_field(
    client: FlaskClient, clock: FrozenClock
) -> None:
    data = chat("crm-7", "hello")
    data["segments"][1]["speaker"] = "robot"
    response = post(client, clock, encode(data))
    assert response.status_code == 400
    assert "segments.1.speaker" in response.json["reason"]


def test_invalid_json_400(client: FlaskClient, clock: FrozenClock) -> None:
    response = post(client, clock, b'{"id": NaN}')
    assert response.status_code == 400
    assert "not valid JSON" in response.json["reason"]


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.net/hook",
        "http://hooks.example.com/hook",
        "https://user:pw@hooks.example.com/hook",
    ],
)
def test_callback_url_rejected(
    client: FlaskClient, clock: FrozenClock, url: str
) -> None:
    body = encode({"interactions": [chat("crm-8", "hello")], "callback_url": url})
    response = post(client, clock, body)
    assert response.status_code == 400
    assert "callback_url" in response.json["reason"]


def test_duplicate_post_processed_once(
    client: FlaskClient, clock: FrozenClock, runtime: Runtime
) -> None:
    body = encode(chat("crm-9", f"Your ID {ID} is on file"))
    assert post(client, clock, body).json["status"] == "queued"
    assert post(client, clock, body).json["status"] == "duplicate"
    assert runtime.worker.drain() == 1


def contact_lens_analysis(text: str) -> dict[str, Any]:
    return {
        "AccountId": "123456789012",
        "LanguageCode": "en-US",
        "CustomerMetadata": {
            "InstanceId": "inst-0001",
            "ContactId": "c0ffee00-1111-2222-3333-444455556666",
        },
        "Participants": [
            {"ParticipantId": "AGENT", "ParticipantRole": "AGENT"},
            {"ParticipantId": "CUSTOMER", "ParticipantRole": "CUSTOMER"},
        ],
        "Transcript": [
            {
                "Id": "t1",
                "ParticipantId": "CUSTOMER",
                "Content": "I want to check a payment",
                "BeginOffsetMillis": 0,
                "EndOffsetMillis": 2000,
            },
            {
                "Id": "t2",
                "ParticipantId": "AGENT",
                "Content": text,
                "BeginOffsetMillis": 2500,
                "EndOffsetMillis": 7000,
            },
        ],
    }


def test_contact_lens_readback_is_high(
    client: FlaskClient, clock: FrozenClock, runtime: Runtime
) -> None:
    analysis = contact_lens_analysis(
        f"Let me read your card number back: {CARD}, is that right?"
    )
    response = post(client, clock, encode(analysis), path="/webhooks/contact-lens")
    assert response.status_code == 202
    assert runtime.worker.drain() == 1
    cases = runtime.ledger.list_cases()
    assert len(cases) == 1
    assert cases[0].severity == "high"
    assert cases[0].platform == "generic:crm"
    assert CARD not in json.dumps(dataclasses.asdict(cases[0]))


def test_contact_lens_invalid_body_400(client: FlaskClient, clock: FrozenClock) -> None:
    response = post(client, clock, b'{"Transcript": 3}', path="/webhooks/contact-lens")
    assert response.status_code == 400
    assert "Transcript" in response.json["reason"]


def test_sources_setting_bad_json_names_variable() -> None:
    with pytest.raises(ConfigError, match="REDLINE_GENERIC_SOURCES"):
        Settings.from_env({"REDLINE_GENERIC_SOURCES": '{"crm": '})


def test_sources_setting_parsed() -> None:
    value = '{"crm": {"secret": " s3cret ", "callback_hosts": ["Hooks.Example.com"]}}'
    sources = Settings.from_env({"REDLINE_GENERIC_SOURCES": value}).generic_sources
    assert sources == (GenericSourceSettings("crm", "s3cret", ("hooks.example.com",)),)
    assert "s3cret" not in repr(sources)


def test_integrator_ids_and_source_are_hashed_when_personal(
    client: FlaskClient, clock: FrozenClock, runtime: Runtime, settings: Settings
) -> None:
    phone = "13812345678"
    for text in (f"Your ID {ID} is on file", f"card {CARD} too"):
        data = chat(f"+86{phone}", text)
        data["source"] = {"ticket": "T-1", "caller": f"Zhang San {phone}"}
        response = post(client, clock, encode(data))
        assert response.status_code == 202
        assert response.json["interactions"] == [f"+86{phone}"]
        clock.advance(seconds=1)
    runtime.worker.drain()
    (case,) = runtime.ledger.list_cases()
    assert case.interaction_key.startswith("generic:crm:h-")
    assert case.source["ticket"] == "T-1"
    assert case.source["caller"].startswith("h-")
    runtime.database.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stored = (settings.data_dir / "redline.db").read_bytes()
    assert phone.encode() not in stored
    assert b"Zhang San" not in stored


def test_team_and_agent_values_never_stored_raw(
    client: FlaskClient, clock: FrozenClock, runtime: Runtime, settings: Settings
) -> None:
    data = chat("crm-team-1", f"Your ID {ID} is on file")
    data["team"] = f"<b>x</b> {CARD}"
    data["segments"][1]["agent_id"] = "13912345678"
    assert post(client, clock, encode(data)).status_code == 202
    runtime.worker.drain()
    (case,) = runtime.ledger.list_cases()
    assert case.team is not None
    assert CARD not in case.team
    assert case.team.startswith("<b>x</b> ")
    assert case.agent_id is not None
    assert case.agent_id.startswith("h-")
    runtime.database.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stored = (settings.data_dir / "redline.db").read_bytes()
    assert CARD.encode() not in stored
    assert b"13912345678" not in stored


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": "a\\ud800", "channel": "chat", "segments": []}',
        b'{"id": "x1", "channel": "chat", "segments": [{"id": "m1", '
        b'"speaker": "customer", "text": "hi \\udfff"}]}',
        b'{"id": "x1", "channel": "voice", "segments": [{"id": "m1", '
        b'"speaker": "agent", "text": "hi", "start_ms": ' + b"9" * 5000 + b"}]}",
    ],
)
def test_text_no_store_can_keep_is_400(
    client: FlaskClient, clock: FrozenClock, runtime: Runtime, body: bytes
) -> None:
    response = post(client, clock, body)
    assert response.status_code == 400
    assert "not valid JSON" in response.json["reason"]
    assert runtime.queue.counts()["queued"] == 0


def test_rejection_reasons_mask_numbers_they_quote(
    client: FlaskClient, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    body = encode({"interactions": [chat("x1", "hello")], "13912345678": 1})
    response = post(client, clock, body)
    assert response.status_code == 400
    unknown = post(client, clock, encode(chat("x2", "hi")), source="13912345678")
    assert unknown.status_code == 404
    for text in (response.json["reason"], unknown.json["reason"], caplog.text):
        assert "13912345678" not in text


def test_upper_case_signature_accepted(client: FlaskClient, clock: FrozenClock) -> None:
    body = encode(chat("x3", "hello there"))
    response = post_signed(client, clock, body, SECRET, upper_case=True)
    assert response.status_code == 202


def test_numeric_segment_ids_kept_hashed(
    client: FlaskClient, clock: FrozenClock, runtime: Runtime, settings: Settings
) -> None:
    data = chat("x4", f"Your ID {ID} is on file")
    data["segments"][1]["id"] = "msg-13912345678"
    assert post(client, clock, encode(data)).status_code == 202
    runtime.worker.drain()
    (case,) = runtime.ledger.list_cases()
    assert all(f.segment.startswith("h-") for f in case.findings)
    runtime.database.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert b"13912345678" not in (settings.data_dir / "redline.db").read_bytes()


def test_dead_lettered_delivery_can_be_sent_again(
    client: FlaskClient, clock: FrozenClock, runtime: Runtime
) -> None:
    body = encode(chat("x5", "hello there"))
    assert post(client, clock, body).json["status"] == "queued"
    job = runtime.queue.claim(30)
    assert job is not None
    runtime.queue.fail(job.id, "gave up")
    assert post(client, clock, body).json["status"] == "queued"


def test_integrator_cannot_write_the_gateways_own_source_keys(
    client: FlaskClient, clock: FrozenClock, runtime: Runtime
) -> None:
    data = chat("x6", f"Your ID {ID} is on file")
    data["source"] = {"ticket": "T-9", "not_inspected": [{"reason": "forged"}]}
    assert post(client, clock, encode(data)).status_code == 202
    runtime.worker.drain()
    (case,) = runtime.ledger.list_cases()
    assert case.source == {"ticket": "T-9"}
