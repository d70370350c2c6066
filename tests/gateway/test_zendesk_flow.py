"""Zendesk end to end: signed webhook in, worker, ledger, write-back out.

With credentials, the real zenpy client talks HTTP to a local server shaped
like the Zendesk API; without them, write-backs land in the outbox.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from adapters.zendesk.webhook import sign
from gateway.app import create_app
from gateway.pipeline import ZENDESK_TICKET
from gateway.runtime import Runtime
from infra.config import Settings, ZendeskSettings
from infra.ports import Job
from tests.conftest import WEBHOOK_SECRET, FrozenClock
from tests.fakedata import card, resident_id
from tests.fakes.zendesk_server import FakeZendesk

ID = resident_id("11010519850304121")
CARD = card("622588", 16)


def stamp(clock: FrozenClock) -> str:
    return clock().strftime("%Y-%m-%dT%H:%M:%SZ")


def post_signed(
    client: FlaskClient,
    clock: FrozenClock,
    body: bytes,
    secret: str = WEBHOOK_SECRET,
    signed_at: str | None = None,
    **headers: str,
) -> Any:
    signed_at = signed_at or stamp(clock)
    return client.post(
        "/webhooks/zendesk",
        data=body,
        content_type="application/json",
        headers={
            "X-Zendesk-Webhook-Signature": sign(secret, signed_at, body),
            "X-Zendesk-Webhook-Signature-Timestamp": signed_at,
            **headers,
        },
    )


def comment_event(
    event_id: str,
    ticket_id: int,
    text: str,
    is_staff: bool = False,
    comment_id: int = 1,
) -> bytes:
    envelope = {
        "type": "zen:event-type:ticket.comment_added",
        "account_id": 4242,
        "id": event_id,
        "time": "2026-03-02T09:29:00Z",
        "zendesk_event_version": "2022-11-06",
        "subject": f"zen:ticket:{ticket_id}",
        "detail": {"id": str(ticket_id), "status": "OPEN", "group_id": "31"},
        "event": {
            "comment": {
                "id": str(comment_id),
                "body": text,
                "is_public": True,
                "author": {"id": "700", "is_staff": is_staff, "name": "Someone"},
            }
        },
    }
    return json.dumps(envelope, ensure_ascii=False).encode()


def stored_bytes(data_dir: Path) -> bytes:
    """Return every byte the gateway wrote to its data folder."""
    return b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())


# --- without credentials: the outbox -----------------------------------------


@pytest.fixture
def local(
    settings: Settings, clock: FrozenClock
) -> Iterator[tuple[Runtime, FlaskClient]]:
    runtime = Runtime.build(settings, clock=clock)
    yield runtime, create_app(runtime).test_client()
    runtime.database.close()


def test_comment_event_lands_in_outbox(
    local: tuple[Runtime, FlaskClient], clock: FrozenClock, settings: Settings
) -> None:
    runtime, client = local
    body = comment_event("ev-1", 501, f"您好，我的身份证号是{ID}，请帮我改绑")
    response = post_signed(client, clock, body)
    assert response.status_code == 202
    assert response.get_json()["status"] == "queued"

    assert runtime.worker.drain() == 1
    entries = client.get("/api/outbox").get_json()["entries"]
    actions = sorted(e["action"] for e in entries)
    assert actions == ["add_private_note", "add_tags"]
    tags = next(e for e in entries if e["action"] == "add_tags")["payload"]["tags"]
    assert {"redline", "redline_medium", "redline_cn_resident_id"} <= set(tags)
    note = next(e for e in entries if e["action"] == "add_private_note")["payload"]
    assert note["comment"]["public"] is False
    assert ID not in note["comment"]["body"]
    assert ID[-4:] in note["comment"]["body"]

    cases = client.get("/api/cases").get_json()["cases"]
    assert len(cases) == 1
    assert cases[0]["severity"] == "medium"
    assert cases[0]["behaviours"] == ["unmasked_record"]
    assert cases[0]["findings"][0]["fingerprint"]
    assert ID.encode() not in stored_bytes(settings.data_dir)


def test_duplicate_delivery_gives_one_case_and_one_note(
    local: tuple[Runtime, FlaskClient], clock: FrozenClock
) -> None:
    runtime, client = local
    body = comment_event("ev-dup", 502, f"卡号{CARD}")
    assert post_signed(client, clock, body).get_json()["status"] == "queued"
    assert post_signed(client, clock, body).get_json()["status"] == "duplicate"
    runtime.worker.drain()

    entries = client.get("/api/outbox").get_json()["entries"]
    assert [e["action"] for e in entries].count("add_private_note") == 1
    assert len(client.get("/api/cases").get_json()["cases"]) == 1


def test_redelivered_event_under_new_id_posts_no_second_note(
    local: tuple[Runtime, FlaskClient], clock: FrozenClock
) -> None:
    runtime, client = local
    text = f"卡号{CARD}"
    post_signed(client, clock, comment_event("ev-a", 503, text))
    post_signed(client, clock, comment_event("ev-b", 503, text))
    assert runtime.worker.drain() == 2
    entries = client.get("/api/outbox").get_json()["entries"]
    assert [e["action"] for e in entries].count("add_private_note") == 1


def test_clean_comment_writes_nothing(
    local: tuple[Runtime, FlaskClient], clock: FrozenClock
) -> None:
    runtime, client = local
    post_signed(
        client, clock, comment_event("ev-clean", 504, "订单号202612040001什么时候发货")
    )
    runtime.worker.drain()
    assert client.get("/api/outbox").get_json()["entries"] == []
    assert client.get("/api/cases").get_json()["cases"] == []


def test_same_card_in_two_tickets_is_found_by_fingerprint(
    local: tuple[Runtime, FlaskClient], clock: FrozenClock
) -> None:
    runtime, client = local
    post_signed(client, clock, comment_event("ev-f1", 601, f"卡号{CARD}"))
    post_signed(client, clock, comment_event("ev-f2", 602, f"退款到 {CARD}"))
    runtime.worker.drain()
    cases = client.get("/api/cases").get_json()["cases"]
    fingerprints = {c["findings"][0]["fingerprint"] for c in cases}
    assert len(fingerprints) == 1
    (value_fingerprint,) = fingerprints
    found = client.get(f"/api/cases?fingerprint={value_fingerprint}").get_json()[
        "cases"
    ]
    assert sorted(c["source"]["ticket_id"] for c in found) == ["601", "602"]


# --- bad input -------------------------------------------------------------------


def test_bad_signature_is_401(
    local: tuple[Runtime, FlaskClient], clock: FrozenClock
) -> None:
    _, client = local
    response = post_signed(client, clock, comment_event("e", 1, "x"), secret="wrong")
    assert response.status_code == 401
    assert "does not match" in response.get_json()["reason"]


def test_stale_signature_is_401(
    local: tuple[Runtime, FlaskClient], clock: FrozenClock
) -> None:
    _, client = local
    response = post_signed(
        client, clock, comment_event("e", 1, "x"), signed_at="2026-03-02T09:00:00Z"
    )
    assert response.status_code == 401


def test_malformed_json_is_400(
    local: tuple[Runtime, FlaskClient], clock: FrozenClock
) -> None:
    runtime, client = local
    response = post_signed(client, clock, b'{"ticket_id": 12,')
    assert response.status_code == 400
    assert "not valid JSON" in response.get_json()["reason"]
    assert runtime.queue.counts()["queued"] == 0


def test_empty_body_is_400(
    local: tuple[Runtime, FlaskClient], clock: FrozenClock
) -> None:
    _, client = local
    response = post_signed(client, clock, b"")
    assert response.status_code == 400
    assert "empty body" in response.get_json()["reason"]


def test_oversized_body_is_413(
    local: tuple[Runtime, FlaskClient], clock: FrozenClock
) -> None:
    _, client = local
    body = comment_event("big", 1, "x" * (1024 * 1024 + 10))
    response = post_signed(client, clock, body)
    assert response.status_code == 413


def test_unknown_event_type_is_202_and_ignored(
    local: tuple[Runtime, FlaskClient], clock: FrozenClock
) -> None:
    runtime, client = local
    body = json.dumps(
        {
            "type": "zen:event-type:ticket.priority_changed",
            "id": "p1",
            "detail": {"id": "9"},
        }
    ).encode()
    response = post_signed(client, clock, body)
    assert response.status_code == 202
    assert response.get_json()["status"] == "ignored"
    assert runtime.queue.counts()["queued"] == 0


def test_api_token_guards_the_api(settings: Settings, clock: FrozenClock) -> None:
    runtime = Runtime.build(
        dataclasses.replace(settings, api_token="s3cret"), clock=clock
    )
    client = create_app(runtime).test_client()
    assert client.get("/api/cases").status_code == 401
    ok = client.get("/api/cases", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200
    assert client.get("/healthz").status_code == 200


def test_bad_query_argument_is_400(local: tuple[Runtime, FlaskClient]) -> None:
    _, client = local
    response = client.get("/api/cases?limit=lots")
    assert response.status_code == 400
    assert "limit must be a whole number" in response.get_json()["reason"]


# --- with credentials: zenpy against the local Zendesk -------------------------


@pytest.fixture
def zendesk(
    settings: Settings,
    clock: FrozenClock,
    fake_zendesk: FakeZendesk,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Runtime, FlaskClient, FakeZendesk]]:
    for name, value in fake_zendesk.zenpy_env().items():
        monkeypatch.setenv(name, value)
    fake_zendesk.require_auth("bot@example.com", "api-token-1")
    configured = dataclasses.replace(
        settings,
        zendesk=ZendeskSettings(
            subdomain="acme",
            email="bot@example.com",
            api_token="api-token-1",
            webhook_secrets=(WEBHOOK_SECRET,),
        ),
    )
    runtime = Runtime.build(configured, clock=clock)
    yield runtime, create_app(runtime).test_client(), fake_zendesk
    runtime.database.close()


def seed_ticket(fake: FakeZendesk, ticket_id: int = 801) -> None:
    fake.add_user(5001, "Test Customer", "end-user")
    fake.add_user(6001, "Test Agent", "agent")
    fake.add_ticket(
        ticket_id, requester_id=5001, tags=["vip", "billing"], assignee_id=6001
    )
    fake.add_comment(ticket_id, f"我要改绑身份证，号码是{ID}", author_id=5001)
    fake.add_comment(
        ticket_id, f"好的，跟您核对一下，身份证号{ID}对吗？", author_id=6001
    )


def trigger(
    client: FlaskClient, clock: FrozenClock, ticket_id: int, invocation: str
) -> Any:
    body = json.dumps({"ticket_id": str(ticket_id)}).encode()
    return post_signed(
        client, clock, body, **{"X-Zendesk-Webhook-Invocation-Id": invocation}
    )


def test_trigger_reads_comments_and_writes_tags_and_private_note(
    zendesk: tuple[Runtime, FlaskClient, FakeZendesk], clock: FrozenClock
) -> None:
    runtime, client, fake = zendesk
    seed_ticket(fake)
    assert trigger(client, clock, 801, "inv-1").status_code == 202
    assert runtime.worker.drain() == 1

    tag_requests = fake.tag_requests(801)
    assert [r.method for r in tag_requests] == ["PUT"]
    assert set(fake.tags(801)) >= {"vip", "billing", "redline", "redline_high"}
    assert "redline_agent_full_disclosure" in fake.tags(801)

    (update,) = fake.ticket_updates(801)
    comment = update.json["ticket"]["comment"]
    assert comment["public"] is False
    assert ID not in comment["body"]
    assert "agent_full_disclosure" in comment["body"]
    assert "unmasked_record" in comment["body"]
    assert "tags" not in update.json["ticket"]

    (case,) = runtime.ledger.list_cases()
    assert case.severity == "high"
    assert case.agent_id == "6001"
    assert case.team is None


def test_second_delivery_for_same_ticket_posts_no_second_note(
    zendesk: tuple[Runtime, FlaskClient, FakeZendesk], clock: FrozenClock
) -> None:
    runtime, client, fake = zendesk
    seed_ticket(fake)
    trigger(client, clock, 801, "inv-1")
    trigger(client, clock, 801, "inv-2")
    assert runtime.worker.drain() == 2
    assert len(fake.ticket_updates(801)) == 1
    assert len(runtime.ledger.list_cases()) == 1


def test_new_comment_later_gets_its_own_note(
    zendesk: tuple[Runtime, FlaskClient, FakeZendesk], clock: FrozenClock
) -> None:
    runtime, client, fake = zendesk
    seed_ticket(fake)
    trigger(client, clock, 801, "inv-1")
    runtime.worker.drain()
    fake.add_comment(801, f"还有银行卡{CARD}", author_id=5001)
    trigger(client, clock, 801, "inv-2")
    runtime.worker.drain()

    updates = fake.ticket_updates(801)
    assert len(updates) == 2
    second = updates[1].json["ticket"]["comment"]["body"]
    assert CARD not in second
    assert "BANK_CARD" in second
    assert "CN_RESIDENT_ID" not in second


def test_crash_after_note_does_not_post_it_twice(
    zendesk: tuple[Runtime, FlaskClient, FakeZendesk],
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runtime, client, fake = zendesk
    seed_ticket(fake)
    calls = {"n": 0}
    original = runtime.ledger.mark_reported

    def crash_once(*args: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("worker died")
        original(*args)

    monkeypatch.setattr(runtime.ledger, "mark_reported", crash_once)
    trigger(client, clock, 801, "inv-1")
    runtime.worker.drain()
    assert runtime.queue.counts()["queued"] == 1
    clock.advance(minutes=5)
    runtime.worker.drain()

    assert runtime.queue.counts()["done"] == 1
    assert len(fake.ticket_updates(801)) == 1


def test_rate_limited_comments_are_retried_after_retry_after(
    zendesk: tuple[Runtime, FlaskClient, FakeZendesk], clock: FrozenClock
) -> None:
    runtime, client, fake = zendesk
    seed_ticket(fake)
    fault = fake.fail_next("/comments", status=429, retry_after=1)
    trigger(client, clock, 801, "inv-1")
    runtime.worker.drain()
    assert fault.hits == 1
    assert runtime.queue.counts()["done"] == 1
    assert len(fake.ticket_updates(801)) == 1


def test_server_error_on_tags_retries_the_job(
    zendesk: tuple[Runtime, FlaskClient, FakeZendesk], clock: FrozenClock
) -> None:
    runtime, client, fake = zendesk
    seed_ticket(fake)
    fake.fail_next("/tags", status=503, retry_after=None)
    trigger(client, clock, 801, "inv-1")
    runtime.worker.drain()
    assert runtime.queue.counts()["queued"] == 1
    assert fake.ticket_updates(801) == []

    clock.advance(minutes=2)
    runtime.worker.drain()
    assert runtime.queue.counts()["done"] == 1
    assert len(fake.ticket_updates(801)) == 1


def test_missing_ticket_is_dead_lettered(
    zendesk: tuple[Runtime, FlaskClient, FakeZendesk], clock: FrozenClock
) -> None:
    runtime, client, _ = zendesk
    trigger(client, clock, 999, "inv-1")
    runtime.worker.drain()
    (dead,) = client.get("/api/jobs/dead").get_json()["jobs"]
    assert "not found" in dead["last_error"]


def test_long_thread_is_read_across_pages(
    zendesk: tuple[Runtime, FlaskClient, FakeZendesk], clock: FrozenClock
) -> None:
    runtime, client, fake = zendesk
    fake.add_user(5001, "Test Customer", "end-user")
    fake.add_ticket(802, requester_id=5001)
    for number in range(230):
        fake.add_comment(802, f"第{number}条留言", author_id=5001)
    fake.add_comment(802, f"卡号{CARD}", author_id=5001)
    trigger(client, clock, 802, "inv-9")
    runtime.worker.drain()

    comment_pages = fake.requests_to("/tickets/802/comments", method="GET")
    assert len(comment_pages) >= 3
    (case,) = runtime.ledger.list_cases()
    assert [f.type for f in case.findings] == ["BANK_CARD"]


def test_clock_fixture_is_timezone_aware(clock: FrozenClock) -> None:
    assert clock().tzinfo is datetime.UTC


# --- hostile bodies and headers ------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"ticket_id": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested too deeply"),
        (b'{"ticket_id": NaN}', "NaN is not a JSON value"),
        (b'{"ticket_id": 5, "x": -Infinity}', "-Infinity is not a JSON value"),
        (b'{"ticket_id": "\xff"}', "not UTF-8"),
    ],
)
def test_hostile_json_is_400(
    local: tuple[Runtime, FlaskClient], clock: FrozenClock, body: bytes, reason: str
) -> None:
    runtime, client = local
    response = post_signed(client, clock, body)
    assert response.status_code == 400
    assert "not valid JSON" in response.get_json()["reason"]
    assert reason in response.get_json()["reason"]
    assert runtime.queue.counts()["queued"] == 0


def test_huge_invocation_id_is_400_and_not_echoed(
    local: tuple[Runtime, FlaskClient],
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    runtime, client = local
    invocation = "inv-" + "z" * 5000
    body = json.dumps({"ticket_id": "5"}).encode()
    response = post_signed(
        client, clock, body, **{"X-Zendesk-Webhook-Invocation-Id": invocation}
    )
    assert response.status_code == 400
    reason = response.get_json()["reason"]
    assert "5004 characters long; at most 128" in reason
    assert "zzzz" not in response.get_data(as_text=True)
    assert "zzzz" not in caplog.text
    assert "rejected 400" in caplog.text
    assert runtime.queue.counts()["queued"] == 0


def test_control_character_in_invocation_id_is_400(
    local: tuple[Runtime, FlaskClient], clock: FrozenClock
) -> None:
    _, client = local
    body = json.dumps({"ticket_id": "5"}).encode()
    response = post_signed(
        client, clock, body, **{"X-Zendesk-Webhook-Invocation-Id": "inv\x07bell"}
    )
    assert response.status_code == 400
    assert "non-printable" in response.get_json()["reason"]


def test_stale_signature_hides_offset_but_logs_it(
    local: tuple[Runtime, FlaskClient],
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, client = local
    response = post_signed(
        client, clock, comment_event("e", 1, "x"), signed_at="2026-03-02T09:00:00Z"
    )
    assert response.status_code == 401
    reason = response.get_json()["reason"]
    assert "timestamp outside the allowed window of 300 s" in reason
    assert "1800" not in reason
    assert "timestamp 1800 s behind the gateway's clock" in caplog.text


def test_oversized_body_names_limit_and_is_logged(
    local: tuple[Runtime, FlaskClient],
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, client = local
    body = comment_event("big", 1, "x" * (1024 * 1024 + 10))
    response = post_signed(client, clock, body)
    assert response.status_code == 413
    reason = response.get_json()["reason"]
    assert "1048576 bytes" in reason
    assert "REDLINE_MAX_BODY_BYTES" in reason
    assert "rejected 413" in caplog.text
    assert "xxxx" not in caplog.text


# --- nothing to inspect --------------------------------------------------------


def test_bare_trigger_has_nothing_to_inspect(
    local: tuple[Runtime, FlaskClient],
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    runtime, client = local
    caplog.set_level(logging.INFO)
    body = json.dumps({"ticket_id": "77"}).encode()
    response = post_signed(
        client, clock, body, **{"X-Zendesk-Webhook-Invocation-Id": "inv-bare"}
    )
    assert response.status_code == 202
    assert runtime.worker.drain() == 1

    warnings = [r for r in caplog.records if "nothing to inspect" in r.getMessage()]
    assert len([r for r in warnings if r.levelno == logging.WARNING]) == 1
    (job_line,) = [r for r in warnings if r.levelno == logging.INFO]
    assert "ticket 77" in warnings[0].getMessage()
    assert job_line.getMessage().startswith("job ")
    assert runtime.queue.counts()["done"] == 1
    assert client.get("/api/outbox").get_json()["entries"] == []


def test_handler_outcome_for_bare_trigger(local: tuple[Runtime, FlaskClient]) -> None:
    runtime, _ = local
    handler = runtime.worker.handlers[ZENDESK_TICKET]
    job = Job(
        "j1",
        ZENDESK_TICKET,
        {"ticket_id": "77", "event": "trigger", "dedupe_key": "zendesk:body:1"},
        1,
    )
    assert handler(job).verdict == "nothing to inspect"


def test_trigger_with_comment_text_is_inspected(
    local: tuple[Runtime, FlaskClient], clock: FrozenClock
) -> None:
    runtime, client = local
    body = json.dumps({"ticket_id": "78", "latest_comment": f"卡号{CARD}"}).encode()
    post_signed(client, clock, body)
    runtime.worker.drain()
    (case,) = runtime.ledger.list_cases()
    assert case.source["ticket_id"] == "78"


# --- the API -------------------------------------------------------------------


def test_unknown_status_is_400_naming_allowed(
    local: tuple[Runtime, FlaskClient],
) -> None:
    _, client = local
    response = client.get("/api/cases?status=bogus")
    assert response.status_code == 400
    reason = response.get_json()["reason"]
    assert "open, acknowledged, resolved, false_positive" in reason
    assert "'bogus'" in reason


def test_known_or_empty_status_is_accepted(
    local: tuple[Runtime, FlaskClient],
) -> None:
    _, client = local
    assert client.get("/api/cases?status=open").status_code == 200
    assert client.get("/api/cases?status=").status_code == 200


@pytest.mark.parametrize("query", ["fingerprint=", "fingerprint=%20%20"])
def test_empty_fingerprint_is_400(
    local: tuple[Runtime, FlaskClient], query: str
) -> None:
    _, client = local
    response = client.get(f"/api/cases?{query}")
    assert response.status_code == 400
    assert "fingerprint is empty" in response.get_json()["reason"]


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("Bearer s3cret", 200),
        ("bearer s3cret", 200),
        ("BEARER  s3cret ", 200),
        ("Basic s3cret", 401),
        ("Bearer wrong", 401),
        ("Bearer", 401),
        ("s3cret", 401),
    ],
)
def test_bearer_scheme_is_case_insensitive(
    settings: Settings, clock: FrozenClock, header: str, status: int
) -> None:
    runtime = Runtime.build(
        dataclasses.replace(settings, api_token="s3cret"), clock=clock
    )
    client = create_app(runtime).test_client()
    response = client.get("/api/cases", headers={"Authorization": header})
    assert response.status_code == status
    runtime.database.close()


def test_cases_list_newest_first_with_stable_ties(
    local: tuple[Runtime, FlaskClient], clock: FrozenClock
) -> None:
    runtime, client = local
    for number in range(1, 7):
        post_signed(client, clock, comment_event(f"ev-o{number}", 700 + number, CARD))
    runtime.worker.drain()
    tickets = [
        c["source"]["ticket_id"] for c in client.get("/api/cases").get_json()["cases"]
    ]
    assert tickets == ["706", "705", "704", "703", "702", "701"]
    paged = [
        c["source"]["ticket_id"]
        for offset in range(0, 6, 2)
        for c in client.get(f"/api/cases?limit=2&offset={offset}").get_json()["cases"]
    ]
    assert paged == tickets


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/nope", 404),
        ("get", "/api/nope", 404),
        ("delete", "/api/cases", 405),
        ("get", "/webhooks/zendesk", 405),
    ],
)
def test_unknown_routes_and_methods_are_json(
    local: tuple[Runtime, FlaskClient], method: str, path: str, status: int
) -> None:
    _, client = local
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.is_json
    assert response.get_json()["status"] == "error"


def test_method_not_allowed_keeps_allow_header(
    local: tuple[Runtime, FlaskClient],
) -> None:
    _, client = local
    response = client.get("/webhooks/zendesk")
    assert "POST" in response.headers["Allow"]
