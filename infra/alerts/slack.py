"""Slack alert channel: Block Kit messages, case buttons and their callbacks.

`SlackChannel` posts an alert with `chat.postMessage` and replaces it later
with `chat.update`. `blocks_for` renders an alert as Block Kit blocks within
Slack's limits. When a manager presses a case button, Slack posts a signed,
form-encoded `block_actions` payload: `verify_request` checks the signature
over the raw body and `parse_interaction` turns the payload into
`ButtonPress` records for the disposal code.

Alerts arrive masked. This module sends masked lines as `plain_text`, so
Slack shows `<!channel>` or `*bold*` written by an agent as typed instead of
acting on it.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web import SlackResponse

from infra.alerts import (
    CASE_ACTIONS,
    DAILY_DIGEST,
    WEEKLY_SUMMARY,
    Alert,
    Delivery,
    Recipient,
)

logger = logging.getLogger(__name__)

SLACK_API_URL = "https://slack.com/api/"
SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
#: Action ids of the case buttons are this prefix and the status they set.
ACTION_PREFIX = "redline_case_"
#: Action id of the button that opens `Alert.link`. Slack reports its presses
#: too, and `parse_interaction` ignores them.
LINK_ACTION_ID = "redline_open_link"
#: Longest Retry-After, in seconds, that `SlackChannel` waits out before one
#: retry. A longer wait fails the delivery with `ratelimited` instead, so a
#: rate-limited workspace does not stall the worker, and the caller retries
#: later.
MAX_RETRY_WAIT = 5.0
#: Timeout in seconds of each Web API request made by `web_client`.
REQUEST_TIMEOUT = 10

# Block Kit limits, from the Block Kit reference on docs.slack.dev: lengths
# are in characters.
MAX_BLOCKS = 50
MAX_HEADER_TEXT = 150
MAX_TEXT_OBJECT = 3000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_BUTTON_URL = 3000
MAX_CONTEXT_ELEMENTS = 10
# NOTE: Slack rejects a message with msg_blocks_too_long when its blocks
# contain roughly 13,000 characters in total. The limit is undocumented and
# the figure an estimate, so this total leaves a margin below it.
MAX_BLOCKS_TEXT = 12_000
#: Characters of masked lines one message shows at most.
MAX_LINES_TEXT = 10_000
# Characters kept free for the note that counts the lines left out.
_NOTE_RESERVE = 40
# Slack truncates a message's `text` at 40,000 characters, so a one-line
# summary of at most this length is safe.
MAX_FALLBACK_TEXT = 500

ELLIPSIS = "\u2026"
DIGEST_KINDS = frozenset({DAILY_DIGEST, WEEKLY_SUMMARY})
CLOSED_STATUSES = frozenset({"resolved", "false_positive"})
# Resolve is the primary action of a case.
_BUTTON_STYLES = {"resolved": "primary"}
_NOT_A_LEAK_CONFIRM = {
    "title": {"type": "plain_text", "text": "Close as not a leak?"},
    "text": {
        "type": "plain_text",
        "text": (
            "The case closes as a false positive and counts against the "
            "rule that raised it."
        ),
    },
    "confirm": {"type": "plain_text", "text": "Not a leak"},
    "deny": {"type": "plain_text", "text": "Cancel"},
}
# Slack error codes are short snake_case words such as channel_not_found.
_ERROR_CODE = re.compile(r"[a-z0-9_]{1,64}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SECONDS = re.compile(r"[0-9]{1,6}")


# -- sending -----------------------------------------------------------


def web_client(
    token: str, *, base_url: str = SLACK_API_URL, timeout: int = REQUEST_TIMEOUT
) -> WebClient:
    """Build a `WebClient` for `SlackChannel` that keeps request bodies out of logs.

    slack-sdk 3.48 logs every request's JSON body at DEBUG level through the
    client's logger. This client gets a logger of its own, set to INFO, so a
    DEBUG root logger does not copy alert text into the log.
    """
    sdk_logger = logging.getLogger(f"{__name__}.sdk")
    sdk_logger.setLevel(logging.INFO)

    return WebClient(token=token, base_url=base_url, timeout=timeout, logger=sdk_logger)


class SlackChannel:
    """Alert channel that posts Block Kit messages through the Slack Web API.

    A recipient's `slack` address is a channel id or a user id. For a user
    id, Slack posts to the app's direct message with that user. The client
    gets slack-sdk's retry handlers: one retry after a connection error, and
    one after HTTP 429 when Retry-After is at most `max_retry_wait` seconds.
    """

    name = "slack"

    def __init__(
        self, client: WebClient, *, max_retry_wait: float = MAX_RETRY_WAIT
    ) -> None:
        self.client = client
        _install_retry_handlers(client, max_retry_wait)

    def send(self, alert: Alert, recipients: Sequence[Recipient]) -> list[Delivery]:
        """Post `alert` once to each distinct Slack address among `recipients`."""
        blocks = blocks_for(alert)
        text = fallback_text(alert)
        targets = dict.fromkeys(r.slack for r in recipients if r.slack)

        return [self._post(alert, target, text, blocks) for target in targets]

    def update(self, ref: str, alert: Alert) -> Delivery | None:
        """Replace the message `ref` ("channel id:message ts") with `alert`."""
        channel, _, ts = ref.partition(":")
        if not channel or not ts:
            logger.warning(
                "slack update skipped: invalid message ref for %s", alert.key
            )
            return Delivery(channel=self.name, target=channel, error="invalid_ref")

        started = time.monotonic()
        try:
            response = self.client.chat_update(
                channel=channel,
                ts=ts,
                text=fallback_text(alert),
                blocks=blocks_for(alert),
            )
        except (
            SlackClientError,
            OSError,
            http.client.HTTPException,
            ValueError,
        ) as error:
            return self._failed("update", alert, channel, error, started)

        return self._sent("update", alert, channel, response, started)

    def _post(
        self, alert: Alert, target: str, text: str, blocks: list[dict[str, Any]]
    ) -> Delivery:
        started = time.monotonic()
        try:
            response = self.client.chat_postMessage(
                channel=target,
                text=text,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except (
            SlackClientError,
            OSError,
            http.client.HTTPException,
            ValueError,
        ) as error:
            return self._failed("send", alert, target, error, started)

        return self._sent("send", alert, target, response, started)

    def _sent(
        self,
        event: str,
        alert: Alert,
        target: str,
        response: SlackResponse,
        started: float,
    ) -> Delivery:
        channel = response.get("channel")
        ts = response.get("ts")
        elapsed_ms = (time.monotonic() - started) * 1000
        if not isinstance(channel, str) or not isinstance(ts, str):
            logger.warning(
                "slack %s %s to %s: response has no channel or ts (%.0f ms)",
                event,
                alert.key,
                target,
                elapsed_ms,
            )
            return Delivery(channel=self.name, target=target, error="invalid_response")

        logger.info(
            "slack %s %s to %s: ok (%.0f ms)", event, alert.key, target, elapsed_ms
        )
        return Delivery(channel=self.name, target=target, ref=f"{channel}:{ts}")

    def _failed(
        self,
        event: str,
        alert: Alert,
        target: str,
        error: Exception,
        started: float,
    ) -> Delivery:
        code = _error_code(error)
        logger.warning(
            "slack %s %s to %s: failed with %s (%.0f ms)",
            event,
            alert.key,
            target,
            code,
            (time.monotonic() - started) * 1000,
        )
        return Delivery(channel=self.name, target=target, error=code)


def _error_code(error: Exception) -> str:
    """Return Slack's error code for `error`, or a local code naming the failure.

    Only a snake_case code is passed on: the text of an error, or a body
    that is not JSON, never reaches the delivery record.
    """
    if isinstance(error, SlackApiError):
        response = error.response
        code = response.get("error") if isinstance(response.data, dict) else None
        if isinstance(code, str) and _ERROR_CODE.fullmatch(code):
            return code
        return f"http_{response.status_code}"
    if isinstance(error, TimeoutError):
        return "timed_out"
    if isinstance(error, OSError | http.client.HTTPException):
        return "connection_failed"
    return "request_failed"


class _BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack-sdk's 429 handler, limited to Retry-After values of `max_wait` s."""

    def __init__(self, max_wait: float) -> None:
        super().__init__(max_retry_count=1)
        self.max_wait = max_wait

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = _retry_after(response)

        return wait is not None and wait <= self.max_wait


def _retry_after(response: HttpResponse) -> int | None:
    """Return the Retry-After seconds of `response`: 1 when absent, None if invalid.

    slack-sdk waits one second when the header is missing, and fails on a
    value that is not an integer, so such a value gets no retry here.
    """
    for name, values in response.headers.items():
        if name.lower() != "retry-after":
            continue
        value = values[0] if isinstance(values, list) and values else values
        if isinstance(value, str) and _SECONDS.fullmatch(value.strip()):
            return int(value.strip())
        return None

    return 1


def _install_retry_handlers(client: WebClient, max_wait: float) -> None:
    handlers = client.retry_handlers
    if not any(isinstance(h, ConnectionErrorRetryHandler) for h in handlers):
        handlers.append(ConnectionErrorRetryHandler(max_retry_count=1))
    if not any(isinstance(h, RateLimitErrorRetryHandler) for h in handlers):
        handlers.append(_BoundedRateLimitRetryHandler(max_wait))


# -- rendering ---------------------------------------------------------


def blocks_for(alert: Alert) -> list[dict[str, Any]]:
    """Render `alert` as Block Kit blocks within Slack's limits.

    The blocks are a header, the masked lines, a context line with the case,
    team, occurrences and deadline, the status line, and an actions block
    with the case buttons and the link. Lines beyond the block and character
    limits are left out, and a context block counts them.
    """
    header = _header_block(alert)
    details = _details_block(alert)
    status = _context_block([alert.status_line])
    actions = _actions_block(alert)
    fixed = [block for block in (header, details, status, actions) if block]
    # One block and a few characters stay free for the note on lines left out.
    max_sections = MAX_BLOCKS - len(fixed) - 1
    budget = min(MAX_LINES_TEXT, MAX_BLOCKS_TEXT - _text_length(fixed) - _NOTE_RESERVE)
    sections, left_out = _line_sections(alert.lines, max_sections, budget)

    blocks = [header, *sections]
    if left_out:
        noun = "line" if left_out == 1 else "lines"
        blocks.append(_note_block(f"{left_out} more {noun} not shown."))
    blocks.extend(block for block in (details, status, actions) if block)

    return blocks


def fallback_text(alert: Alert) -> str:
    """Return the one-line `text` Slack shows in notifications and to screen readers."""
    parts = [_header_text(alert)]
    if alert.deadline:
        parts.append(f"Deadline {alert.deadline}")
    if alert.status_line:
        parts.append(alert.status_line)
    text = _truncate(" | ".join(parts), MAX_FALLBACK_TEXT)

    return _escape_mrkdwn(text)


def _header_text(alert: Alert) -> str:
    title = alert.title.strip() or "Redline alert"
    if alert.severity:
        return f"[{alert.severity.upper()}] {title}"

    return title


def _header_block(alert: Alert) -> dict[str, Any]:
    return {
        "type": "header",
        "text": _plain(_truncate(_header_text(alert), MAX_HEADER_TEXT)),
    }


def _details_block(alert: Alert) -> dict[str, Any] | None:
    details = []
    if alert.case_id and alert.case_id.startswith("alert:"):
        # Cases counted into one alert: its buttons move all of them.
        details.append(f"Alert {alert.case_id.removeprefix('alert:')}")
    elif alert.case_id:
        details.append(f"Case {alert.case_id}")
    if alert.team:
        details.append(f"Team {alert.team}")
    if alert.count > 1:
        details.append(f"{alert.count} cases")
    if alert.deadline:
        details.append(f"Deadline {alert.deadline}")

    return _context_block(details)


def _context_block(texts: list[str]) -> dict[str, Any] | None:
    """Return a context block of the non-blank `texts`, or None if all are blank."""
    elements = [_plain(_truncate(t, MAX_TEXT_OBJECT)) for t in texts if t.strip()]
    if not elements:
        return None

    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]}


def _note_block(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_plain(text)]}


def _actions_block(alert: Alert) -> dict[str, Any] | None:
    buttons = [*_case_buttons(alert), *_link_buttons(alert)]

    return {"type": "actions", "elements": buttons} if buttons else None


def _case_buttons(alert: Alert) -> list[dict[str, Any]]:
    """Return the case buttons, or none for a digest or a closed case.

    The button for the status the case already has is left out.
    """
    if not alert.actions or alert.kind in DIGEST_KINDS:
        return []
    if alert.status in CLOSED_STATUSES:
        return []
    if not alert.case_id or len(alert.case_id) > MAX_BUTTON_VALUE:
        logger.warning("slack alert %s: no case id fits a button", alert.key)
        return []

    buttons = []
    for status, label in CASE_ACTIONS.items():
        if status == alert.status:
            continue
        button: dict[str, Any] = {
            "type": "button",
            "text": _plain(_truncate(label, MAX_BUTTON_TEXT)),
            "action_id": f"{ACTION_PREFIX}{status}",
            "value": alert.case_id,
        }
        if status in _BUTTON_STYLES:
            button["style"] = _BUTTON_STYLES[status]
        if status == "false_positive":
            button["confirm"] = _NOT_A_LEAK_CONFIRM
        buttons.append(button)

    return buttons


def _link_buttons(alert: Alert) -> list[dict[str, Any]]:
    link = alert.link or ""
    if not link:
        return []
    if not link.startswith(("https://", "http://")) or len(link) > MAX_BUTTON_URL:
        logger.warning(
            "slack alert %s: link is not an http(s) URL that fits", alert.key
        )
        return []

    return [
        {
            "type": "button",
            "text": _plain("Open case" if alert.case_id else "Open"),
            "action_id": LINK_ACTION_ID,
            "url": link,
        }
    ]


def _line_sections(
    lines: Sequence[str], max_sections: int, budget: int
) -> tuple[list[dict[str, Any]], int]:
    """Pack `lines` into at most `max_sections` section blocks.

    Return the sections and how many lines did not fit. A line longer than
    a section is truncated, and the lines together, with their line breaks,
    stay within `budget` characters.
    """
    chunks: list[str] = []
    included = 0
    for raw in lines:
        line = _truncate(raw, MAX_TEXT_OBJECT)
        if len(line) > budget:
            break
        if chunks and len(chunks[-1]) + 1 + len(line) <= MAX_TEXT_OBJECT:
            chunks[-1] += "\n" + line
        elif len(chunks) < max_sections:
            chunks.append(line)
        else:
            break
        budget -= len(line) + 1
        included += 1

    sections = [
        {"type": "section", "text": _plain(chunk)} for chunk in chunks if chunk.strip()
    ]
    return sections, len(lines) - included


def _text_length(node: Any) -> int:
    """Count the characters of every text object in a block or list of blocks."""
    if isinstance(node, list):
        return sum(_text_length(item) for item in node)
    if not isinstance(node, dict):
        return 0
    if node.get("type") in ("plain_text", "mrkdwn"):
        return len(node.get("text", ""))

    return sum(_text_length(value) for value in node.values())


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": False}


def _truncate(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text

    return text[: limit - 1] + ELLIPSIS


def _escape_mrkdwn(text: str) -> str:
    # Slack reads <...> in message text as links and mentions.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- interactions ------------------------------------------------------


@dataclass(frozen=True)
class ButtonPress:
    """A press of one case button, read from a `block_actions` payload.

    `status` is a key of `CASE_ACTIONS`. `channel_id` and `message_ts`
    name the message to update with `chat.update`, and `response_url` is
    where Slack accepts a replacement message without a token.
    """

    case_id: str
    status: str
    user_id: str
    user_name: str
    channel_id: str
    message_ts: str
    response_url: str


class _FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def verify_request(
    signing_secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float | None = None,
) -> bool:
    """Check Slack's signature of `body` with the app's signing secret.

    Return False when a header is missing or malformed, the timestamp is
    more than 5 minutes from `now` (epoch seconds, default the current
    time) in either direction, or the signature does not match the raw
    body. slack-sdk's `SignatureVerifier` computes the HMAC and compares it
    in constant time. Raise `ValueError` when `signing_secret` is empty:
    that is a setup error, not a bad request.
    """
    if not signing_secret.strip():
        raise ValueError(
            "the Slack signing secret is empty; copy it from the app's "
            "Basic Information page into the configuration"
        )
    lowered = {name.lower(): value for name, value in headers.items()}
    timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    signature = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not timestamp or not signature:
        logger.info("slack request rejected: signature headers missing")
        return False
    if not _TIMESTAMP.fullmatch(timestamp) or not signature.isascii():
        logger.info("slack request rejected: signature headers malformed")
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        logger.info("slack request rejected: body is not UTF-8")
        return False

    clock = Clock() if now is None else _FixedClock(now)
    verifier = SignatureVerifier(signing_secret, clock=clock)
    valid = verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
    if not valid:
        logger.info("slack request rejected: stale timestamp or wrong signature")

    return valid


def parse_interaction(body: bytes) -> list[ButtonPress]:
    """Read the case button presses from a form-encoded interaction body.

    Return an empty list for other interaction types and for actions that
    are not case buttons, such as the link button. Raise `ValueError`,
    naming the field, when the body or a field the presses need is
    malformed or missing, or when an action id names an unknown status.
    Call `verify_request` first: nothing here is authenticated.
    """
    payload = _load_payload(body)
    if payload.get("type") != "block_actions":
        return []
    actions = payload.get("actions")
    if not isinstance(actions, list):
        raise ValueError("Slack payload field 'actions' is missing or not a list")
    ours = [
        action
        for action in actions
        if isinstance(action, dict)
        and str(action.get("action_id", "")).startswith(ACTION_PREFIX)
    ]
    if not ours:
        return []

    user = _field(payload, "user", dict)
    container = payload.get("container")
    container = container if isinstance(container, dict) else {}
    context = {
        "user_id": _field(user, "id", str, "user.id"),
        "user_name": _first_text(user, "username", "name"),
        "channel_id": _nested_text(payload, "channel", "id")
        or _first_text(container, "channel_id"),
        "message_ts": _nested_text(payload, "message", "ts")
        or _first_text(container, "message_ts"),
        "response_url": _field(payload, "response_url", str),
    }
    for name in ("channel_id", "message_ts"):
        if not context[name]:
            raise ValueError(
                f"Slack payload has no {name.replace('_', ' ')}; expected "
                "'channel.id' and 'message.ts' or the container's fields"
            )

    return [_button_press(action, context) for action in ours]


def _button_press(action: dict[str, Any], context: dict[str, str]) -> ButtonPress:
    action_id = str(action["action_id"])
    status = action_id.removeprefix(ACTION_PREFIX)
    if status not in CASE_ACTIONS:
        raise ValueError(
            f"Slack action id {action_id[:80]!r} names an unknown case status; "
            f"expected one of {', '.join(CASE_ACTIONS)}"
        )
    case_id = action.get("value")
    if not isinstance(case_id, str) or not case_id.strip():
        raise ValueError(
            f"Slack action {action_id!r} has no case id in 'value'; "
            "expected the id the button was sent with"
        )
    if len(case_id) > MAX_BUTTON_VALUE or not case_id.isprintable():
        raise ValueError(
            f"Slack action {action_id!r} has an invalid case id in 'value'; "
            f"expected printable text of at most {MAX_BUTTON_VALUE} characters"
        )

    return ButtonPress(case_id=case_id, status=status, **context)


def _load_payload(body: bytes) -> dict[str, Any]:
    try:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise ValueError("Slack interaction body is not UTF-8") from None
    values = form.get("payload")
    if not values:
        raise ValueError(
            "Slack interaction body has no 'payload' field; expected "
            "application/x-www-form-urlencoded with payload=<JSON>"
        )
    if len(values) > 1:
        raise ValueError("Slack interaction body has more than one 'payload' field")
    try:
        payload = json.loads(values[0])
    except (ValueError, RecursionError):
        raise ValueError("Slack interaction 'payload' is not valid JSON") from None
    if not isinstance(payload, dict):
        raise ValueError("Slack interaction 'payload' is not a JSON object")

    return payload


def _field(
    source: dict[str, Any], key: str, kind: type, label: str | None = None
) -> Any:
    value = source.get(key)
    if not isinstance(value, kind) or not value:
        expected = "an object" if kind is dict else "a non-empty string"
        raise ValueError(
            f"Slack payload field {label or key!r} is missing; expected {expected}"
        )

    return value


def _first_text(source: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = source.get(key)
        if isinstance(value, str) and value:
            return value

    return ""


def _nested_text(source: dict[str, Any], key: str, inner: str) -> str:
    value = source.get(key)

    return _first_text(value, inner) if isinstance(value, dict) else ""
