"""Local fake of the Slack Web API methods that Redline's alerts use.

`FakeSlack` serves `chat.postMessage` and `chat.update` under `/api/` over
real HTTP on 127.0.0.1. Like Slack, it accepts JSON or form-encoded
arguments, checks the `Authorization: Bearer` token, answers API errors with
HTTP 200 and `{"ok": false, "error": ...}`, and returns HTTP 429 with
Retry-After for a rate limit. It records every call, keeps the messages it
posted, and checks blocks against the Block Kit limits Redline relies on.

Point slack-sdk at it with `WebClient(token=TEST_TOKEN, base_url=fake.url)`.
The pytest fixture `fake_slack` is defined at the end of this module.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest
from werkzeug.wrappers import Request, Response

from tests.fakes.local_server import LocalServer

JsonDict = dict[str, Any]

#: Settings the fake accepts unless a test passes others.
TEST_TOKEN = "xoxb-fake-token-for-tests"
TEST_CHANNEL = "C0FAKEALERTS"
TEST_USER = "U0FAKEMANAGER"

_PREFIX = "/api/"
_METHODS = ("chat.postMessage", "chat.update")
# Block Kit limits checked by the fake, in characters.
_MAX_BLOCKS = 50
_MAX_ACTIONS_ELEMENTS = 25
_MAX_CONTEXT_ELEMENTS = 10
_TEXT_LIMITS = {"header": 150, "section": 3000, "context": 3000}
_BUTTON_LIMITS = {"text": 75, "action_id": 255, "value": 2000, "url": 3000}
_CONFIRM_LIMITS = {"title": 100, "text": 300, "confirm": 30, "deny": 30}
# NOTE: Slack rejects blocks that contain about 13,000 characters in total
# with msg_blocks_too_long. The figure is undocumented, so the fake uses the
# lowest total reported.
_MAX_BLOCKS_TEXT = 13_000
# Every ts the fake issues is this second plus a counter in microseconds.
_TS_SECOND = 1_772_440_200


@dataclass
class RecordedCall:
    """One HTTP request received by the fake, with the response it sent."""

    method: str
    http_method: str
    headers: dict[str, str]
    content_type: str
    body: bytes
    #: Arguments parsed from JSON or the form, with form `blocks` decoded.
    args: JsonDict = field(default_factory=dict)
    status: int = 200
    #: Slack error code sent back, empty when the call succeeded.
    error: str = ""
    injected_fault: bool = False


@dataclass
class FaultRule:
    """Pending injected failure created by `fail_next` or `rate_limit_next`."""

    method: str
    error: str
    remaining: int
    http_status: int = 200
    #: Retry-After header value; None sends no header.
    retry_after: int | str | None = None
    hits: int = 0


@dataclass
class PostedMessage:
    """A message as the fake stores it after chat.postMessage or chat.update."""

    channel: str
    ts: str
    text: str
    blocks: list[JsonDict]
    updates: int = 0


class _ApiError(Exception):
    def __init__(self, error: str, detail: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.detail = detail


class FakeSlack(LocalServer):
    """Slack Web API fake for one workspace and bot token, on 127.0.0.1.

    State sits behind one re-entrant lock, so tests may call the Python
    methods while the server thread handles requests.
    """

    def __init__(self, token: str = TEST_TOKEN) -> None:
        super().__init__()
        self.token = token
        #: Channel ids that accept messages.
        self.channels: set[str] = {TEST_CHANNEL}
        #: User ids that accept direct messages, posted to `dm_channel(user)`.
        self.users: set[str] = {TEST_USER}
        self._lock = threading.RLock()
        self._calls: list[RecordedCall] = []
        self._faults: list[FaultRule] = []
        self._messages: dict[tuple[str, str], PostedMessage] = {}
        self._next_ts = 100

    # -- addresses -------------------------------------------------------

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT/api/`, the `base_url` for slack-sdk."""
        return f"http://127.0.0.1:{self.port}{_PREFIX}"

    # -- seeding and faults ----------------------------------------------

    def add_channels(self, *channel_ids: str) -> None:
        with self._lock:
            self.channels.update(channel_ids)

    def add_users(self, *user_ids: str) -> None:
        with self._lock:
            self.users.update(user_ids)

    @staticmethod
    def dm_channel(user_id: str) -> str:
        """Return the direct-message channel id the fake uses for `user_id`."""
        return "D" + user_id[1:]

    def fail_next(self, method: str, error: str, times: int = 1) -> FaultRule:
        """Fail the next `times` calls to `method` with `{"ok": false}` and `error`."""
        return self._add_fault(FaultRule(method, error, times))

    def rate_limit_next(
        self, method: str, retry_after: int | str | None = 1, times: int = 1
    ) -> FaultRule:
        """Rate-limit the next `times` calls to `method`: HTTP 429 and Retry-After."""
        rule = FaultRule(method, "ratelimited", times, 429, retry_after)
        return self._add_fault(rule)

    def _add_fault(self, rule: FaultRule) -> FaultRule:
        if rule.remaining < 1:
            raise ValueError("times must be at least 1")
        if rule.method not in _METHODS:
            raise ValueError(
                f"unknown method {rule.method!r}; expected one of {_METHODS}"
            )
        with self._lock:
            self._faults.append(rule)
        return rule

    # -- inspecting state ------------------------------------------------

    @property
    def calls(self) -> list[RecordedCall]:
        """Copy of all recorded calls, oldest first."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[RecordedCall]:
        with self._lock:
            return [call for call in self._calls if call.method == method]

    def message(self, channel: str, ts: str) -> PostedMessage:
        """Return the stored message, or raise KeyError if the fake has none."""
        with self._lock:
            return self._messages[(channel, ts)]

    @property
    def messages(self) -> list[PostedMessage]:
        with self._lock:
            return list(self._messages.values())

    # -- internals: HTTP -------------------------------------------------

    def _wsgi_app(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        recorded = RecordedCall(
            method=request.path.removeprefix(_PREFIX),
            http_method=request.method,
            headers=dict(request.headers.items()),
            content_type=request.mimetype,
            body=request.get_data(cache=True),
        )
        with self._lock:
            self._calls.append(recorded)
            if not request.path.startswith(_PREFIX) or recorded.method not in _METHODS:
                recorded.status = 404
                recorded.error = "unknown_method"
                return _json({"ok": False, "error": "unknown_method"}, status=404)
            fault = self._take_fault(recorded.method)
            if fault is not None:
                recorded.injected_fault = True
                recorded.status = fault.http_status
                recorded.error = fault.error
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after)
                reply = {"ok": False, "error": fault.error}
                return _json(reply, status=fault.http_status, headers=headers)
            try:
                return self._route(request, recorded)
            except _ApiError as error:
                recorded.error = error.error
                reply = {"ok": False, "error": error.error}
                if error.detail:
                    reply["errors"] = [error.detail]
                return _json(reply)

    def _take_fault(self, method: str) -> FaultRule | None:
        for rule in self._faults:
            if rule.remaining > 0 and rule.method == method:
                rule.remaining -= 1
                rule.hits += 1
                return rule
        return None

    def _route(self, request: Request, recorded: RecordedCall) -> Response:
        if request.method != "POST":
            raise _ApiError("invalid_request", "use POST")
        self._check_token(request)
        recorded.args = _parse_args(request)
        if recorded.method == "chat.postMessage":
            return self._post_message(recorded.args)
        return self._update(recorded.args)

    def _check_token(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        if not header:
            raise _ApiError("not_authed")
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or token != self.token:
            raise _ApiError("invalid_auth")

    def _post_message(self, args: JsonDict) -> Response:
        target = args.get("channel")
        if not isinstance(target, str) or not target:
            raise _ApiError("channel_not_found")
        text, blocks = _content(args)
        if target in self.channels:
            channel = target
        elif target in self.users:
            channel = self.dm_channel(target)
        elif target.startswith("D") and "U" + target[1:] in self.users:
            channel = target
        else:
            raise _ApiError("channel_not_found")

        ts = f"{_TS_SECOND}.{self._next_ts:06d}"
        self._next_ts += 100
        message = PostedMessage(channel, ts, text, blocks)
        self._messages[(channel, ts)] = message
        return _json(
            {"ok": True, "channel": channel, "ts": ts, "message": _view(message)}
        )

    def _update(self, args: JsonDict) -> Response:
        channel = args.get("channel")
        ts = args.get("ts")
        if not isinstance(channel, str) or not channel:
            raise _ApiError("channel_not_found")
        if not isinstance(ts, str) or not ts:
            raise _ApiError("message_not_found")
        # For a direct message, chat.update needs the D... id, not the user id.
        known = self.channels | {self.dm_channel(user) for user in self.users}
        if channel not in known:
            raise _ApiError("channel_not_found")
        message = self._messages.get((channel, ts))
        if message is None:
            raise _ApiError("message_not_found")
        text, blocks = _content(args)

        message.text = text
        message.blocks = blocks
        message.updates += 1
        reply = {"ok": True, "channel": channel, "ts": ts, "text": text}
        reply["message"] = _view(message)
        return _json(reply)


def _parse_args(request: Request) -> JsonDict:
    body = request.get_data(cache=True)
    if request.mimetype == "application/json":
        try:
            args = json.loads(body)
        except ValueError:
            raise _ApiError("invalid_json") from None
        if not isinstance(args, dict):
            raise _ApiError("invalid_json")
        return args
    if request.mimetype == "application/x-www-form-urlencoded":
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8")).items()}
        if "blocks" in form:
            try:
                form["blocks"] = json.loads(form["blocks"])
            except ValueError:
                raise _ApiError("invalid_blocks_format") from None
        return dict(form)
    raise _ApiError("invalid_form_data", f"unsupported content type {request.mimetype}")


def _content(args: JsonDict) -> tuple[str, list[JsonDict]]:
    text = args.get("text") or ""
    blocks = args.get("blocks") or []
    if not isinstance(text, str):
        raise _ApiError("invalid_arguments", "text must be a string")
    if not text and not blocks:
        raise _ApiError("no_text")
    _check_blocks(blocks)
    return text, blocks


def _check_blocks(blocks: Any) -> None:
    """Raise `invalid_blocks` or `msg_blocks_too_long` as Slack would."""
    if not isinstance(blocks, list) or len(blocks) > _MAX_BLOCKS:
        raise _ApiError(
            "invalid_blocks", f"blocks must be a list of at most {_MAX_BLOCKS}"
        )
    total = 0
    for index, block in enumerate(blocks):
        pointer = f"/blocks/{index}"
        if not isinstance(block, dict):
            raise _ApiError("invalid_blocks", f"{pointer} is not an object")
        kind = block.get("type")
        if kind in ("header", "section"):
            total += _check_text(
                block.get("text"), _TEXT_LIMITS[kind], f"{pointer}/text"
            )
        elif kind == "context":
            elements = block.get("elements")
            if (
                not isinstance(elements, list)
                or not 1 <= len(elements) <= _MAX_CONTEXT_ELEMENTS
            ):
                raise _ApiError("invalid_blocks", f"{pointer}/elements count")
            for n, element in enumerate(elements):
                total += _check_text(
                    element, _TEXT_LIMITS["context"], f"{pointer}/elements/{n}"
                )
        elif kind == "actions":
            total += _check_actions(block.get("elements"), pointer)
        elif kind != "divider":
            raise _ApiError(
                "invalid_blocks", f"{pointer} has unsupported type {kind!r}"
            )
    if total > _MAX_BLOCKS_TEXT:
        raise _ApiError("msg_blocks_too_long")


def _check_text(obj: Any, limit: int, pointer: str) -> int:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        raise _ApiError("invalid_blocks", f"{pointer} is not a text object")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _ApiError("invalid_blocks", f"{pointer} is empty")
    if len(text) > limit:
        raise _ApiError(
            "invalid_blocks", f"{pointer} is longer than {limit} characters"
        )
    return len(text)


def _check_actions(elements: Any, pointer: str) -> int:
    if (
        not isinstance(elements, list)
        or not 1 <= len(elements) <= _MAX_ACTIONS_ELEMENTS
    ):
        raise _ApiError("invalid_blocks", f"{pointer}/elements count")
    total = 0
    action_ids = set()
    for n, button in enumerate(elements):
        where = f"{pointer}/elements/{n}"
        if not isinstance(button, dict) or button.get("type") != "button":
            raise _ApiError("invalid_blocks", f"{where} is not a button")
        total += _check_text(
            button.get("text"), _BUTTON_LIMITS["text"], f"{where}/text"
        )
        for key in ("action_id", "value", "url"):
            value = button.get(key)
            if value is not None and (
                not isinstance(value, str) or len(value) > _BUTTON_LIMITS[key]
            ):
                raise _ApiError("invalid_blocks", f"{where}/{key} is too long")
        if button.get("action_id") in action_ids:
            raise _ApiError("invalid_blocks", f"{where}/action_id is not unique")
        action_ids.add(button.get("action_id"))
        if button.get("style") not in (None, "primary", "danger"):
            raise _ApiError("invalid_blocks", f"{where}/style")
        confirm = button.get("confirm")
        if confirm is not None:
            if not isinstance(confirm, dict):
                raise _ApiError("invalid_blocks", f"{where}/confirm")
            for key, limit in _CONFIRM_LIMITS.items():
                _check_text(confirm.get(key), limit, f"{where}/confirm/{key}")
    return total


def _view(message: PostedMessage) -> JsonDict:
    return {
        "type": "message",
        "bot_id": "B0FAKEBOT",
        "ts": message.ts,
        "text": message.text,
        "blocks": message.blocks,
    }


def _json(
    payload: JsonDict, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(payload, ensure_ascii=False),
        status=status,
        headers=headers,
        content_type="application/json; charset=utf-8",
    )


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """Running `FakeSlack`, stopped after the test."""
    with FakeSlack() as server:
        yield server
