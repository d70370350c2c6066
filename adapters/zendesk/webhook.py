"""Inbound Zendesk webhooks: signature check and parsing of both webhook models.

Zendesk signs every webhook request with base64(HMAC-SHA256(secret,
timestamp + raw body)), sending the signature in X-Zendesk-Webhook-Signature
and the ISO 8601 timestamp in X-Zendesk-Webhook-Signature-Timestamp. The
signing secret is used verbatim as UTF-8 bytes, although it looks like base64.

Two webhook models exist and both are accepted:

- event subscriptions send an envelope (`type: zen:event-type:...`, string
  ids, upper-case enums) with the event and a snapshot of the ticket;
- triggers and automations send whatever JSON body the admin templated;
  Redline needs at least `{"ticket_id": "{{ticket.id}}"}`.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.errors import PayloadInvalid, SignatureInvalid

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
INVOCATION_HEADER = "X-Zendesk-Webhook-Invocation-Id"
ACCOUNT_HEADER = "X-Zendesk-Account-Id"
EVENT_PREFIX = "zen:event-type:"
# Maximum length of an accepted invocation id, which keeps dedupe keys and
# log lines small.
MAX_INVOCATION_ID_LENGTH = 128
# Maximum digits in a Zendesk id: 20 digits fit any unsigned 64-bit integer.
MAX_ID_DIGITS = 20

# Event types that carry new text to inspect. Every other type is
# acknowledged and ignored, so Zendesk's circuit breaker never trips on them.
HANDLED_EVENTS = frozenset(
    {
        "ticket.comment_added",
        "ticket.created",
        "messaging_ticket.message_added",
    }
)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the signature Zendesk sends for `body` at `timestamp`."""
    digest = hmac.new(
        secret.encode(), timestamp.encode() + body, hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def verify_signature(
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    secrets: Sequence[str],
    now: datetime.datetime,
    tolerance_seconds: int = 300,
) -> None:
    """Check a delivery's signature against each configured secret.

    Raise `SignatureInvalid` when a header is missing, the timestamp is more
    than `tolerance_seconds` from `now`, or no secret gives the signature.
    Raise `ValueError` when no secret is configured: that is a setup error,
    not a bad request.
    """
    if not secrets or not all(secrets):
        raise ValueError("no Zendesk webhook signing secret is configured")
    if not signature or not timestamp:
        raise SignatureInvalid(
            f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER} header"
        )
    try:
        signed_at = datetime.datetime.fromisoformat(timestamp.strip())
    except ValueError:
        raise SignatureInvalid(
            f"{TIMESTAMP_HEADER} is not an ISO 8601 time: {timestamp[:40]!r}"
        ) from None
    if signed_at.tzinfo is None:
        signed_at = signed_at.replace(tzinfo=datetime.UTC)
    offset = (now - signed_at).total_seconds()
    if abs(offset) > tolerance_seconds:
        # The offset goes to the log only: telling the caller would reveal
        # the gateway's clock.
        direction = "behind" if offset > 0 else "ahead of"
        raise SignatureInvalid(
            f"signature timestamp outside the allowed window of "
            f"{tolerance_seconds} s; sign the delivery with the current time",
            log_detail=f"timestamp {int(abs(offset))} s {direction} the gateway's clock",
        )
    offered = signature.strip().encode()
    for secret in secrets:
        if hmac.compare_digest(sign(secret, timestamp, body).encode(), offered):
            return
    raise SignatureInvalid(
        "signature does not match the body with any configured secret"
    )


@dataclass(frozen=True)
class Comment:
    """A comment carried in the delivery itself."""

    id: str
    body: str
    public: bool = True
    author_id: str | None = None
    author_is_staff: bool | None = None


@dataclass(frozen=True)
class Delivery:
    """A Zendesk delivery that asks Redline to inspect a ticket."""

    ticket_id: str
    event: str
    dedupe_key: str
    account_id: str | None = None
    comment: Comment | None = None
    group_id: str | None = None
    assignee_id: str | None = None
    requester_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """Return the queue payload: plain JSON, rebuilt by `from_payload`."""
        data: dict[str, Any] = {
            "ticket_id": self.ticket_id,
            "event": self.event,
            "dedupe_key": self.dedupe_key,
            "account_id": self.account_id,
            "group_id": self.group_id,
            "assignee_id": self.assignee_id,
            "requester_id": self.requester_id,
        }
        if self.comment is not None:
            data["comment"] = {
                "id": self.comment.id,
                "body": self.comment.body,
                "public": self.comment.public,
                "author_id": self.comment.author_id,
                "author_is_staff": self.comment.author_is_staff,
            }
        return data

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Delivery:
        comment = data.get("comment")
        return cls(
            ticket_id=str(data["ticket_id"]),
            event=str(data["event"]),
            dedupe_key=str(data["dedupe_key"]),
            account_id=data.get("account_id"),
            group_id=data.get("group_id"),
            assignee_id=data.get("assignee_id"),
            requester_id=data.get("requester_id"),
            comment=Comment(**comment) if isinstance(comment, dict) else None,
        )


@dataclass(frozen=True)
class Ignored:
    """A well-formed delivery Redline has nothing to do with."""

    event: str
    reason: str


def _header(headers: Mapping[str, str], name: str) -> str:
    """Read a header whatever the case of its name."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def invocation_id(headers: Mapping[str, str]) -> str:
    """Return the X-Zendesk-Webhook-Invocation-Id header, or "" when absent.

    Raise `PayloadInvalid` when the value is longer than
    `MAX_INVOCATION_ID_LENGTH` or contains non-printable characters. The
    message never quotes the value.
    """
    value = _header(headers, INVOCATION_HEADER).strip()
    if len(value) > MAX_INVOCATION_ID_LENGTH:
        raise PayloadInvalid(
            f"{INVOCATION_HEADER} is {len(value)} characters long; at most "
            f"{MAX_INVOCATION_ID_LENGTH} are accepted"
        )
    if not value.isprintable():
        raise PayloadInvalid(
            f"{INVOCATION_HEADER} contains non-printable characters; expected "
            "the invocation id Zendesk sends"
        )
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return "a number"


def _id_text(value: Any, name: str) -> str:
    """Return a Zendesk id (an int in REST, a string in events) as text."""
    if value is None:
        raise PayloadInvalid(f"{name} is missing; expected a numeric Zendesk id")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PayloadInvalid(
            f"{name} must be a numeric Zendesk id, got {_json_type(value)}"
        )
    text = str(value).strip()
    if not _is_id(text):
        raise PayloadInvalid(f"{name} must be a numeric Zendesk id, got {text[:40]!r}")
    if len(text) > MAX_ID_DIGITS:
        raise PayloadInvalid(
            f"{name} has {len(text)} digits; a Zendesk id has at most {MAX_ID_DIGITS}"
        )
    return text


def _is_id(text: str) -> bool:
    """Tell whether `text` is ASCII digits; `str.isdigit` also accepts others."""
    return text.isascii() and text.isdigit()


def _optional_id(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    return text if _is_id(text) and len(text) <= MAX_ID_DIGITS else None


def parse_delivery(
    payload: Any, headers: Mapping[str, str], body: bytes
) -> Delivery | Ignored:
    """Turn a verified, decoded webhook body into a `Delivery` or `Ignored`.

    Raise `PayloadInvalid` when the body is neither an event envelope nor a
    trigger body with a ticket id.
    """
    if not isinstance(payload, dict):
        raise PayloadInvalid(
            f"expected a JSON object, got {type(payload).__name__}; "
            'template the trigger body as {"ticket_id": "{{ticket.id}}"}'
        )
    event_type = payload.get("type")
    if isinstance(event_type, str) and event_type.startswith(EVENT_PREFIX):
        return _parse_event(payload, headers)
    return _parse_trigger(payload, headers, body)


def _parse_event(
    payload: dict[str, Any], headers: Mapping[str, str]
) -> Delivery | Ignored:
    event = str(payload["type"])[len(EVENT_PREFIX) :]
    if event not in HANDLED_EVENTS:
        return Ignored(event, "event type carries no text to inspect")
    event_id = payload.get("id")
    if not isinstance(event_id, str | int) or not str(event_id).strip():
        raise PayloadInvalid("event envelope has no id; expected the Zendesk event id")
    subject = str(payload.get("subject") or "")
    detail = payload.get("detail") if isinstance(payload.get("detail"), dict) else {}
    assert isinstance(detail, dict)
    ticket_id = detail.get("id")
    if ticket_id is None and subject.startswith("zen:ticket:"):
        ticket_id = subject.rsplit(":", 1)[1]
    account = payload.get("account_id") or _header(headers, ACCOUNT_HEADER)
    body_event = payload.get("event") if isinstance(payload.get("event"), dict) else {}
    assert isinstance(body_event, dict)
    return Delivery(
        ticket_id=_id_text(ticket_id, "detail.id"),
        event=event,
        dedupe_key=f"zendesk:event:{event_id}",
        account_id=_optional_id(account),
        comment=_event_comment(event, body_event, detail),
        group_id=_optional_id(detail.get("group_id")),
        assignee_id=_optional_id(detail.get("assignee_id")),
        requester_id=_optional_id(detail.get("requester_id")),
    )


def _event_comment(
    event: str, body_event: dict[str, Any], detail: dict[str, Any]
) -> Comment | None:
    if event == "ticket.comment_added":
        comment = body_event.get("comment")
        if not isinstance(comment, dict) or not isinstance(comment.get("body"), str):
            return None
        author = (
            comment.get("author") if isinstance(comment.get("author"), dict) else {}
        )
        assert isinstance(author, dict)
        is_staff = author.get("is_staff")
        return Comment(
            id=str(comment.get("id") or "event"),
            body=comment["body"],
            public=bool(comment.get("is_public", True)),
            author_id=_optional_id(author.get("id")),
            author_is_staff=is_staff if isinstance(is_staff, bool) else None,
        )
    if event == "messaging_ticket.message_added":
        message = body_event.get("message")
        actor = (
            body_event.get("actor") if isinstance(body_event.get("actor"), dict) else {}
        )
        assert isinstance(actor, dict)
        if not isinstance(message, dict) or not isinstance(message.get("body"), str):
            return None
        return Comment(
            id=str(message.get("id") or "message"),
            body=message["body"],
            author_id=_optional_id(actor.get("id")),
            author_is_staff=actor.get("type") == "agent",
        )
    if event == "ticket.created" and isinstance(detail.get("description"), str):
        return Comment(
            id="description",
            body=detail["description"],
            author_id=_optional_id(detail.get("requester_id")),
            author_is_staff=False,
        )
    return None


def _parse_trigger(
    payload: dict[str, Any], headers: Mapping[str, str], body: bytes
) -> Delivery:
    ticket = payload.get("ticket")
    ticket_id = payload.get("ticket_id")
    if ticket_id is None and isinstance(ticket, dict):
        ticket_id = ticket.get("id")
    if ticket_id is None:
        raise PayloadInvalid(
            'trigger body has no ticket_id; template it as {"ticket_id": "{{ticket.id}}"}'
        )
    invocation = invocation_id(headers)
    if invocation:
        dedupe_key = f"zendesk:invocation:{invocation}"
    else:
        # Without an invocation id, an identical signed request is the same
        # delivery: the signed timestamp differs between real deliveries.
        timestamp = _header(headers, TIMESTAMP_HEADER)
        digest = hashlib.sha256(timestamp.encode() + body).hexdigest()[:32]
        dedupe_key = f"zendesk:body:{digest}"
    comment = None
    text = payload.get("comment_body", payload.get("latest_comment"))
    if isinstance(text, str) and text.strip():
        staff = payload.get("author_is_staff")
        if isinstance(staff, str):
            staff = staff.strip().lower() in ("true", "1", "yes", "agent", "admin")
        role = str(payload.get("author_role", "")).lower()
        if role:
            staff = role in ("agent", "admin")
        comment = Comment(
            id=str(payload.get("comment_id") or "latest"),
            body=text,
            author_is_staff=staff if isinstance(staff, bool) else None,
        )
    return Delivery(
        ticket_id=_id_text(ticket_id, "ticket_id"),
        event=str(payload.get("event") or "trigger"),
        dedupe_key=dedupe_key,
        account_id=_optional_id(_header(headers, ACCOUNT_HEADER)),
        comment=comment,
    )
