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
    invocation_id,
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
    with pytest.raises(SignatureInvalid, match="allowed window of 300 s") as caught:
        verify_signature(body, old, sign(SECRET, old, body), [SECRET], NOW)
    assert caught.value.log_detail == "timestamp 301 s behind the gateway's clock"


def test_future_timestamp_is_rejected() -> None:
    body = event_body()
    ahead = "2026-03-02T09:36:00Z"
    with pytest.raises(SignatureInvalid, match="allowed window") as caught:
        verify_signature(body, ahead, sign(SECRET, ahead, body), [SECRET], NOW)
    assert "360 s ahead of" in caught.value.log_detail


def test_stale_timestamp_message_hides_the_offset() -> None:
    body = event_body()
    old = "2026-03-02T08:00:00Z"
    with pytest.raises(SignatureInvalid) as caught:
        verify_signature(body, old, sign(SECRET, old, body), [SECRET], NOW)
    message = str(caught.value)
    assert "timestamp outside the allowed window of 300 s" in message
    assert "5400" not in message
    assert "5400" in caught.value.log_detail


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
        ({"ticket_id": True}, "must be a numeric Zendesk id, got a boolean"),
        ({"ticket_id": None}, "no ticket_id"),
        ({"ticket_id": [1]}, "got an array"),
        ({"ticket_id": 4711.0}, "got a number"),
        ({"ticket_id": "4" * 21}, "has 21 digits; a Zendesk id has at most 20"),
        ({"ticket_id": 10**21}, "has 22 digits"),
        ({"ticket_id": "４７１１"}, "numeric Zendesk id"),
        ({"ticket": {"id": "9" * 25}}, "has 25 digits"),
        (
            {"type": "zen:event-type:ticket.comment_added", "detail": {"id": "1"}},
            "no id",
        ),
    ],
)
def test_invalid_payloads(payload: object, message: str) -> None:
    with pytest.raises(PayloadInvalid, match=message):
        parse_delivery(payload, {}, b"")


def test_twenty_digit_ticket_id_is_accepted() -> None:
    parsed = parse_delivery({"ticket_id": "9" * 20}, {}, b"x")
    assert isinstance(parsed, Delivery)
    assert parsed.ticket_id == "9" * 20


def test_event_with_oversized_ticket_id_is_rejected() -> None:
    payload = json.loads(event_body())
    payload["detail"]["id"] = "1" * 30
    with pytest.raises(PayloadInvalid, match="detail.id has 30 digits"):
        parse_delivery(payload, {}, b"")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x" * 129, "is 129 characters long; at most 128"),
        ("x" * 100_000, "is 100000 characters long"),
        ("inv\x01ok", "non-printable characters"),
        ("inv\tok", "non-printable characters"),
    ],
)
def test_bad_invocation_id_is_rejected(value: str, message: str) -> None:
    with pytest.raises(PayloadInvalid, match=message) as caught:
        invocation_id({INVOCATION_HEADER: value})
    assert "xxxx" not in str(caught.value)


def test_invocation_id_at_the_limit_is_accepted() -> None:
    assert invocation_id({INVOCATION_HEADER.lower(): " " + "a" * 128 + " "}) == (
        "a" * 128
    )
    assert invocation_id({}) == ""


def test_trigger_with_bad_invocation_id_is_rejected() -> None:
    with pytest.raises(PayloadInvalid, match="characters long"):
        parse_delivery({"ticket_id": 5}, {INVOCATION_HEADER: "i" * 500}, b"x")
