"""Zendesk webhook signatures and the parsing of both webhook models."""

from __future__ import annotations

import datetime
import json

import pytest

from adapters.errors import PayloadInvalid, SignatureInvalid
from adapters.zendesk.webhook import (
    INVOCATION_HEADER,
    Delivery,
    Ignored,
    parse_delivery,
    sign,
    verify_signature,
)

SECRET = "my-webhook-secret"
NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
STAMP = "2026-03-02T09:29:40Z"


def event_body(comment: str = "您好，我的卡号有问题") -> bytes:
    envelope = {
        "type": "zen:event-type:ticket.comment_added",
        "account_id": 9000001,
        "id": "01HZX0TESTEVENT0000000001",
        "time": "2026-03-02T09:29:39Z",
        "zendesk_event_version": "2022-11-06",
        "subject": "zen:ticket:4711",
        "detail": {
            "id": "4711",
            "status": "OPEN",
            "priority": "HIGH",
            "requester_id": "5001",
            "assignee_id": "6001",
            "group_id": "77",
        },
        "event": {
            "comment": {
                "id": "880001",
                "body": comment,
                "is_public": True,
                "author": {"id": "5001", "is_staff": False, "name": "Test Customer"},
            }
        },
    }
    return json.dumps(envelope, ensure_ascii=False).encode()


def test_published_example_vector_verifies() -> None:
    # The signing secret Zendesk uses for test requests from its webhook
    # builder, with a timestamp and body from a published example.
    secret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
    stamp = "2021-03-25T05:09:27Z"
    body = b'{"event":"ticket.updated","id":123}'
    expected = "S/RDdU2ERmj7LHDDoWJ2onPYH+t7/f2+LTM4dL7UiLM="
    assert sign(secret, stamp, body) == expected
    at = datetime.datetime(2021, 3, 25, 5, 9, 30, tzinfo=datetime.UTC)
    verify_signature(body, stamp, expected, [secret], at)


def test_valid_signature_passes() -> None:
    body = event_body()
    verify_signature(body, STAMP, sign(SECRET, STAMP, body), [SECRET], NOW)


def test_any_configured_secret_may_sign() -> None:
    body = event_body()
    signature = sign("second-webhook-secret", STAMP, body)
    verify_signature(body, STAMP, signature, [SECRET, "second-webhook-secret"], NOW)


def test_wrong_secret_is_rejected() -> None:
    body = event_body()
    with pytest.raises(SignatureInvalid, match="does not match"):
        verify_signature(body, STAMP, sign("other", STAMP, body), [SECRET], NOW)


def test_stale_timestamp_is_rejected() -> None:
    body = event_body()
    old = "2026-03-02T09:24:59Z"
    with pytest.raises(SignatureInvalid, match="at most 300 s"):
        verify_signature(body, old, sign(SECRET, old, body), [SECRET], NOW)


def test_future_timestamp_is_rejected() -> None:
    body = event_body()
    ahead = "2026-03-02T09:36:00Z"
    with pytest.raises(SignatureInvalid, match="clock"):
        verify_signature(body, ahead, sign(SECRET, ahead, body), [SECRET], NOW)


def test_reserialised_body_fails() -> None:
    # json.dumps escapes Chinese characters, so the bytes differ from what
    # Zendesk signed even though the JSON value is the same.
    body = event_body()
    signature = sign(SECRET, STAMP, body)
    reserialised = json.dumps(json.loads(body)).encode()
    assert reserialised != body
    with pytest.raises(SignatureInvalid):
        verify_signature(reserialised, STAMP, signature, [SECRET], NOW)


def test_empty_body_signature_is_over_timestamp_only() -> None:
    verify_signature(b"", STAMP, sign(SECRET, STAMP, b""), [SECRET], NOW)
    with pytest.raises(SignatureInvalid):
        verify_signature(b"", STAMP, sign(SECRET, STAMP, b"{}"), [SECRET], NOW)


@pytest.mark.parametrize(
    ("stamp", "signature", "message"),
    [
        (None, "abc", "missing"),
        (STAMP, None, "missing"),
        ("yesterday", "abc", "not an ISO 8601"),
    ],
)
def test_bad_headers_are_rejected(
    stamp: str | None, signature: str | None, message: str
) -> None:
    with pytest.raises(SignatureInvalid, match=message):
        verify_signature(b"{}", stamp, signature, [SECRET], NOW)


def test_no_secret_is_a_setup_error() -> None:
    with pytest.raises(ValueError, match="no Zendesk webhook signing secret"):
        verify_signature(b"{}", STAMP, "abc", [], NOW)


def test_event_envelope_parses_string_ids() -> None:
    body = event_body("客户留言")
    parsed = parse_delivery(json.loads(body), {}, body)
    assert isinstance(parsed, Delivery)
    assert parsed.ticket_id == "4711"
    assert parsed.event == "ticket.comment_added"
    assert parsed.dedupe_key == "zendesk:event:01HZX0TESTEVENT0000000001"
    assert parsed.account_id == "9000001"
    assert parsed.group_id == "77"
    assert parsed.comment is not None
    assert parsed.comment.body == "客户留言"
    assert parsed.comment.author_is_staff is False


def test_delivery_survives_the_queue_payload_round_trip() -> None:
    body = event_body()
    parsed = parse_delivery(json.loads(body), {}, body)
    assert isinstance(parsed, Delivery)
    assert Delivery.from_payload(json.loads(json.dumps(parsed.to_payload()))) == parsed


def test_unknown_event_type_is_ignored() -> None:
    payload = {
        "type": "zen:event-type:ticket.priority_changed",
        "id": "e1",
        "detail": {},
    }
    parsed = parse_delivery(payload, {}, b"")
    assert isinstance(parsed, Ignored)
    assert parsed.event == "ticket.priority_changed"


@pytest.mark.parametrize("ticket_id", [4711, "4711", " 4711 "])
def test_trigger_body_with_ticket_id(ticket_id: object) -> None:
    body = json.dumps({"ticket_id": ticket_id}).encode()
    parsed = parse_delivery(
        json.loads(body), {INVOCATION_HEADER.lower(): "inv-1"}, body
    )
    assert isinstance(parsed, Delivery)
    assert parsed.ticket_id == "4711"
    assert parsed.dedupe_key == "zendesk:invocation:inv-1"
    assert parsed.comment is None


def test_trigger_body_may_carry_the_latest_comment() -> None:
    payload = {"ticket_id": "12", "latest_comment": "请核对", "author_role": "agent"}
    parsed = parse_delivery(payload, {}, b"x")
    assert isinstance(parsed, Delivery)
    assert parsed.comment is not None
    assert parsed.comment.author_is_staff is True


def test_trigger_without_invocation_id_dedupes_on_signed_bytes() -> None:
    body = b'{"ticket_id": 5}'
    first = parse_delivery(
        json.loads(body), {"X-Zendesk-Webhook-Signature-Timestamp": "a"}, body
    )
    again = parse_delivery(
        json.loads(body), {"X-Zendesk-Webhook-Signature-Timestamp": "a"}, body
    )
    later = parse_delivery(
        json.loads(body), {"X-Zendesk-Webhook-Signature-Timestamp": "b"}, body
    )
    assert isinstance(first, Delivery) and isinstance(again, Delivery)
    assert isinstance(later, Delivery)
    assert first.dedupe_key == again.dedupe_key
    assert first.dedupe_key != later.dedupe_key


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([1, 2], "expected a JSON object"),
        ({"hello": "world"}, "no ticket_id"),
        ({"ticket_id": "abc"}, "numeric Zendesk id"),
        ({"ticket_id": True}, "missing"),
        (
            {"type": "zen:event-type:ticket.comment_added", "detail": {"id": "1"}},
            "no id",
        ),
    ],
)
def test_invalid_payloads(payload: object, message: str) -> None:
    with pytest.raises(PayloadInvalid, match=message):
        parse_delivery(payload, {}, b"")
