"""Outbound Zendesk calls through zenpy: read a ticket's comments, write back.

Errors are mapped to `RetryLater` (rate limits, timeouts, 5xx) and
`PermanentFailure` (credentials, missing tickets, refused updates). Their
messages carry the HTTP status and the ticket id, never a response body,
because a body can echo comment text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment as ZenpyComment
from zenpy.lib.api_objects import Ticket as ZenpyTicket
from zenpy.lib.exception import (
    APIException,
    RatelimitBudgetExceeded,
    RecordNotFoundException,
    ZenpyException,
)

from adapters.errors import PermanentFailure, RetryLater
from adapters.zendesk.note import is_redline_note, report_ids_in

log = logging.getLogger(__name__)

# Seconds zenpy may spend sleeping on 429 Retry-After before giving up; a
# longer wait is handed back to the queue instead of blocking a worker.
RATELIMIT_BUDGET_SECONDS = 20
REQUEST_TIMEOUT_SECONDS = 30.0
STAFF_ROLES = frozenset({"agent", "admin"})


class TicketWriter(Protocol):
    """Where write-backs go: the Zendesk API, or the local outbox."""

    def add_tags(self, ticket_id: str, tags: list[str]) -> None: ...

    def add_private_note(self, ticket_id: str, body: str) -> None: ...


@dataclass
class TicketComment:
    """A comment read from the REST API, with its author's role resolved."""

    id: str
    body: str
    public: bool
    author_id: str | None
    author_role: str
    created_at: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TicketThread:
    """A ticket's comments without Redline's own notes, and the reports seen."""

    ticket_id: str
    requester_id: str | None
    assignee_id: str | None
    group_id: str | None
    comments: list[TicketComment]
    posted_reports: set[str]


class ZendeskApi:
    """A zenpy client for one Zendesk account, with errors mapped for the queue."""

    def __init__(
        self,
        subdomain: str,
        email: str = "",
        api_token: str = "",
        oauth_token: str = "",
        domain: str = "zendesk.com",
        timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> None:
        credentials: dict[str, Any] = (
            {"oauth_token": oauth_token}
            if oauth_token
            else {"email": email, "token": api_token}
        )
        self.subdomain = subdomain
        self.client = Zenpy(
            subdomain=subdomain,
            domain=domain,
            timeout=timeout,
            ratelimit_budget=RATELIMIT_BUDGET_SECONDS,
            disable_cache=True,
            **credentials,
        )

    def fetch_thread(self, ticket_id: str) -> TicketThread:
        """Read a ticket and all its comments (cursor pagination)."""
        with _mapped_errors(ticket_id, "read"):
            ticket = self.client.tickets(id=int(ticket_id))
            comments = list(self.client.tickets.comments(int(ticket_id)))
            author_ids = sorted({c.author_id for c in comments if c.author_id})
            roles = self._roles(author_ids)
        thread: list[TicketComment] = []
        posted: set[str] = set()
        for comment in comments:
            text = comment.plain_body or comment.body or ""
            if is_redline_note(text):
                posted.update(report_ids_in(text))
                continue
            author = str(comment.author_id) if comment.author_id else None
            role = roles.get(comment.author_id, "end-user")
            if comment.author_id == ticket.requester_id:
                role = "end-user"
            thread.append(
                TicketComment(
                    id=str(comment.id),
                    body=text,
                    public=bool(comment.public),
                    author_id=author,
                    author_role=role,
                    created_at=getattr(comment, "created_at", None),
                    attachments=[_attachment(a) for a in (comment.attachments or [])],
                )
            )
        return TicketThread(
            ticket_id=ticket_id,
            requester_id=_text_id(ticket.requester_id),
            assignee_id=_text_id(ticket.assignee_id),
            group_id=_text_id(ticket.group_id),
            comments=thread,
            posted_reports=posted,
        )

    def _roles(self, user_ids: list[int]) -> dict[int, str]:
        if not user_ids:
            return {}
        return {user.id: str(user.role) for user in self.client.users(ids=user_ids)}

    def add_tags(self, ticket_id: str, tags: list[str]) -> None:
        """Add tags with the additive endpoint (PUT); existing tags stay."""
        with _mapped_errors(ticket_id, "tag"):
            self.client.tickets.add_tags(int(ticket_id), tags)

    def add_private_note(self, ticket_id: str, body: str) -> None:
        """Add an internal note (`public: false`) without touching other fields."""
        ticket = ZenpyTicket(id=int(ticket_id))
        ticket.comment = ZenpyComment(body=body, public=False)
        with _mapped_errors(ticket_id, "note"):
            self.client.tickets.update(ticket)


def _text_id(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _attachment(attachment: Any) -> dict[str, Any]:
    return {
        "id": str(attachment.id),
        "file_name": attachment.file_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "content_url": attachment.content_url,
    }


@contextmanager
def _mapped_errors(ticket_id: str, action: str) -> Iterator[None]:
    """Translate zenpy and requests errors into the adapter's error types."""
    try:
        yield
    except RatelimitBudgetExceeded:
        raise RetryLater(
            f"Zendesk rate limit on {action} of ticket {ticket_id}", retry_after=60
        ) from None
    except RecordNotFoundException:
        raise PermanentFailure(
            f"Zendesk ticket {ticket_id} not found on {action}"
        ) from None
    except APIException as error:
        raise _from_status(error, ticket_id, action) from None
    except (requests.ConnectionError, requests.Timeout) as error:
        raise RetryLater(
            f"Zendesk unreachable on {action} of ticket {ticket_id}: "
            f"{type(error).__name__}"
        ) from None
    except ZenpyException as error:
        raise PermanentFailure(
            f"zenpy failed on {action} of ticket {ticket_id}: {type(error).__name__}"
        ) from None


def _from_status(error: APIException, ticket_id: str, action: str) -> Exception:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", 0) or 0
    what = f"Zendesk answered {status} on {action} of ticket {ticket_id}"
    if status == 429 or status >= 500 or status in (408, 409):
        retry_after = _retry_after(response)
        return RetryLater(what, retry_after=retry_after)
    if status in (401, 403):
        return PermanentFailure(what + "; check the Zendesk credentials and role")
    return PermanentFailure(what)


def _retry_after(response: Any) -> float:
    try:
        return max(1.0, float(response.headers.get("Retry-After", 30)))
    except (AttributeError, TypeError, ValueError):
        return 30.0
