"""Local fake of the WeCom server API subset that Redline uses.

`FakeWeCom` serves `gettoken`, `media/get`, `message/send` and `kf/sync_msg`
under `/cgi-bin/` over real HTTP on 127.0.0.1. It records every request and
can inject WeCom error codes (such as 42001, token expired) or HTTP errors.
Like WeCom, it returns API errors with HTTP 200 and a JSON body that
contains `errcode` and `errmsg`.

Point wechatpy's client at `FakeWeCom.api_base_url`; `WeComClient` in
`adapters.wecom.api` builds every URL, gettoken and media download included,
from that base.

The pytest fixture `fake_wecom` is defined at the end of this module.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from werkzeug.wrappers import Request, Response

from tests.fakes.local_server import LocalServer

JsonDict = dict[str, Any]

#: Settings the fake accepts unless a test passes others.
TEST_CORP_ID = "wwfake0000000001"
TEST_SECRET = "fake-app-secret-for-tests"
TEST_AGENT_ID = 1000002
#: Lifetime in seconds of every token the fake issues, as WeCom reports it.
TOKEN_LIFETIME_SECONDS = 7200

_PREFIX = "/cgi-bin/"
_KF_MAX_LIMIT = 1000


@dataclass
class RecordedRequest:
    """One HTTP request received by the fake, with the errcode it was sent."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes
    json: Any
    errcode: int = 0
    status: int = 200
    injected_fault: bool = False

    @property
    def endpoint(self) -> str:
        """Path below `/cgi-bin/`, such as `message/send`."""
        return self.path.removeprefix(_PREFIX)


@dataclass
class FaultRule:
    """Pending injected failure created by `FakeWeCom.fail_next`."""

    endpoint: str
    errcode: int
    errmsg: str
    remaining: int
    http_status: int = 200
    hits: int = 0


@dataclass
class _Media:
    content: bytes
    content_type: str
    file_name: str


@dataclass
class _KfState:
    messages: list[JsonDict] = field(default_factory=list)
    # Positions where the next page is served empty with has_more 1 once.
    empty_pages_at: set[int] = field(default_factory=set)


# NOTE: the errcodes for token, credential, media id and "all recipients
# invalid" (40001, 40013, 40014, 41001, 42001, 40007, 81013) are WeCom's. The
# others here stand in for errors whose real codes were not checked.
class _ApiError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class FakeWeCom(LocalServer):
    """WeCom API fake for one corp and app, served over HTTP on 127.0.0.1.

    State sits behind one re-entrant lock, so tests may call the Python
    methods while the server thread handles requests.
    """

    def __init__(
        self,
        corp_id: str = TEST_CORP_ID,
        secret: str = TEST_SECRET,
        agent_id: int = TEST_AGENT_ID,
    ) -> None:
        super().__init__()
        self.corp_id = corp_id
        self.secret = secret
        self.agent_id = agent_id
        #: Member user ids that message/send delivers to.
        self.members: set[str] = set()
        #: Texts delivered by message/send, as (touser, content).
        self.sent: list[tuple[str, str]] = []
        #: kf page size; smaller than the requested limit forces more pages.
        self.kf_page_size = _KF_MAX_LIMIT
        self._lock = threading.RLock()
        self._valid_tokens: set[str] = set()
        self._expired_tokens: set[str] = set()
        self._next_token = 1
        self._media: dict[str, _Media] = {}
        self._kf: dict[str, _KfState] = {}
        self._requests: list[RecordedRequest] = []
        self._faults: list[FaultRule] = []

    # -- addresses -------------------------------------------------------

    @property
    def api_base_url(self) -> str:
        """`http://127.0.0.1:PORT/cgi-bin/`, the base URL for the client."""
        return f"http://127.0.0.1:{self.port}{_PREFIX}"

    # -- seeding state ---------------------------------------------------

    def add_members(self, *user_ids: str) -> None:
        with self._lock:
            self.members.update(user_ids)

    def add_media(
        self,
        media_id: str,
        content: bytes,
        content_type: str = "image/jpeg",
        file_name: str = "image.jpg",
    ) -> None:
        with self._lock:
            self._media[media_id] = _Media(content, content_type, file_name)

    def add_kf_message(self, open_kfid: str, item: JsonDict) -> None:
        """Append a `msg_list` item; `open_kfid` is filled in when missing."""
        with self._lock:
            state = self._kf.setdefault(open_kfid, _KfState())
            state.messages.append({"open_kfid": open_kfid, **item})

    def add_empty_kf_page(self, open_kfid: str, position: int) -> None:
        """Serve one empty page with has_more 1 before message `position`."""
        with self._lock:
            self._kf.setdefault(open_kfid, _KfState()).empty_pages_at.add(position)

    def expire_tokens(self) -> None:
        """Make every issued token expired, so the next call gets 42001."""
        with self._lock:
            self._expired_tokens |= self._valid_tokens
            self._valid_tokens.clear()

    def fail_next(
        self,
        endpoint: str,
        errcode: int,
        errmsg: str = "injected error",
        times: int = 1,
        *,
        http_status: int = 200,
    ) -> FaultRule:
        """Answer the next `times` requests to `endpoint` with `errcode`.

        `endpoint` is the path below `/cgi-bin/`, such as `message/send`. With
        `http_status` other than 200 the fault is an HTTP error instead.
        Returns the rule, whose `hits` counts uses.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        rule = FaultRule(endpoint, errcode, errmsg, times, http_status)
        with self._lock:
            self._faults.append(rule)
        return rule

    # -- inspecting state ------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Copy of all recorded requests, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, endpoint: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self._requests if r.endpoint == endpoint]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    # -- internals: HTTP -------------------------------------------------

    def _wsgi_app(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        body = request.get_data(cache=True)
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.args),
            body=body,
            json=parsed,
        )
        with self._lock:
            self._requests.append(recorded)
            fault = self._take_fault(recorded.endpoint)
            if fault is not None:
                recorded.injected_fault = True
                recorded.errcode = fault.errcode
                recorded.status = fault.http_status
                if fault.http_status != 200:
                    return Response("injected HTTP error", status=fault.http_status)
                return _json(_error(fault.errcode, fault.errmsg))
            try:
                return self._route(request, recorded)
            except _ApiError as error:
                recorded.errcode = error.errcode
                return _json(_error(error.errcode, error.errmsg))

    def _take_fault(self, endpoint: str) -> FaultRule | None:
        for rule in self._faults:
            if rule.remaining > 0 and rule.endpoint == endpoint:
                rule.remaining -= 1
                rule.hits += 1
                return rule
        return None

    def _route(self, request: Request, recorded: RecordedRequest) -> Response:
        endpoint = recorded.endpoint
        if endpoint == "gettoken" and request.method == "GET":
            return self._gettoken(request)
        self._check_token(request)
        if endpoint == "media/get" and request.method == "GET":
            return self._media_get(request)
        if endpoint == "message/send" and request.method == "POST":
            return self._message_send(recorded.json)
        if endpoint == "kf/sync_msg" and request.method == "POST":
            return self._kf_sync(recorded.json)
        return Response("not found", status=404)

    def _gettoken(self, request: Request) -> Response:
        if request.args.get("corpid") != self.corp_id:
            raise _ApiError(40013, "invalid corpid")
        if request.args.get("corpsecret") != self.secret:
            raise _ApiError(40001, "invalid credential")
        token = f"fake-token-{self._next_token:04d}"
        self._next_token += 1
        self._valid_tokens.add(token)
        return _json(
            {
                "errcode": 0,
                "errmsg": "ok",
                "access_token": token,
                "expires_in": TOKEN_LIFETIME_SECONDS,
            }
        )

    def _check_token(self, request: Request) -> None:
        token = request.args.get("access_token")
        if not token:
            raise _ApiError(41001, "access_token missing")
        if token in self._expired_tokens:
            raise _ApiError(42001, "access_token expired")
        if token not in self._valid_tokens:
            raise _ApiError(40014, "invalid access_token")

    def _media_get(self, request: Request) -> Response:
        media = self._media.get(request.args.get("media_id", ""))
        if media is None:
            raise _ApiError(40007, "invalid media_id")
        disposition = f"attachment; filename*=UTF-8''{quote(media.file_name)}"
        return Response(
            media.content,
            content_type=media.content_type,
            headers={"Content-Disposition": disposition},
        )

    def _message_send(self, body: Any) -> Response:
        if not isinstance(body, dict) or body.get("agentid") != self.agent_id:
            raise _ApiError(40056, "invalid agentid")
        if body.get("msgtype") != "text":
            raise _ApiError(40008, "invalid message type")
        content = (body.get("text") or {}).get("content")
        if not isinstance(content, str) or not content:
            raise _ApiError(41009, "missing message content")
        users = [user for user in str(body.get("touser", "")).split("|") if user]
        delivered = [user for user in users if user in self.members]
        invalid = [user for user in users if user not in self.members]
        if not delivered:
            raise _ApiError(81013, "user & party & tag all invalid")
        self.sent.append(("|".join(delivered), content))
        reply: JsonDict = {"errcode": 0, "errmsg": "ok", "msgid": "fake-msgid"}
        if invalid:
            reply["invaliduser"] = "|".join(invalid)
        return _json(reply)

    def _kf_sync(self, body: Any) -> Response:
        if not isinstance(body, dict):
            raise _ApiError(40003, "request body is not a JSON object")
        limit = int(body.get("limit") or _KF_MAX_LIMIT)
        if not 1 <= limit <= _KF_MAX_LIMIT:
            raise _ApiError(44004, "invalid limit")
        state = self._kf.get(str(body.get("open_kfid", "")), _KfState())
        position, empty_served = _decode_cursor(str(body.get("cursor") or ""))
        if position in state.empty_pages_at and not empty_served:
            return _json(_kf_page([], _encode_cursor(position, True), True))
        size = min(limit, self.kf_page_size)
        page = state.messages[position : position + size]
        end = position + len(page)
        has_more = end < len(state.messages)
        return _json(_kf_page(page, _encode_cursor(end, False), has_more))


def _encode_cursor(position: int, empty_served: bool) -> str:
    return f"cur{position:06d}{'e' if empty_served else 'n'}"


def _decode_cursor(cursor: str) -> tuple[int, bool]:
    if not cursor:
        return 0, False
    if len(cursor) != 10 or not cursor.startswith("cur") or cursor[-1] not in "en":
        raise _ApiError(95001, "invalid cursor")
    return int(cursor[3:9]), cursor[-1] == "e"


def _kf_page(items: list[JsonDict], next_cursor: str, has_more: bool) -> JsonDict:
    return {
        "errcode": 0,
        "errmsg": "ok",
        "next_cursor": next_cursor,
        "has_more": 1 if has_more else 0,
        "msg_list": items,
    }


def _error(errcode: int, errmsg: str) -> JsonDict:
    return {"errcode": errcode, "errmsg": errmsg}


def _json(payload: JsonDict) -> Response:
    return Response(
        json.dumps(payload, ensure_ascii=False), content_type="application/json"
    )


@pytest.fixture
def fake_wecom() -> Iterator[FakeWeCom]:
    """Running `FakeWeCom`, stopped after the test."""
    with FakeWeCom() as server:
        yield server
