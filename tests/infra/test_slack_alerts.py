"""Tests of the Slack alert channel, through slack-sdk against FakeSlack."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import types
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry import builtin_handlers, handler

from infra.alerts import (
    CASE_ACTIONS,
    CASE_ALERT,
    DAILY_DIGEST,
    WEEKLY_SUMMARY,
    Alert,
    Recipient,
)
from infra.alerts.slack import (
    ACTION_PREFIX,
    LINK_ACTION_ID,
    MAX_LINES_TEXT,
    ButtonPress,
    SlackChannel,
    blocks_for,
    fallback_text,
    parse_interaction,
    verify_request,
    web_client,
)
from tests.fakes.slack_server import (
    TEST_CHANNEL,
    TEST_TOKEN,
    TEST_USER,
    FakeSlack,
    fake_slack,  # noqa: F401 - pytest fixture
)

SIGNING_SECRET = "fake-signing-secret-0123456789ab"
SIGNED_AT = 1_772_440_200
CASE_ID = "case-7f3a"
MASKED_LINE = "Agent wrote card 6222********1234 in a public reply"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def make_alert(**changes: Any) -> Alert:
    fields: dict[str, Any] = {
        "key": "alert-key-1",
        "kind": CASE_ALERT,
        "title": "Card number disclosed by agent",
        "lines": [MASKED_LINE, "Ticket 4411, agent a.chen, team Billing"],
        "severity": "high",
        "team": "Billing",
        "case_id": CASE_ID,
        "deadline": "2026-03-02 10:30 UTC",
        "link": "https://redline.example.test/cases/case-7f3a",
        "actions": True,
        "status": "open",
    }
    fields.update(changes)
    return Alert(**fields)


@pytest.fixture(autouse=True)
def network_attempts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail every name lookup except loopback, so no test can reach slack.com."""
    attempts: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in _LOOPBACK:
            attempts.append(name)
            raise socket.gaierror(socket.EAI_NONAME, f"tests may not resolve {name}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    yield attempts


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the waits of slack-sdk's retry handlers instead of sleeping."""
    recorded: list[float] = []
    fake_time = types.SimpleNamespace(sleep=recorded.append)
    monkeypatch.setattr(builtin_handlers, "time", fake_time)
    monkeypatch.setattr(handler, "time", fake_time)
    return recorded


@pytest.fixture
def channel(fake_slack: FakeSlack, sleeps: list[float]) -> SlackChannel:  # noqa: F811
    return SlackChannel(web_client(TEST_TOKEN, base_url=fake_slack.url))


def texts_of(blocks: list[dict[str, Any]]) -> list[str]:
    """Every text string in `blocks`, buttons and confirm dialogs included."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn"):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return found


def buttons_of(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        element
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def case_action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        b["action_id"]
        for b in buttons_of(blocks)
        if b["action_id"].startswith(ACTION_PREFIX)
    ]


# -- sending through the fake --------------------------------------------


def test_send_posts_to_channel_and_dm(
    channel: SlackChannel,
    fake_slack: FakeSlack,  # noqa: F811
) -> None:
    alert = make_alert()
    recipients = [
        Recipient("Alerts room", slack=TEST_CHANNEL),
        Recipient("Team manager", slack=TEST_USER, phone="+8613800000000"),
        Recipient("No Slack", wecom="wecom-user"),
        Recipient("Alerts room again", slack=TEST_CHANNEL),
    ]

    deliveries = channel.send(alert, recipients)

    assert [d.target for d in deliveries] == [TEST_CHANNEL, TEST_USER]
    assert all(d.ok and d.channel == "slack" for d in deliveries)
    dm = fake_slack.dm_channel(TEST_USER)
    assert deliveries[0].ref.startswith(f"{TEST_CHANNEL}:")
    assert deliveries[1].ref.startswith(f"{dm}:")
    calls = fake_slack.calls_to("chat.postMessage")
    assert len(calls) == 2
    for call in calls:
        assert call.headers["Authorization"] == f"Bearer {TEST_TOKEN}"
        assert call.content_type == "application/json"
        assert call.args["text"] == fallback_text(alert)
        assert call.args["blocks"] == blocks_for(alert)
        assert call.args["unfurl_links"] is False
    ts = deliveries[1].ref.split(":", 1)[1]
    assert fake_slack.message(dm, ts).blocks == blocks_for(alert)


def test_update_replaces_message_in_place(
    channel: SlackChannel,
    fake_slack: FakeSlack,  # noqa: F811
) -> None:
    [sent] = channel.send(make_alert(), [Recipient("Manager", slack=TEST_USER)])
    acknowledged = make_alert(
        status="acknowledged", status_line="Acknowledged by Li Wei at 09:41"
    )

    delivery = channel.update(sent.ref, acknowledged)

    assert delivery is not None
    assert delivery.ok
    assert delivery.ref == sent.ref
    dm, ts = sent.ref.split(":", 1)
    message = fake_slack.message(dm, ts)
    assert message.updates == 1
    assert "Acknowledged by Li Wei at 09:41" in texts_of(message.blocks)
    assert f"{ACTION_PREFIX}acknowledged" not in case_action_ids(message.blocks)
    [call] = fake_slack.calls_to("chat.update")
    assert call.args["channel"] == dm
    assert call.args["ts"] == ts


def test_update_rejects_malformed_ref(
    channel: SlackChannel,
    fake_slack: FakeSlack,  # noqa: F811
) -> None:
    delivery = channel.update("no-separator", make_alert())

    assert delivery is not None
    assert delivery.error == "invalid_ref"
    assert fake_slack.calls == []


def test_update_unknown_message(
    channel: SlackChannel,
    fake_slack: FakeSlack,  # noqa: F811
) -> None:
    delivery = channel.update(f"{TEST_CHANNEL}:1772440200.999999", make_alert())

    assert delivery is not None
    assert delivery.error == "message_not_found"
    assert delivery.target == TEST_CHANNEL


def test_error_code_without_message_text(
    channel: SlackChannel,
    fake_slack: FakeSlack,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_slack.fail_next("chat.postMessage", "channel_not_found")
    alert = make_alert()

    [delivery] = channel.send(alert, [Recipient("Room", slack=TEST_CHANNEL)])

    assert delivery.error == "channel_not_found"
    assert delivery.ref == ""
    assert MASKED_LINE not in repr(delivery)
    assert alert.title not in repr(delivery)
    assert "channel_not_found" in caplog.text
    assert MASKED_LINE not in caplog.text
    assert alert.title not in caplog.text


def test_unknown_channel_is_error(
    channel: SlackChannel,
    fake_slack: FakeSlack,  # noqa: F811
) -> None:
    recipients = [
        Recipient("Gone", slack="C0GONE"),
        Recipient("Room", slack=TEST_CHANNEL),
    ]

    deliveries = channel.send(make_alert(), recipients)

    assert [d.error for d in deliveries] == ["channel_not_found", ""]
    assert len(fake_slack.messages) == 1


def test_wrong_token_is_invalid_auth(
    fake_slack: FakeSlack,  # noqa: F811
    sleeps: list[float],
) -> None:
    channel = SlackChannel(web_client("xoxb-wrong", base_url=fake_slack.url))

    [delivery] = channel.send(make_alert(), [Recipient("Room", slack=TEST_CHANNEL)])

    assert delivery.error == "invalid_auth"
    assert fake_slack.messages == []


def test_rate_limit_retried_after_wait(
    channel: SlackChannel,
    fake_slack: FakeSlack,  # noqa: F811
    sleeps: list[float],
) -> None:
    rule = fake_slack.rate_limit_next("chat.postMessage", retry_after=2)

    [delivery] = channel.send(make_alert(), [Recipient("Room", slack=TEST_CHANNEL)])

    assert delivery.ok
    assert rule.hits == 1
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [429, 200]
    assert len(sleeps) == 1
    # slack-sdk waits Retry-After plus up to one second of jitter.
    assert 2 <= sleeps[0] < 3
    assert len(fake_slack.messages) == 1


def test_rate_limit_twice_fails(
    channel: SlackChannel,
    fake_slack: FakeSlack,  # noqa: F811
    sleeps: list[float],
) -> None:
    fake_slack.rate_limit_next("chat.postMessage", retry_after=1, times=2)

    [delivery] = channel.send(make_alert(), [Recipient("Room", slack=TEST_CHANNEL)])

    assert delivery.error == "ratelimited"
    assert len(fake_slack.calls_to("chat.postMessage")) == 2
    assert len(sleeps) == 1


def test_long_retry_after_not_waited(
    channel: SlackChannel,
    fake_slack: FakeSlack,  # noqa: F811
    sleeps: list[float],
) -> None:
    fake_slack.rate_limit_next("chat.update", retry_after=30)
    [sent] = channel.send(make_alert(), [Recipient("Room", slack=TEST_CHANNEL)])

    delivery = channel.update(sent.ref, make_alert(status="resolved"))

    assert delivery is not None
    assert delivery.error == "ratelimited"
    assert len(fake_slack.calls_to("chat.update")) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("retry_after", "calls", "waits"), [(None, 2, 1), ("soon", 1, 0), ("\u00b2", 1, 0)]
)
def test_retry_after_header_forms(
    channel: SlackChannel,
    fake_slack: FakeSlack,  # noqa: F811
    sleeps: list[float],
    retry_after: str | None,
    calls: int,
    waits: int,
) -> None:
    fake_slack.rate_limit_next("chat.postMessage", retry_after=retry_after)

    [delivery] = channel.send(make_alert(), [Recipient("Room", slack=TEST_CHANNEL)])

    assert delivery.ok is (calls == 2)
    assert len(fake_slack.calls_to("chat.postMessage")) == calls
    assert len(sleeps) == waits


def test_existing_handlers_kept(fake_slack: FakeSlack) -> None:  # noqa: F811
    client = WebClient(token=TEST_TOKEN, base_url=fake_slack.url)
    SlackChannel(client)
    count = len(client.retry_handlers)

    SlackChannel(client)

    assert count == 2
    assert len(client.retry_handlers) == count


def test_closed_port_is_connection_failure(sleeps: list[float]) -> None:
    with FakeSlack() as stopped:
        url = stopped.url
    channel = SlackChannel(web_client(TEST_TOKEN, base_url=url))

    [delivery] = channel.send(make_alert(), [Recipient("Room", slack=TEST_CHANNEL)])

    assert delivery.error == "connection_failed"
    # One retry after the refused connection, with slack-sdk's backoff.
    assert len(sleeps) == 1


def test_no_test_reaches_slack_com(
    network_attempts: list[str], sleeps: list[float]
) -> None:
    channel = SlackChannel(web_client(TEST_TOKEN))

    [delivery] = channel.send(make_alert(), [Recipient("Room", slack=TEST_CHANNEL)])

    assert delivery.error == "connection_failed"
    assert network_attempts == ["slack.com", "slack.com"]


def test_debug_logging_keeps_bodies_out(
    channel: SlackChannel,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    [delivery] = channel.send(make_alert(), [Recipient("Room", slack=TEST_CHANNEL)])

    assert delivery.ok
    assert "alert-key-1" in caplog.text
    assert MASKED_LINE not in caplog.text


def test_large_alert_accepted_by_fake(
    channel: SlackChannel,
    fake_slack: FakeSlack,  # noqa: F811
) -> None:
    alert = make_alert(
        title="T" * 400,
        lines=[f"line {n} " + "x" * 180 for n in range(400)] + ["y" * 5000],
        status_line="s" * 4000,
    )

    [delivery] = channel.send(alert, [Recipient("Room", slack=TEST_CHANNEL)])

    assert delivery.ok, delivery.error


# -- blocks --------------------------------------------------------------


def test_case_alert_blocks() -> None:
    blocks = blocks_for(make_alert())

    assert blocks[0] == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": "[HIGH] Card number disclosed by agent",
            "emoji": False,
        },
    }
    assert blocks[1]["type"] == "section"
    assert blocks[1]["text"]["text"] == "\n".join(make_alert().lines)
    assert "Deadline 2026-03-02 10:30 UTC" in texts_of(blocks)
    assert f"Case {CASE_ID}" in texts_of(blocks)
    buttons = {b["action_id"]: b for b in buttons_of(blocks)}
    assert list(buttons) == [
        "redline_case_acknowledged",
        "redline_case_resolved",
        "redline_case_false_positive",
        LINK_ACTION_ID,
    ]
    for status, label in CASE_ACTIONS.items():
        button = buttons[f"{ACTION_PREFIX}{status}"]
        assert button["text"]["text"] == label
        assert button["value"] == CASE_ID
    assert buttons["redline_case_resolved"]["style"] == "primary"
    assert "style" not in buttons["redline_case_acknowledged"]
    assert "confirm" in buttons["redline_case_false_positive"]
    assert "confirm" not in buttons["redline_case_resolved"]
    assert buttons[LINK_ACTION_ID]["url"] == make_alert().link


def test_confirm_dialog_within_limits() -> None:
    [button] = [
        b
        for b in buttons_of(blocks_for(make_alert()))
        if b["action_id"] == "redline_case_false_positive"
    ]
    confirm = button["confirm"]

    assert len(confirm["title"]["text"]) <= 100
    assert len(confirm["text"]["text"]) <= 300
    assert len(confirm["confirm"]["text"]) <= 30
    assert len(confirm["deny"]["text"]) <= 30


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            "open",
            [
                "redline_case_acknowledged",
                "redline_case_resolved",
                "redline_case_false_positive",
            ],
        ),
        ("acknowledged", ["redline_case_resolved", "redline_case_false_positive"]),
        ("resolved", []),
        ("false_positive", []),
    ],
)
def test_buttons_follow_status(status: str, expected: list[str]) -> None:
    alert = make_alert(status=status, status_line=f"Now {status}, by Li Wei")

    blocks = blocks_for(alert)

    assert case_action_ids(blocks) == expected
    assert blocks[-2] == {
        "type": "context",
        "elements": [
            {"type": "plain_text", "text": f"Now {status}, by Li Wei", "emoji": False}
        ],
    }


@pytest.mark.parametrize("kind", [DAILY_DIGEST, WEEKLY_SUMMARY])
def test_digests_have_no_buttons(kind: str) -> None:
    alert = make_alert(kind=kind, case_id=None, severity=None, link=None)

    blocks = blocks_for(alert)

    assert buttons_of(blocks) == []
    assert blocks[0]["text"]["text"] == "Card number disclosed by agent"


def test_no_buttons_without_actions() -> None:
    blocks = blocks_for(make_alert(actions=False))

    assert case_action_ids(blocks) == []
    assert [b["action_id"] for b in buttons_of(blocks)] == [LINK_ACTION_ID]


def test_no_buttons_without_case_id() -> None:
    blocks = blocks_for(make_alert(case_id=None, link=None))

    assert buttons_of(blocks) == []
    assert all(block["type"] != "actions" for block in blocks)


@pytest.mark.parametrize(
    "link", [None, "", "javascript:alert(1)", "https://x.test/" + "a" * 3000]
)
def test_link_button_needs_http_url(link: str | None) -> None:
    blocks = blocks_for(make_alert(link=link))

    assert LINK_ACTION_ID not in [b["action_id"] for b in buttons_of(blocks)]


def test_long_texts_truncated() -> None:
    alert = make_alert(title="T" * 400, lines=["L" * 5000], status_line="S" * 4000)

    blocks = blocks_for(alert)

    header = blocks[0]["text"]["text"]
    assert len(header) == 150
    assert header.endswith("\u2026")
    section = blocks[1]["text"]["text"]
    assert len(section) == 3000
    assert section.endswith("\u2026")
    assert max(len(text) for text in texts_of(blocks)) == 3000


def test_many_lines_counted_when_left_out() -> None:
    lines = [f"line {n:03d} " + "x" * 90 for n in range(500)]

    blocks = blocks_for(make_alert(lines=lines))

    assert len(blocks) <= 50
    shown = [
        line
        for block in blocks
        if block["type"] == "section"
        for line in block["text"]["text"].split("\n")
    ]
    assert shown == lines[: len(shown)]
    assert sum(len(line) + 1 for line in shown) <= MAX_LINES_TEXT
    left_out = 500 - len(shown)
    assert left_out > 0
    assert f"{left_out} more lines not shown." in texts_of(blocks)


def test_many_short_lines_all_shown() -> None:
    lines = [f"{n}" for n in range(300)]

    blocks = blocks_for(make_alert(lines=lines))

    assert len(blocks) <= 50
    assert "more lines not shown" not in " ".join(texts_of(blocks))
    assert (
        sum(
            len(b["text"]["text"].split("\n")) for b in blocks if b["type"] == "section"
        )
        == 300
    )


def test_one_line_left_out_is_singular() -> None:
    # Three lines take 9,000 of the 10,000 characters; the fourth needs 2,000.
    lines = ["z" * 2999] * 3 + ["a" * 2000]

    blocks = blocks_for(make_alert(lines=lines))

    assert "1 more line not shown." in texts_of(blocks)


def test_blank_lines_make_no_empty_section() -> None:
    blocks = blocks_for(make_alert(lines=["", "  "], status_line=" "))

    assert [b["type"] for b in blocks] == ["header", "context", "actions"]


def test_mentions_shown_as_typed() -> None:
    alert = make_alert(
        title="<!channel> & co", lines=["<!here> call <https://evil.test|me>"]
    )

    blocks = blocks_for(alert)

    assert blocks[1]["text"] == {
        "type": "plain_text",
        "text": "<!here> call <https://evil.test|me>",
        "emoji": False,
    }
    text = fallback_text(alert)
    assert "<" not in text
    assert text.startswith("[HIGH] &lt;!channel&gt; &amp; co")


def test_fallback_text_summarises() -> None:
    alert = make_alert(status_line="Acknowledged by Li Wei")

    text = fallback_text(alert)

    assert text == (
        "[HIGH] Card number disclosed by agent | Deadline 2026-03-02 10:30 UTC"
        " | Acknowledged by Li Wei"
    )
    assert MASKED_LINE not in text


def test_empty_title_gets_default() -> None:
    blocks = blocks_for(make_alert(title="  ", severity=None))

    assert blocks[0]["text"]["text"] == "Redline alert"


def test_count_shown_when_throttled() -> None:
    blocks = blocks_for(make_alert(count=4))

    assert "4 cases" in texts_of(blocks)
    assert "1 occurrences" not in texts_of(blocks_for(make_alert()))


# -- signatures ----------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Compute Slack's v0 signature independently of slack-sdk."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: bytes, secret: str = SIGNING_SECRET, timestamp: int = SIGNED_AT
) -> dict[str, str]:
    return {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": sign(secret, str(timestamp), body),
    }


BODY = b"payload=%7B%22type%22%3A%22block_actions%22%7D"


def test_signature_good() -> None:
    assert verify_request(SIGNING_SECRET, signed_headers(BODY), BODY, now=SIGNED_AT)


def test_signature_lowercase_headers() -> None:
    headers = {k.lower(): v for k, v in signed_headers(BODY).items()}

    assert verify_request(SIGNING_SECRET, headers, BODY, now=SIGNED_AT + 10)


def test_signature_wrong_secret() -> None:
    headers = signed_headers(BODY, secret="another-secret-of-another-app")

    assert not verify_request(SIGNING_SECRET, headers, BODY, now=SIGNED_AT)


@pytest.mark.parametrize(
    ("offset", "valid"),
    [(0, True), (300, True), (301, False), (-300, True), (-301, False), (86400, False)],
)
def test_signature_window(offset: int, valid: bool) -> None:
    headers = signed_headers(BODY)

    assert (
        verify_request(SIGNING_SECRET, headers, BODY, now=SIGNED_AT + offset) is valid
    )


@pytest.mark.parametrize("missing", ["X-Slack-Request-Timestamp", "X-Slack-Signature"])
def test_signature_missing_header(missing: str) -> None:
    headers = signed_headers(BODY)
    del headers[missing]

    assert not verify_request(SIGNING_SECRET, headers, BODY, now=SIGNED_AT)


def test_signature_tampered_body() -> None:
    tampered = BODY.replace(b"block_actions", b"block_actionz")

    assert not verify_request(
        SIGNING_SECRET, signed_headers(BODY), tampered, now=SIGNED_AT
    )


@pytest.mark.parametrize(
    "timestamp", ["", "abc", "1_772_440_200", " 1772440200", "+1772440200", "1e9"]
)
def test_signature_malformed_timestamp(timestamp: str) -> None:
    headers = {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(SIGNING_SECRET, timestamp, BODY),
    }

    assert not verify_request(SIGNING_SECRET, headers, BODY, now=SIGNED_AT)


@pytest.mark.parametrize(
    "signature", ["", "v0=", "v1=" + "0" * 64, "v0=\u00e9" + "0" * 63]
)
def test_signature_malformed_value(signature: str) -> None:
    headers = signed_headers(BODY)
    headers["X-Slack-Signature"] = signature

    assert not verify_request(SIGNING_SECRET, headers, BODY, now=SIGNED_AT)


def test_signature_body_not_utf8() -> None:
    body = b"payload=\xff\xfe"

    assert not verify_request(SIGNING_SECRET, signed_headers(body), body, now=SIGNED_AT)


def test_signature_empty_secret_raises() -> None:
    with pytest.raises(ValueError, match="signing secret is empty"):
        verify_request("  ", signed_headers(BODY), BODY, now=SIGNED_AT)


def test_signature_uses_current_time() -> None:
    # Signed long ago: only a clock at the signing time would accept it.
    assert not verify_request(SIGNING_SECRET, signed_headers(BODY, timestamp=10), BODY)


# -- interactions --------------------------------------------------------


def interaction(
    actions: list[dict[str, Any]] | None = None, **changes: Any
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {
            "id": "U0FAKEMANAGER",
            "username": "li.wei",
            "name": "li.wei",
            "team_id": "T0FAKE",
        },
        "api_app_id": "A0FAKE",
        "container": {
            "type": "message",
            "message_ts": "1772440200.000100",
            "channel_id": "D0FAKEMANAGER",
            "is_ephemeral": False,
        },
        "trigger_id": "1.2.fake",
        "team": {"id": "T0FAKE", "domain": "redline-test"},
        "channel": {"id": "D0FAKEMANAGER", "name": "directmessage"},
        "message": {
            "type": "message",
            "ts": "1772440200.000100",
            "text": MASKED_LINE,
        },
        "response_url": "https://hooks.slack.test/actions/T0FAKE/1/fake",
        "actions": actions
        if actions is not None
        else [
            {
                "type": "button",
                "action_id": "redline_case_acknowledged",
                "block_id": "b1",
                "text": {"type": "plain_text", "text": "Acknowledge"},
                "value": CASE_ID,
                "action_ts": "1772440260.000200",
            }
        ],
    }
    payload.update(changes)
    return payload


def form(payload: Any) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def test_parse_button_press() -> None:
    presses = parse_interaction(form(interaction()))

    assert presses == [
        ButtonPress(
            case_id=CASE_ID,
            status="acknowledged",
            user_id="U0FAKEMANAGER",
            user_name="li.wei",
            channel_id="D0FAKEMANAGER",
            message_ts="1772440200.000100",
            response_url="https://hooks.slack.test/actions/T0FAKE/1/fake",
        )
    ]


def test_parse_uses_container_fallback() -> None:
    payload = interaction()
    del payload["channel"]
    del payload["message"]
    payload["user"] = {"id": "U0FAKEMANAGER", "name": "Li Wei"}

    [press] = parse_interaction(form(payload))

    assert press.channel_id == "D0FAKEMANAGER"
    assert press.message_ts == "1772440200.000100"
    assert press.user_name == "Li Wei"


def test_parse_ignores_foreign_actions() -> None:
    link = {"type": "button", "action_id": LINK_ACTION_ID, "url": "https://x.test"}
    other = {"type": "button", "action_id": "deploy_approve", "value": "v1"}
    ours = {"type": "button", "action_id": "redline_case_resolved", "value": CASE_ID}

    assert parse_interaction(form(interaction([link, other]))) == []
    [press] = parse_interaction(form(interaction([link, ours, other])))
    assert press.status == "resolved"


def test_parse_ignores_other_payload_types() -> None:
    payload = {"type": "view_submission", "user": {"id": "U1"}}

    assert parse_interaction(form(payload)) == []


def test_round_trip_from_posted_buttons(
    channel: SlackChannel,
    fake_slack: FakeSlack,  # noqa: F811
) -> None:
    [sent] = channel.send(make_alert(), [Recipient("Room", slack=TEST_CHANNEL)])
    room, ts = sent.ref.split(":", 1)
    posted = fake_slack.message(room, ts)
    [button] = [
        b
        for b in buttons_of(posted.blocks)
        if b["action_id"] == "redline_case_false_positive"
    ]
    payload = interaction(
        [button], channel={"id": room, "name": "alerts"}, message={"ts": ts}
    )

    [press] = parse_interaction(form(payload))

    assert press.case_id == CASE_ID
    assert press.status == "false_positive"
    assert (press.channel_id, press.message_ts) == (room, ts)


def _without(key: str, inner: str | None = None) -> dict[str, Any]:
    payload = interaction()
    if inner is None:
        del payload[key]
    else:
        del payload[key][inner]
    return payload


MALFORMED = [
    ("not utf-8", b"payload=\xff", "not UTF-8"),
    ("no payload", b"token=abc", "no 'payload' field"),
    ("two payloads", b"payload=%7B%7D&payload=%7B%7D", "more than one"),
    ("not json", b"payload=%7Bnot-json", "not valid JSON"),
    ("json array", form([1, 2]), "not a JSON object"),
    (
        "actions not list",
        form(interaction(actions=None) | {"actions": {}}),
        "'actions'",
    ),
    ("no user", form(_without("user")), "'user'"),
    ("no user id", form(_without("user", "id")), "'user.id'"),
    ("no response url", form(_without("response_url")), "'response_url'"),
    (
        "no channel",
        form(_without("channel") | {"container": {"message_ts": "1.2"}}),
        "no channel id",
    ),
    (
        "no message ts",
        form(_without("message") | {"container": {"channel_id": "C1"}}),
        "no message ts",
    ),
    (
        "unknown status",
        form(interaction([{"action_id": "redline_case_deleted", "value": CASE_ID}])),
        "unknown case status",
    ),
    (
        "no value",
        form(interaction([{"action_id": "redline_case_resolved"}])),
        "no case id",
    ),
    (
        "blank value",
        form(interaction([{"action_id": "redline_case_resolved", "value": " "}])),
        "no case id",
    ),
    (
        "control characters in value",
        form(interaction([{"action_id": "redline_case_resolved", "value": "a\nb"}])),
        "invalid case id",
    ),
]


@pytest.mark.parametrize(
    ("body", "reason"),
    [(body, reason) for _, body, reason in MALFORMED],
    ids=[name for name, _, _ in MALFORMED],
)
def test_parse_rejects_malformed(body: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as raised:
        parse_interaction(body)

    assert MASKED_LINE not in str(raised.value)
