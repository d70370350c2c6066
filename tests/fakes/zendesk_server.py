"""Local fake of the Zendesk Support REST API subset that Redline uses.

`FakeZendesk` serves tickets, comments, users, tags, uploads and comment
redaction over real HTTP on 127.0.0.1, records every request it receives and
can inject 429/5xx/401 responses. Tests point the real zenpy client at it with
the `ZENPY_FORCE_NETLOC` and `ZENPY_FORCE_SCHEME` environment variables, which
zenpy reads on every request (zenpy 2.0.57).

Pytest fixtures `fake_zendesk` and `fake_zendesk_client` are defined at the end
of this module. Load them with `pytest_plugins = ["tests.fakes.zendesk_server"]`
in the top-level conftest, or import them into a test module.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from werkzeug.wrappers import Request, Response
from zenpy import Zenpy

from tests.fakes.local_server import LocalServer

JsonDict = dict[str, Any]
RequestPredicate = Callable[["RecordedRequest"], bool]

#: Character Zendesk writes in place of each redacted character.
REDACTION_CHAR = "\u2587"
#: Default and maximum `page[size]` / `per_page` of the comments endpoint.
MAX_PAGE_SIZE = 100
#: Credentials used by the `fake_zendesk_client` fixture.
TEST_SUBDOMAIN = "redlinetest"
TEST_EMAIL = "agent@example.com"
TEST_TOKEN = "t0ken"

_ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# Fixed start of the fake clock, so timestamps are the same on every run.
_CLOCK_START = datetime(2024, 5, 1, 8, 0, 0, tzinfo=UTC)
# Ticket keys that are read-only in Zendesk or handled separately on update.
_TICKET_UPDATE_SKIPPED_KEYS = frozenset(
    {
        "id",
        "url",
        "created_at",
        "updated_at",
        "via",
        "comment",
        "additional_tags",
        "remove_tags",
        "safe_update",
        "updated_stamp",
        "description",
    }
)
_HTML_TAG = re.compile(r"<[^>]+>")
_API_PREFIX = "/api/v2"


class _HttpError(Exception):
    """Error raised by a route handler and sent as a Zendesk-style JSON error."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description


@dataclass
class RecordedRequest:
    """One HTTP request received by the fake, with the status it was sent."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    status: int = 0
    injected_fault: bool = False

    @property
    def bare_path(self) -> str:
        """Path without a trailing `.json`, as used for routing."""
        return _strip_json_suffix(self.path)


@dataclass
class FaultRule:
    """Pending injected failure created by `FakeZendesk.fail_next`."""

    matcher: str | RequestPredicate
    status: int
    retry_after: int | None
    remaining: int
    method: str | None = None
    body: JsonDict | None = None
    hits: int = 0

    def matches(self, recorded: RecordedRequest) -> bool:
        """Return whether this rule applies to `recorded` and has uses left."""
        if self.remaining <= 0:
            return False
        if self.method is not None and recorded.method != self.method.upper():
            return False
        if isinstance(self.matcher, str):
            return self.matcher in recorded.path
        return bool(self.matcher(recorded))


@dataclass
class _Attachment:
    id: int
    token: str
    file_name: str
    content_type: str
    content: bytes
    inline: bool = False
    #: A `content_url` to report instead of the fake's own, such as a foreign host.
    content_url: str | None = None


@dataclass
class _Upload:
    token: str
    attachments: list[_Attachment] = field(default_factory=list)


@dataclass
class _Comment:
    id: int
    ticket_id: int
    author_id: int
    body: str
    html_body: str
    public: bool
    audit_id: int
    created_at: str
    via_channel: str
    attachments: list[_Attachment] = field(default_factory=list)
    metadata: JsonDict = field(default_factory=dict)


@dataclass
class _Ticket:
    id: int
    created_at: str
    updated_at: str
    via_channel: str
    # Every other ticket field (requester_id, tags, status, subject, ...).
    fields: JsonDict = field(default_factory=dict)


@dataclass
class _User:
    id: int
    name: str
    role: str
    email: str
    created_at: str
    extra: JsonDict = field(default_factory=dict)


def _strip_json_suffix(path: str) -> str:
    path = path.rstrip("/") or "/"
    return path.removesuffix(".json")


def _format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_ISO_FORMAT)


def _html_from_text(text: str) -> str:
    paragraphs = html.escape(text).replace("\n", "<br>")
    return f'<div class="zd-comment" dir="auto"><p>{paragraphs}</p></div>'


def _text_from_html(markup: str) -> str:
    with_breaks = re.sub(r"<br\s*/?>", "\n", markup)
    return html.unescape(_HTML_TAG.sub("", with_breaks)).strip()


def _encode_cursor(comment_id: int) -> str:
    raw = f"comment:{comment_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        kind, _, value = base64.urlsafe_b64decode(padded).decode().partition(":")
        if kind != "comment":
            raise ValueError(kind)
        return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise _HttpError(
            400, "InvalidPaginationParameter", f"invalid cursor {cursor!r}"
        ) from exc


def _parse_page_size(raw: str | None, parameter: str) -> int:
    if raw is None:
        return MAX_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError as exc:
        raise _HttpError(
            400, "InvalidPaginationParameter", f"{parameter} must be an integer"
        ) from exc
    # NOTE: the real API's status and error body for a page size above 100 were
    # not checked. This fake rejects it with 400.
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise _HttpError(
            400,
            "InvalidPaginationParameter",
            f"{parameter} must be between 1 and {MAX_PAGE_SIZE}",
        )
    return size


def _tags_from_body(body: Any) -> list[str]:
    if not isinstance(body, dict) or not isinstance(body.get("tags"), list):
        raise _HttpError(400, "InvalidValue", "Request body must contain 'tags'")
    return [str(tag) for tag in body["tags"]]


def _merge_tags(existing: Iterable[str], added: Iterable[str]) -> list[str]:
    merged = list(dict.fromkeys(existing))
    for tag in added:
        if tag not in merged:
            merged.append(tag)
    return merged


class FakeZendesk(LocalServer):
    """Zendesk Support API fake served over HTTP on 127.0.0.1.

    All state sits behind one re-entrant lock, so tests may call the Python
    methods while the server thread handles requests.
    """

    def __init__(self, api_user_id: int = 900001) -> None:
        super().__init__()
        #: Author id of comments created through `PUT /api/v2/tickets/{id}`.
        self.api_user_id = api_user_id
        self._lock = threading.RLock()
        self._tickets: dict[int, _Ticket] = {}
        self._comments: dict[int, list[_Comment]] = {}
        self._users: dict[int, _User] = {}
        self._uploads: dict[str, _Upload] = {}
        self._attachments: dict[int, _Attachment] = {}
        self._requests: list[RecordedRequest] = []
        self._faults: list[FaultRule] = []
        self._basic_auth: tuple[str, str] | None = None
        self._tick = 0
        self._next_comment_id = 30000001
        self._next_audit_id = 40000001
        self._next_attachment_id = 50000001
        self._next_token = 1
        #: When true, `content_url` answers 302 to a signed `/signed/...` URL,
        #: as Zendesk does with "Secure Downloads" on.
        self.secure_downloads = False
        self.add_user(api_user_id, "Redline API User", "agent")

    # -- addresses -------------------------------------------------------

    @property
    def netloc(self) -> str:
        """`127.0.0.1:PORT`, the value for `ZENPY_FORCE_NETLOC`."""
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://{self.netloc}"

    def zenpy_env(self) -> dict[str, str]:
        """Return the environment variables that point zenpy at this server."""
        return {"ZENPY_FORCE_NETLOC": self.netloc, "ZENPY_FORCE_SCHEME": "http"}

    # -- seeding state ---------------------------------------------------

    def add_ticket(
        self,
        ticket_id: int,
        requester_id: int,
        tags: Iterable[str] = (),
        status: str = "open",
        *,
        subject: str = "Test ticket",
        submitter_id: int | None = None,
        assignee_id: int | None = None,
        created_at: str | datetime | None = None,
        via_channel: str = "web",
        **fields: Any,
    ) -> int:
        """Add a ticket and return its id. Extra keyword fields are served as-is.

        Raises ValueError if the id is already taken.
        """
        with self._lock:
            if ticket_id in self._tickets:
                raise ValueError(f"ticket {ticket_id} already exists")
            created = self._timestamp(created_at)
            ticket_fields: JsonDict = {
                "external_id": None,
                "type": None,
                "subject": subject,
                "raw_subject": subject,
                "priority": None,
                "status": status,
                "requester_id": requester_id,
                "submitter_id": (
                    requester_id if submitter_id is None else submitter_id
                ),
                "assignee_id": assignee_id,
                "organization_id": None,
                "group_id": None,
                "brand_id": None,
                "tags": _merge_tags([], tags),
                "custom_fields": [],
                "is_public": True,
            }
            ticket_fields.update(fields)
            self._tickets[ticket_id] = _Ticket(
                id=ticket_id,
                created_at=created,
                updated_at=created,
                via_channel=via_channel,
                fields=ticket_fields,
            )
            self._comments[ticket_id] = []
            return ticket_id

    def add_comment(
        self,
        ticket_id: int,
        body: str,
        author_id: int,
        public: bool = True,
        attachments: Sequence[Mapping[str, Any]] | None = None,
        created_at: str | datetime | None = None,
        *,
        html_body: str | None = None,
        via_channel: str = "web",
        metadata: JsonDict | None = None,
    ) -> int:
        """Append a comment to a ticket and return the new comment id.

        Each attachment is a mapping with `file_name` and `content` (bytes), and
        optionally `content_type` (default `application/octet-stream`) and
        `inline` (default False). Raises KeyError for an unknown ticket.
        """
        with self._lock:
            ticket = self._require_ticket_for_seed(ticket_id)
            stored = [
                self._new_attachment(
                    token=self._new_token(),
                    file_name=str(spec["file_name"]),
                    content=bytes(spec["content"]),
                    content_type=str(
                        spec.get("content_type", "application/octet-stream")
                    ),
                    inline=bool(spec.get("inline", False)),
                    content_url=spec.get("content_url"),
                )
                for spec in attachments or ()
            ]
            comment = self._append_comment(
                ticket,
                body=body,
                html_body=html_body,
                author_id=author_id,
                public=public,
                attachments=stored,
                created_at=self._timestamp(created_at),
                via_channel=via_channel,
                metadata=metadata,
            )
            return comment.id

    def add_user(
        self,
        user_id: int,
        name: str,
        role: str,
        *,
        email: str | None = None,
        **fields: Any,
    ) -> int:
        """Add or replace a user and return its id. Role is end-user/agent/admin."""
        if role not in ("end-user", "agent", "admin"):
            raise ValueError(f"unknown role {role!r}")
        with self._lock:
            self._users[user_id] = _User(
                id=user_id,
                name=name,
                role=role,
                email=email or f"user{user_id}@example.com",
                created_at=self._timestamp(None),
                extra=dict(fields),
            )
            return user_id

    def require_auth(self, email: str | None, token: str | None = None) -> None:
        """Require basic auth `{email}/token:{token}` on `/api/v2`, else send 401.

        Pass `email=None` to accept any request again.
        """
        with self._lock:
            if email is None:
                self._basic_auth = None
            elif token is None:
                raise ValueError("token is required when email is given")
            else:
                self._basic_auth = (f"{email}/token", token)

    def fail_next(
        self,
        match: str | RequestPredicate,
        status: int = 429,
        retry_after: int | None = 1,
        times: int = 1,
        *,
        method: str | None = None,
        body: JsonDict | None = None,
    ) -> FaultRule:
        """Send `status` to the next `times` matching requests, then behave normally.

        `match` is a substring of the request path (the path includes any
        `.json` suffix but not the query string) or a predicate on the
        `RecordedRequest`. A `Retry-After: {retry_after}` header (seconds) is
        sent with 429 and 503 unless `retry_after` is None. The first pending
        rule that matches wins. Returns the rule, whose `hits` counts uses.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        rule = FaultRule(
            matcher=match,
            status=status,
            retry_after=retry_after,
            remaining=times,
            method=method,
            body=body,
        )
        with self._lock:
            self._faults.append(rule)
        return rule

    def clear_faults(self) -> None:
        """Drop all pending injected failures."""
        with self._lock:
            self._faults.clear()

    # -- inspecting state ------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Copy of all recorded requests, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Forget all recorded requests."""
        with self._lock:
            self._requests.clear()

    def requests_to(
        self,
        path_substring: str,
        method: str | None = None,
        include_failed: bool = True,
    ) -> list[RecordedRequest]:
        """Return recorded requests whose path contains `path_substring`."""
        with self._lock:
            return [
                recorded
                for recorded in self._requests
                if path_substring in recorded.path
                and (method is None or recorded.method == method.upper())
                and (include_failed or recorded.status < 400)
            ]

    def tag_requests(
        self, ticket_id: int, include_failed: bool = False
    ) -> list[RecordedRequest]:
        """Return PUT/POST/DELETE requests to `/api/v2/tickets/{id}/tags`.

        Requests that got an error status are left out unless `include_failed`
        is true.
        """
        wanted = f"{_API_PREFIX}/tickets/{ticket_id}/tags"
        with self._lock:
            return [
                recorded
                for recorded in self._requests
                if recorded.bare_path == wanted
                and recorded.method in ("PUT", "POST", "DELETE")
                and (include_failed or recorded.status < 400)
            ]

    def ticket_updates(
        self, ticket_id: int, include_failed: bool = False
    ) -> list[RecordedRequest]:
        """Return PUT requests to `/api/v2/tickets/{id}`.

        Requests that got an error status are left out unless `include_failed`
        is true.
        """
        wanted = f"{_API_PREFIX}/tickets/{ticket_id}"
        with self._lock:
            return [
                recorded
                for recorded in self._requests
                if recorded.bare_path == wanted
                and recorded.method == "PUT"
                and (include_failed or recorded.status < 400)
            ]

    def ticket(self, ticket_id: int) -> JsonDict:
        """Return the ticket as the API serves it. Raises KeyError if unknown."""
        with self._lock:
            return self._ticket_json(self._require_ticket_for_seed(ticket_id))

    def tags(self, ticket_id: int) -> list[str]:
        """Return the ticket's current tags. Raises KeyError if unknown."""
        with self._lock:
            return list(self._require_ticket_for_seed(ticket_id).fields["tags"])

    def comments(self, ticket_id: int) -> list[JsonDict]:
        """Return the ticket's comments as the API serves them, oldest first."""
        with self._lock:
            self._require_ticket_for_seed(ticket_id)
            return [
                self._comment_json(comment, include_inline=True)
                for comment in self._sorted_comments(ticket_id)
            ]

    def upload_content(self, token: str, file_name: str | None = None) -> bytes:
        """Return the bytes stored under an upload token.

        With several files under one token, `file_name` selects one. Raises
        KeyError if nothing matches.
        """
        with self._lock:
            upload = self._uploads[token]
            for attachment in upload.attachments:
                if file_name is None or attachment.file_name == file_name:
                    return attachment.content
            raise KeyError(file_name)

    def attachment_content(self, attachment_id: int) -> bytes:
        """Return the bytes of an attachment. Raises KeyError if unknown."""
        with self._lock:
            return self._attachments[attachment_id].content

    # -- internals: state helpers ---------------------------------------

    def _timestamp(self, value: str | datetime | None) -> str:
        if isinstance(value, datetime):
            return _format_time(value)
        if isinstance(value, str):
            return value
        self._tick += 1
        return _format_time(_CLOCK_START + timedelta(seconds=self._tick))

    def _new_token(self) -> str:
        token = f"fz{self._next_token:010d}"
        self._next_token += 1
        return token

    def _new_attachment(
        self,
        *,
        token: str,
        file_name: str,
        content: bytes,
        content_type: str,
        inline: bool = False,
        content_url: str | None = None,
    ) -> _Attachment:
        attachment = _Attachment(
            id=self._next_attachment_id,
            token=token,
            file_name=file_name,
            content_type=content_type,
            content=content,
            inline=inline,
            content_url=content_url,
        )
        self._next_attachment_id += 1
        self._attachments[attachment.id] = attachment
        return attachment

    def _require_ticket_for_seed(self, ticket_id: int) -> _Ticket:
        try:
            return self._tickets[ticket_id]
        except KeyError:
            raise KeyError(f"unknown ticket {ticket_id}") from None

    def _append_comment(
        self,
        ticket: _Ticket,
        *,
        body: str | None,
        html_body: str | None,
        author_id: int,
        public: bool,
        attachments: list[_Attachment],
        created_at: str,
        via_channel: str,
        metadata: JsonDict | None,
    ) -> _Comment:
        if body is None:
            body = _text_from_html(html_body or "")
        comment = _Comment(
            id=self._next_comment_id,
            ticket_id=ticket.id,
            author_id=author_id,
            body=body,
            html_body=html_body if html_body is not None else _html_from_text(body),
            public=public,
            audit_id=self._next_audit_id,
            created_at=created_at,
            via_channel=via_channel,
            attachments=attachments,
            metadata=metadata
            if metadata is not None
            else {
                "system": {"client": "FakeZendesk", "ip_address": "127.0.0.1"},
                "custom": {},
            },
        )
        self._next_comment_id += 1
        self._next_audit_id += 1
        self._comments[ticket.id].append(comment)
        if not public:
            ticket.fields["is_public"] = any(
                c.public for c in self._comments[ticket.id]
            )
        ticket.updated_at = max(ticket.updated_at, created_at)
        return comment

    def _sorted_comments(self, ticket_id: int) -> list[_Comment]:
        return sorted(self._comments[ticket_id], key=lambda c: (c.created_at, c.id))

    def _find_ticket(self, ticket_id: int) -> _Ticket:
        ticket = self._tickets.get(ticket_id)
        if ticket is None:
            raise _HttpError(404, "RecordNotFound", "Not found")
        return ticket

    # -- internals: JSON rendering ---------------------------------------

    def _base(self) -> str:
        return self.base_url if self.running else "http://127.0.0.1"

    def _via_json(self, channel: str) -> JsonDict:
        return {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}}

    def _ticket_json(self, ticket: _Ticket) -> JsonDict:
        comments = self._sorted_comments(ticket.id)
        rendered: JsonDict = {
            "url": f"{self._base()}{_API_PREFIX}/tickets/{ticket.id}.json",
            "id": ticket.id,
            "created_at": ticket.created_at,
            "updated_at": ticket.updated_at,
            "via": self._via_json(ticket.via_channel),
            "description": comments[0].body if comments else "",
        }
        rendered.update(ticket.fields)
        rendered["tags"] = list(ticket.fields["tags"])
        return rendered

    def _attachment_json(self, attachment: _Attachment) -> JsonDict:
        content_url = f"{self._base()}/attachments/{attachment.token}/" + (
            attachment.file_name
        )
        if attachment.content_url is not None:
            content_url = attachment.content_url
        return {
            "url": f"{self._base()}{_API_PREFIX}/attachments/{attachment.id}.json",
            "id": attachment.id,
            "file_name": attachment.file_name,
            "content_url": content_url,
            "mapped_content_url": content_url,
            "content_type": attachment.content_type,
            "size": len(attachment.content),
            "width": None,
            "height": None,
            "inline": attachment.inline,
            "deleted": False,
            "malware_access_override": False,
            "malware_scan_result": "malware_not_found",
            "thumbnails": [],
        }

    def _comment_json(self, comment: _Comment, include_inline: bool) -> JsonDict:
        return {
            "id": comment.id,
            "type": "Comment",
            "author_id": comment.author_id,
            "body": comment.body,
            "html_body": comment.html_body,
            "plain_body": comment.body,
            "public": comment.public,
            "attachments": [
                self._attachment_json(attachment)
                for attachment in comment.attachments
                if include_inline or not attachment.inline
            ],
            "audit_id": comment.audit_id,
            "via": self._via_json(comment.via_channel),
            "metadata": json.loads(json.dumps(comment.metadata)),
            "created_at": comment.created_at,
        }

    def _user_json(self, user: _User) -> JsonDict:
        rendered: JsonDict = {
            "url": f"{self._base()}{_API_PREFIX}/users/{user.id}.json",
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "role": user.role,
            "role_type": None,
            "active": True,
            "verified": True,
            "suspended": False,
            "locale": "en-US",
            "time_zone": "UTC",
            "organization_id": None,
            "tags": [],
            "created_at": user.created_at,
            "updated_at": user.created_at,
        }
        rendered.update(user.extra)
        return rendered

    # -- internals: HTTP --------------------------------------------------

    def _wsgi_app(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        body = request.get_data(cache=True)
        parsed: Any = None
        if body and request.mimetype == "application/json":
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query={key: value for key, value in request.args.items()},
            headers={key: value for key, value in request.headers.items()},
            body=body,
            json=parsed,
        )
        with self._lock:
            self._requests.append(recorded)
            try:
                response = self._respond(request, recorded)
            except Exception:
                # werkzeug sends 500 and prints the traceback for a bug in the fake.
                recorded.status = 500
                raise
            recorded.status = response.status_code
        return response

    def _respond(self, request: Request, recorded: RecordedRequest) -> Response:
        for rule in self._faults:
            if rule.matches(recorded):
                rule.remaining -= 1
                rule.hits += 1
                recorded.injected_fault = True
                return self._fault_response(rule)
        if self._basic_auth is not None and request.path.startswith(_API_PREFIX):
            auth = request.authorization
            supplied = (
                (auth.username, auth.password)
                if auth is not None and auth.type == "basic"
                else None
            )
            if supplied != self._basic_auth:
                response = _json_response(401, {"error": "Couldn't authenticate you"})
                response.headers["WWW-Authenticate"] = 'Basic realm="Web Password"'
                return response
        try:
            return self._route(request, recorded)
        except _HttpError as exc:
            return _json_response(
                exc.status, {"error": exc.error, "description": exc.description}
            )

    def _fault_response(self, rule: FaultRule) -> Response:
        default_bodies: dict[int, JsonDict] = {
            429: {
                "error": "APIRateLimitExceeded",
                "description": "Number of allowed API requests per minute exceeded",
            },
            500: {"error": "InternalError", "description": "Internal server error"},
            503: {"error": "ServiceUnavailable", "description": "Service unavailable"},
        }
        payload = rule.body or default_bodies.get(
            rule.status,
            {"error": "InjectedFault", "description": f"status {rule.status}"},
        )
        response = _json_response(rule.status, payload)
        if rule.retry_after is not None and rule.status in (429, 503):
            response.headers["Retry-After"] = str(rule.retry_after)
        return response

    def _route(self, request: Request, recorded: RecordedRequest) -> Response:
        method = request.method
        path = request.path
        attachment_match = re.fullmatch(r"/attachments/([^/]+)/([^/]+)", path)
        if attachment_match and method == "GET":
            if self.secure_downloads:
                token, file_name = attachment_match.groups()
                response = Response(status=302)
                response.headers["Location"] = (
                    f"{self._base()}/signed/{token}/{file_name}?signature=fake"
                )
                return response
            return self._serve_attachment(*attachment_match.groups())
        signed_match = re.fullmatch(r"/signed/([^/]+)/([^/]+)", path)
        if signed_match and method == "GET":
            return self._serve_attachment(*signed_match.groups())
        bare = _strip_json_suffix(path)
        if not bare.startswith(_API_PREFIX + "/"):
            raise _HttpError(404, "InvalidEndpoint", "Not found")
        parts = bare[len(_API_PREFIX) + 1 :].split("/")
        handler = self._match_api_route(method, parts)
        if handler is None:
            raise _HttpError(404, "InvalidEndpoint", "Not found")
        return handler(request, recorded)

    def _match_api_route(
        self, method: str, parts: list[str]
    ) -> Callable[[Request, RecordedRequest], Response] | None:
        def ident(value: str) -> int | None:
            return int(value) if value.isdigit() else None

        match parts:
            case ["tickets", raw_id] if ident(raw_id) is not None:
                ticket_id = int(raw_id)
                if method == "GET":
                    return lambda req, rec: self._get_ticket(ticket_id)
                if method == "PUT":
                    return lambda req, rec: self._update_ticket(ticket_id, rec)
            case ["tickets", raw_id, "comments"] if ident(raw_id) is not None:
                if method == "GET":
                    return lambda req, rec: self._list_comments(int(raw_id), req)
            case ["tickets", raw_id, "comments", raw_comment, "redact"] if (
                ident(raw_id) is not None and ident(raw_comment) is not None
            ):
                if method == "PUT":
                    return lambda req, rec: self._redact(
                        int(raw_id), int(raw_comment), rec
                    )
            case ["tickets", raw_id, "tags"] if ident(raw_id) is not None:
                if method in ("GET", "PUT", "POST", "DELETE"):
                    return lambda req, rec: self._tags_endpoint(
                        int(raw_id), method, rec
                    )
            case ["users", "show_many"]:
                if method == "GET":
                    return lambda req, rec: self._show_many_users(req)
            case ["users", raw_id] if ident(raw_id) is not None:
                if method == "GET":
                    return lambda req, rec: self._get_user(int(raw_id))
            case ["uploads"]:
                if method == "POST":
                    return lambda req, rec: self._create_upload(req)
            case ["uploads", token]:
                if method == "DELETE":
                    return lambda req, rec: self._delete_upload(token)
            case ["attachments", raw_id] if ident(raw_id) is not None:
                if method == "GET":
                    return lambda req, rec: self._get_attachment(int(raw_id))
        return None

    # -- route handlers -----------------------------------------------------

    def _get_ticket(self, ticket_id: int) -> Response:
        ticket = self._find_ticket(ticket_id)
        return _json_response(200, {"ticket": self._ticket_json(ticket)})

    def _list_comments(self, ticket_id: int, request: Request) -> Response:
        self._find_ticket(ticket_id)
        args = request.args
        include_inline = args.get("include_inline_images", "false") == "true"
        ordered = self._sorted_comments(ticket_id)
        uses_cursor = any(
            key in args for key in ("page[size]", "page[after]", "page[before]")
        )
        if uses_cursor:
            if args.get("sort", "created_at") == "-created_at":
                ordered.reverse()
            return self._comments_cursor_page(
                ticket_id, ordered, request, include_inline
            )
        if args.get("sort_order", "asc") == "desc":
            ordered.reverse()
        return self._comments_offset_page(ticket_id, ordered, request, include_inline)

    def _comments_cursor_page(
        self,
        ticket_id: int,
        ordered: list[_Comment],
        request: Request,
        include_inline: bool,
    ) -> Response:
        args = request.args
        size = _parse_page_size(args.get("page[size]"), "page[size]")
        positions = {comment.id: index for index, comment in enumerate(ordered)}

        def position_of(cursor: str) -> int:
            comment_id = _decode_cursor(cursor)
            if comment_id not in positions:
                raise _HttpError(
                    400, "InvalidPaginationParameter", f"invalid cursor {cursor!r}"
                )
            return positions[comment_id]

        if "page[before]" in args:
            end = position_of(args["page[before]"])
            start = max(0, end - size)
            has_more = start > 0
        else:
            start = position_of(args["page[after]"]) + 1 if "page[after]" in args else 0
            end = min(len(ordered), start + size)
            has_more = end < len(ordered)
        page = ordered[start:end]

        after_cursor = _encode_cursor(page[-1].id) if page else None
        before_cursor = _encode_cursor(page[0].id) if page else None
        shared_query = {
            key: value
            for key, value in args.items()
            if key not in ("page[after]", "page[before]", "page[size]")
        }
        shared_query["page[size]"] = str(size)
        url = f"{request.host_url.rstrip('/')}{_API_PREFIX}/tickets/{ticket_id}"
        url += "/comments.json?"
        going_back = "page[before]" in args
        next_url = (
            url + urlencode({"page[after]": after_cursor, **shared_query})
            if after_cursor and (has_more or going_back)
            else None
        )
        prev_url = (
            url + urlencode({"page[before]": before_cursor, **shared_query})
            if before_cursor and start > 0
            else None
        )
        payload = {
            "comments": [self._comment_json(c, include_inline) for c in page],
            "meta": {
                "has_more": has_more,
                "after_cursor": after_cursor,
                "before_cursor": before_cursor,
            },
            "links": {"next": next_url, "prev": prev_url},
        }
        return _json_response(200, payload)

    def _comments_offset_page(
        self,
        ticket_id: int,
        ordered: list[_Comment],
        request: Request,
        include_inline: bool,
    ) -> Response:
        args = request.args
        per_page = _parse_page_size(args.get("per_page"), "per_page")
        try:
            page_number = max(1, int(args.get("page", "1")))
        except ValueError as exc:
            raise _HttpError(400, "InvalidValue", "page must be an integer") from exc
        start = (page_number - 1) * per_page
        page = ordered[start : start + per_page]
        base_query = {
            key: value for key, value in args.items() if key not in ("page", "per_page")
        }
        url = f"{request.host_url.rstrip('/')}{_API_PREFIX}/tickets/{ticket_id}"
        url += "/comments.json?"

        def page_url(number: int) -> str:
            query = {**base_query, "page": str(number), "per_page": str(per_page)}
            return url + urlencode(query)

        payload = {
            "comments": [self._comment_json(c, include_inline) for c in page],
            "next_page": (
                page_url(page_number + 1) if start + per_page < len(ordered) else None
            ),
            "previous_page": page_url(page_number - 1) if page_number > 1 else None,
            "count": len(ordered),
        }
        return _json_response(200, payload)

    def _update_ticket(self, ticket_id: int, recorded: RecordedRequest) -> Response:
        ticket = self._find_ticket(ticket_id)
        body = recorded.json
        if not isinstance(body, dict) or not isinstance(body.get("ticket"), dict):
            raise _HttpError(400, "InvalidValue", "Request body must contain 'ticket'")
        changes: JsonDict = body["ticket"]
        if ticket.fields.get("status") == "closed":
            raise _HttpError(
                422, "RecordInvalid", "Status: closed prevents ticket update"
            )
        # Validate everything before changing state, so a rejected update
        # leaves the ticket as it was.
        for key in ("tags", "additional_tags", "remove_tags"):
            if changes.get(key) is not None and not isinstance(changes[key], list):
                raise _HttpError(400, "InvalidValue", f"'{key}' must be a list")
        comment_spec = changes.get("comment")
        if comment_spec is not None:
            if not isinstance(comment_spec, dict):
                raise _HttpError(400, "InvalidValue", "'comment' must be an object")
            if not (comment_spec.get("body") or comment_spec.get("html_body")):
                raise _HttpError(422, "RecordInvalid", "Comment: body can't be blank")
            if comment_spec.get("uploads") is not None and not isinstance(
                comment_spec["uploads"], list
            ):
                raise _HttpError(400, "InvalidValue", "'uploads' must be a list")
        author_id = self.api_user_id
        if comment_spec is not None and comment_spec.get("author_id") is not None:
            author_id = int(comment_spec["author_id"])

        now = self._timestamp(None)
        audit_id = self._next_audit_id
        events: list[JsonDict] = []
        previous_tags = list(ticket.fields["tags"])
        for key, value in changes.items():
            if key in _TICKET_UPDATE_SKIPPED_KEYS or key == "tags":
                continue
            previous = ticket.fields.get(key)
            ticket.fields[key] = value
            if previous != value:
                events.append(self._change_event(key, value, previous))

        if "tags" in changes:
            tags = _merge_tags([], (str(tag) for tag in changes["tags"] or ()))
        else:
            tags = previous_tags
        added = (str(tag) for tag in changes.get("additional_tags") or ())
        removed = {str(tag) for tag in changes.get("remove_tags") or ()}
        ticket.fields["tags"] = [
            tag for tag in _merge_tags(tags, added) if tag not in removed
        ]
        if ticket.fields["tags"] != previous_tags:
            events.append(
                self._change_event("tags", ticket.fields["tags"], previous_tags)
            )
        for event_number, event in enumerate(events, start=1):
            event["id"] = audit_id * 100 + event_number

        if comment_spec is not None:
            comment = self._append_comment(
                ticket,
                body=comment_spec.get("body"),
                html_body=comment_spec.get("html_body"),
                author_id=author_id,
                public=bool(comment_spec.get("public", True)),
                attachments=self._attachments_for_tokens(
                    comment_spec.get("uploads") or ()
                ),
                created_at=now,
                via_channel="api",
                metadata=None,
            )
            # The Comment event reuses the comment id, so tests can match the two.
            events.insert(0, self._comment_json(comment, include_inline=True))
        else:
            self._next_audit_id += 1
        ticket.updated_at = now
        audit = {
            "id": audit_id,
            "ticket_id": ticket.id,
            "created_at": now,
            "author_id": author_id,
            "metadata": {"system": {"client": "FakeZendesk"}, "custom": {}},
            "via": self._via_json("api"),
            "events": events,
        }
        return _json_response(
            200, {"ticket": self._ticket_json(ticket), "audit": audit}
        )

    @staticmethod
    def _change_event(field_name: str, value: Any, previous: Any) -> JsonDict:
        return {
            "type": "Change",
            "field_name": field_name,
            "value": value,
            "previous_value": previous,
        }

    def _attachments_for_tokens(self, tokens: Iterable[Any]) -> list[_Attachment]:
        attachments: list[_Attachment] = []
        for token in tokens:
            upload = self._uploads.get(str(token))
            # NOTE: unknown upload tokens are ignored without an error; whether
            # the real API rejects them was not checked.
            if upload is not None:
                attachments.extend(upload.attachments)
        return attachments

    def _redact(
        self, ticket_id: int, comment_id: int, recorded: RecordedRequest
    ) -> Response:
        self._find_ticket(ticket_id)
        comment = next(
            (c for c in self._comments[ticket_id] if c.id == comment_id), None
        )
        if comment is None:
            raise _HttpError(404, "RecordNotFound", "Not found")
        body = recorded.json
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text:
            raise _HttpError(422, "RecordInvalid", "text must be a non-empty string")
        mask = REDACTION_CHAR * len(text)
        comment.body = comment.body.replace(text, mask)
        comment.html_body = comment.html_body.replace(html.escape(text), mask).replace(
            text, mask
        )
        return _json_response(200, {"comment": self._comment_json(comment, True)})

    def _tags_endpoint(
        self, ticket_id: int, method: str, recorded: RecordedRequest
    ) -> Response:
        ticket = self._find_ticket(ticket_id)
        if method == "GET":
            return _json_response(200, {"tags": list(ticket.fields["tags"])})
        requested = _tags_from_body(recorded.json)
        if method == "PUT":
            ticket.fields["tags"] = _merge_tags(ticket.fields["tags"], requested)
        elif method == "POST":
            ticket.fields["tags"] = _merge_tags([], requested)
        else:
            removed = set(requested)
            ticket.fields["tags"] = [
                tag for tag in ticket.fields["tags"] if tag not in removed
            ]
        ticket.updated_at = self._timestamp(None)
        # NOTE: DELETE returns the remaining tags with 200 here, but the real API
        # may return 204 without a body.
        return _json_response(200, {"tags": list(ticket.fields["tags"])})

    def _get_user(self, user_id: int) -> Response:
        user = self._users.get(user_id)
        if user is None:
            raise _HttpError(404, "RecordNotFound", "Not found")
        return _json_response(200, {"user": self._user_json(user)})

    def _show_many_users(self, request: Request) -> Response:
        raw_ids = [part for part in request.args.get("ids", "").split(",") if part]
        if not all(part.strip().isdigit() for part in raw_ids):
            raise _HttpError(400, "InvalidValue", "ids must be integers")
        users = [
            self._user_json(self._users[user_id])
            for user_id in dict.fromkeys(int(part) for part in raw_ids)
            if user_id in self._users
        ]
        return _json_response(
            200,
            {
                "users": users,
                "next_page": None,
                "previous_page": None,
                "count": len(users),
            },
        )

    def _create_upload(self, request: Request) -> Response:
        file_name = request.args.get("filename")
        if not file_name:
            raise _HttpError(400, "InvalidValue", "filename is required")
        token = request.args.get("token") or self._new_token()
        upload = self._uploads.setdefault(token, _Upload(token=token))
        attachment = self._new_attachment(
            token=self._new_token(),
            file_name=file_name,
            content=request.get_data(cache=True),
            content_type=request.mimetype or "application/octet-stream",
        )
        upload.attachments.append(attachment)
        expires_at = _format_time(_CLOCK_START + timedelta(days=3, seconds=self._tick))
        payload = {
            "upload": {
                "token": token,
                "expires_at": expires_at,
                "attachment": self._attachment_json(attachment),
                "attachments": [self._attachment_json(a) for a in upload.attachments],
            }
        }
        return _json_response(201, payload)

    def _delete_upload(self, token: str) -> Response:
        if self._uploads.pop(token, None) is None:
            raise _HttpError(404, "RecordNotFound", "Not found")
        return Response(status=204)

    def _get_attachment(self, attachment_id: int) -> Response:
        attachment = self._attachments.get(attachment_id)
        if attachment is None:
            raise _HttpError(404, "RecordNotFound", "Not found")
        return _json_response(200, {"attachment": self._attachment_json(attachment)})

    def _serve_attachment(self, token: str, file_name: str) -> Response:
        for attachment in self._attachments.values():
            if attachment.token == token and attachment.file_name == file_name:
                return Response(
                    attachment.content, content_type=attachment.content_type
                )
        raise _HttpError(404, "RecordNotFound", "Not found")


def _json_response(status: int, payload: Any) -> Response:
    return Response(
        json.dumps(payload),
        status=status,
        content_type="application/json; charset=utf-8",
    )


@pytest.fixture
def fake_zendesk() -> Iterator[FakeZendesk]:
    """Running `FakeZendesk`, stopped after the test."""
    with FakeZendesk() as server:
        yield server


@pytest.fixture
def fake_zendesk_client(
    fake_zendesk: FakeZendesk, monkeypatch: pytest.MonkeyPatch
) -> Zenpy:
    """Real zenpy client whose requests go to the `fake_zendesk` server."""
    for name, value in fake_zendesk.zenpy_env().items():
        monkeypatch.setenv(name, value)
    return Zenpy(subdomain=TEST_SUBDOMAIN, email=TEST_EMAIL, token=TEST_TOKEN)
