"""Outbound Zendesk calls through zenpy: read a ticket's comments, write back.

Errors are mapped to `RetryLater` (rate limits, timeouts, 5xx) and
`PermanentFailure` (credentials, missing tickets, refused updates). Their
messages carry the HTTP status and the ticket id, never a response body,
because a body can echo comment text.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import SplitResult, urljoin, urlsplit

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
DEFAULT_MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
# Statuses that send an attachment download to a signed URL. Zendesk returns
# 302 when "Secure Downloads" is on, and one such hop is followed, no more.
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK_BYTES = 64 * 1024
_LOOPBACK = "127.0.0.1"


class AttachmentUnavailable(Exception):
    """An attachment was not downloaded; the message is the reason shown in the note.

    Messages name hosts and HTTP statuses only, never a URL path or query,
    which may carry a signed token.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RedactedCopy:
    """A redacted copy of a ticket attachment, to attach to the private note."""

    attachment_id: str
    file_name: str
    content_type: str
    data: bytes = field(repr=False)


class TicketWriter(Protocol):
    """A destination for write-backs: the Zendesk API, or the local outbox."""

    def add_tags(self, ticket_id: str, tags: list[str]) -> None: ...

    def add_private_note(
        self, ticket_id: str, body: str, redacted: Sequence[RedactedCopy] = ()
    ) -> None: ...


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
        attachment_hosts: Sequence[str] = (),
        max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
    ) -> None:
        """Build the client; `attachment_hosts` are extra hosts ("host" or
        "host:port") trusted with the credentials besides `{subdomain}.{domain}`."""
        credentials: dict[str, Any] = (
            {"oauth_token": oauth_token}
            if oauth_token
            else {"email": email, "token": api_token}
        )
        self.subdomain = subdomain
        self.timeout = timeout
        self.max_attachment_bytes = max_attachment_bytes
        self.trusted_hosts = frozenset(
            [f"{subdomain}.{domain}".lower()] + [h.lower() for h in attachment_hosts]
        )
        # Plain http is accepted only for 127.0.0.1, and only once it is listed.
        self.allow_loopback_http = any(
            h.split(":")[0] == _LOOPBACK for h in attachment_hosts
        )
        if oauth_token:
            self._authorization = f"Bearer {oauth_token}"
        else:
            pair = f"{email}/token:{api_token}".encode()
            self._authorization = "Basic " + base64.b64encode(pair).decode()
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

    def add_private_note(
        self, ticket_id: str, body: str, redacted: Sequence[RedactedCopy] = ()
    ) -> None:
        """Add an internal note (`public: false`) without touching other fields.

        Each redacted copy is uploaded first and attached to the note.
        """
        with _mapped_errors(ticket_id, "upload"):
            tokens = [
                self.client.attachments.upload(
                    io.BytesIO(copy.data),
                    target_name=copy.file_name,
                    content_type=copy.content_type,
                ).token
                for copy in redacted
            ]
        ticket = ZenpyTicket(id=int(ticket_id))
        ticket.comment = ZenpyComment(body=body, public=False)
        if tokens:
            ticket.comment.uploads = tokens
        with _mapped_errors(ticket_id, "note"):
            self.client.tickets.update(ticket)

    def download_attachment(self, content_url: str) -> bytes:
        """Download an attachment's `content_url` with the API credentials.

        The URL must be on a trusted host (`{subdomain}.{domain}` or one of
        `attachment_hosts`) over https, because the credentials go with the
        request. One redirect is followed, to a signed URL on any https host,
        without the credentials. The size is checked on Content-Length and
        again while reading. Raises `AttachmentUnavailable` with the reason.
        """
        self._check_trusted(urlsplit(content_url))
        with requests.Session() as session:
            # No proxies or .netrc credentials from the environment: the
            # redirect target must get no credentials at all.
            session.trust_env = False
            first = self._get(
                session, content_url, {"Authorization": self._authorization}
            )
            with first:
                if first.status_code not in _REDIRECT_STATUSES:
                    return self._read_body(first)
                target = urljoin(content_url, first.headers.get("Location", ""))
            self._check_redirect(urlsplit(target))
            second = self._get(session, target, {})
            with second:
                if second.status_code in _REDIRECT_STATUSES:
                    raise AttachmentUnavailable(
                        "download rejected: the signed URL redirects again"
                    )
                return self._read_body(second)

    def _check_trusted(self, url: SplitResult) -> None:
        host = (url.hostname or "").lower()
        with_port = f"{host}:{url.port}" if url.port else host
        if url.username or url.password:
            raise AttachmentUnavailable("download rejected: the URL carries a user")
        if host not in self.trusted_hosts and with_port not in self.trusted_hosts:
            raise AttachmentUnavailable(
                f"download rejected: host {host or '(none)'} is not the account's "
                "Zendesk host, and the credentials are sent only there"
            )
        self._check_scheme(url, host)

    def _check_redirect(self, url: SplitResult) -> None:
        host = (url.hostname or "").lower()
        if not host or url.username or url.password:
            raise AttachmentUnavailable("download rejected: invalid redirect target")
        self._check_scheme(url, host)

    def _check_scheme(self, url: SplitResult, host: str) -> None:
        if url.scheme == "https":
            return
        if url.scheme == "http" and host == _LOOPBACK and self.allow_loopback_http:
            return
        raise AttachmentUnavailable(
            f"download rejected: {url.scheme or 'no'} scheme on host {host}; "
            "only https is accepted"
        )

    def _get(
        self, session: requests.Session, url: str, headers: dict[str, str]
    ) -> requests.Response:
        host = urlsplit(url).hostname
        try:
            return session.get(
                url,
                headers=headers,
                allow_redirects=False,
                stream=True,
                timeout=self.timeout,
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            raise AttachmentUnavailable(
                f"download failed: {host} unreachable ({type(error).__name__})"
            ) from None

    def _read_body(self, response: requests.Response) -> bytes:
        host = urlsplit(response.url).hostname
        if response.status_code != 200:
            raise AttachmentUnavailable(
                f"download failed: {host} returned HTTP {response.status_code}"
            )
        limit = self.max_attachment_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise AttachmentUnavailable(
                f"file too large: {declared} bytes, the limit is {limit} bytes"
            )
        chunks: list[bytes] = []
        received = 0
        try:
            for chunk in response.iter_content(_CHUNK_BYTES):
                received += len(chunk)
                if received > limit:
                    raise AttachmentUnavailable(
                        f"file too large: over the limit of {limit} bytes"
                    )
                chunks.append(chunk)
        except requests.RequestException as error:
            raise AttachmentUnavailable(
                f"download failed: {host} broke off ({type(error).__name__})"
            ) from None
        return b"".join(chunks)


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
