"""Alerts end to end through Slack, WeCom and SMS, and Slack's buttons back.

Slack is a local Slack-shaped server driven by slack-sdk's WebClient, WeCom
the local WeCom-shaped server driven by wechatpy, and SMS goes to moto's SNS
in server mode. All three serve real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from gateway.app import create_app
from gateway.runtime import Runtime
from infra.alerts.settings import disposal_from_dict
from infra.config import (
    AlertSettings,
    GenericSourceSettings,
    Settings,
    WeComAppSettings,
    WeComSettings,
)
from tests.conftest import FrozenClock
from tests.fakedata import card
from tests.fakes.moto_server import (  # noqa: F401 - pytest fixtures
    MotoServer,
    _moto_server_for_module,
    aws_test_env,
    moto_server,
    no_outside_network,
)
from tests.fakes.slack_server import (  # noqa: F401 - pytest fixture
    TEST_TOKEN,
    FakeSlack,
    fake_slack,
)
from tests.fakes.wecom_server import (  # noqa: F401 - pytest fixture
    TEST_AGENT_ID,
    TEST_CORP_ID,
    TEST_SECRET,
    FakeWeCom,
    fake_wecom,
)
from tests.gateway.signed import post_signed

pytestmark = pytest.mark.usefixtures("no_outside_network")

SOURCE_SECRET = "alert-channels-source-secret"
SIGNING_SECRET = "slack-signing-secret-for-tests"
MANAGER_SLACK = "U0BILLINGLEAD"
HEAD_SLACK = "U0HEADOFBILL"
MANAGER_WECOM = "lin.manager"
MANAGER_PHONE = "+8613912345678"
CARD = card()

DISPOSAL = {
    "teams": {
        "billing": {
            "managers": [
                {
                    "name": "Lin",
                    "slack": MANAGER_SLACK,
                    "wecom": MANAGER_WECOM,
                    "phone": MANAGER_PHONE,
                }
            ],
            "escalation": [[{"name": "Head of billing", "slack": HEAD_SLACK}]],
        }
    }
}


@pytest.fixture
def runtime(
    settings: Settings,
    clock: FrozenClock,
    fake_slack: FakeSlack,  # noqa: F811
    fake_wecom: FakeWeCom,  # noqa: F811
    moto_server: MotoServer,  # noqa: F811
) -> Iterator[Runtime]:
    fake_slack.add_users(MANAGER_SLACK)
    fake_wecom.add_members(MANAGER_WECOM)
    app = WeComAppSettings(
        name="support",
        corp_id=TEST_CORP_ID,
        token="AlertChannelsToken01",
        encoding_aes_key="Zyxwvutsrqponmlkjihgfedcba9876543210ABCDEFG",
        secret=TEST_SECRET,
        agent_id=TEST_AGENT_ID,
    )
    built = Runtime.build(
        dataclasses.replace(
            settings,
            generic_sources=(GenericSourceSettings("crm", SOURCE_SECRET),),
            disposal=disposal_from_dict(DISPOSAL, "test"),
            wecom=WeComSettings(apps=(app,), api_base=fake_wecom.api_base_url),
            alerts=AlertSettings(
                slack_bot_token=TEST_TOKEN,
                slack_signing_secret=SIGNING_SECRET,
                slack_api_base=fake_slack.url,
                sms_region=moto_server.region,
                sms_endpoint_url=moto_server.endpoint_url,
            ),
        ),
        clock=clock,
    )
    yield built
    built.database.close()


@pytest.fixture
def client(runtime: Runtime) -> FlaskClient:
    return create_app(runtime).test_client()


def deliver_high_case(client: FlaskClient, runtime: Runtime, clock: FrozenClock) -> str:
    body = json.dumps(
        {
            "id": "crm-77",
            "channel": "chat",
            "team": "billing",
            "segments": [
                {"id": "m1", "speaker": "customer", "text": "is my card active?"},
                {
                    "id": "m2",
                    "speaker": "agent",
                    "text": f"Yes, card {CARD} is active",
                    "agent_id": "a-9",
                },
            ],
        }
    ).encode()
    response = post_signed(client, clock, body, SOURCE_SECRET)
    assert response.status_code == 202
    runtime.worker.drain()
    assert runtime.scheduler is not None
    assert runtime.scheduler.run_once().alerted == 1
    (case,) = runtime.ledger.list_cases()
    return case.id


def press(
    client: FlaskClient,
    clock: FrozenClock,
    case_id: str,
    status: str,
    message: Any,
    seconds_ago: int = 0,
    secret: str = SIGNING_SECRET,
) -> Any:
    """Post a signed block_actions payload as Slack does for a button press."""
    payload = {
        "type": "block_actions",
        "user": {"id": "U0BILLINGLEAD", "username": "lin"},
        "channel": {"id": message.channel},
        "message": {"ts": message.ts},
        "container": {"channel_id": message.channel, "message_ts": message.ts},
        "response_url": "https://hooks.slack.com/actions/T0/1/abc",
        "actions": [
            {"action_id": f"redline_case_{status}", "value": case_id, "type": "button"}
        ],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(clock().timestamp()) - seconds_ago)
    base = f"v0:{timestamp}:".encode() + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return client.post(
        "/slack/interactions",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        },
    )


def test_high_case_reaches_every_channel_masked(
    client: FlaskClient,
    runtime: Runtime,
    clock: FrozenClock,
    fake_slack: FakeSlack,  # noqa: F811
    fake_wecom: FakeWeCom,  # noqa: F811
    moto_server: MotoServer,  # noqa: F811
) -> None:
    case_id = deliver_high_case(client, runtime, clock)
    (message,) = fake_slack.messages
    assert message.channel == fake_slack.dm_channel(MANAGER_SLACK)
    buttons = [
        element["action_id"]
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element.get("action_id", "").startswith("redline_case_")
    ]
    assert buttons == [
        "redline_case_acknowledged",
        "redline_case_resolved",
        "redline_case_false_positive",
    ]
    ((to, text),) = fake_wecom.sent
    assert to == MANAGER_WECOM
    assert "agent_full_disclosure" in text
    (sms,) = moto_server.sent_sms()
    assert sms.phone_number == MANAGER_PHONE
    assert len(sms.message) <= 70
    assert case_id[-6:] in sms.message
    everything = json.dumps([c.args for c in fake_slack.calls]) + text + sms.message
    assert CARD not in everything
    assert CARD[-4:] in everything
    deliveries = client.get("/api/alerts").json["alerts"][0]["deliveries"]
    assert sorted(d["channel"] for d in deliveries) == ["slack", "sms", "wecom"]
    assert all(d["error"] == "" for d in deliveries)


def test_slack_button_moves_case_once_and_updates_message(
    client: FlaskClient,
    runtime: Runtime,
    clock: FrozenClock,
    fake_slack: FakeSlack,  # noqa: F811
) -> None:
    case_id = deliver_high_case(client, runtime, clock)
    (message,) = fake_slack.messages
    first = press(client, clock, case_id, "acknowledged", message)
    second = press(client, clock, case_id, "acknowledged", message)
    assert (first.status_code, second.status_code) == (200, 200)
    case = runtime.ledger.get_case(case_id)
    assert case is not None
    assert [e.action for e in case.history].count("acknowledged") == 1
    assert case.history[-1].actor == "lin (Slack U0BILLINGLEAD)"
    assert fake_slack.calls_to("chat.update") == []
    assert runtime.worker.drain() == 1
    (update,) = fake_slack.calls_to("chat.update")
    assert "Acknowledged by lin (Slack U0BILLINGLEAD)" in json.dumps(update.args)
    press(client, clock, case_id, "resolved", message)

    runtime.worker.drain()
    resolved = fake_slack.message(message.channel, message.ts)
    assert not [
        b
        for b in resolved.blocks
        if b["type"] == "actions"
        and any(
            e.get("action_id", "").startswith("redline_case_") for e in b["elements"]
        )
    ]
    # A resolved case no longer escalates.

    clock.advance(hours=2)
    assert runtime.scheduler is not None
    assert runtime.scheduler.run_once().escalated == 0


def test_slack_press_with_bad_or_stale_signature_rejected(
    client: FlaskClient,
    runtime: Runtime,
    clock: FrozenClock,
    fake_slack: FakeSlack,  # noqa: F811
) -> None:
    case_id = deliver_high_case(client, runtime, clock)
    (message,) = fake_slack.messages
    wrong = press(client, clock, case_id, "resolved", message, secret="not-the-secret")
    stale = press(client, clock, case_id, "resolved", message, seconds_ago=301)
    assert (wrong.status_code, stale.status_code) == (401, 401)
    case = runtime.ledger.get_case(case_id)
    assert case is not None
    assert case.status == "open"
    garbage = client.post(
        "/slack/interactions",
        data=b"payload=%7Bnot-json",
        content_type="application/x-www-form-urlencoded",
        headers={
            "X-Slack-Request-Timestamp": str(int(clock().timestamp())),
            "X-Slack-Signature": "v0="
            + hmac.new(
                SIGNING_SECRET.encode(),
                f"v0:{int(clock().timestamp())}:payload=%7Bnot-json".encode(),
                hashlib.sha256,
            ).hexdigest(),
        },
    )
    assert garbage.status_code == 400


def test_failed_channel_retried_without_resending_the_others(
    client: FlaskClient,
    runtime: Runtime,
    clock: FrozenClock,
    fake_slack: FakeSlack,  # noqa: F811
    fake_wecom: FakeWeCom,  # noqa: F811
    moto_server: MotoServer,  # noqa: F811
) -> None:
    fake_slack.fail_next("chat.postMessage", "channel_not_found")
    deliver_high_case(client, runtime, clock)
    assert fake_slack.messages == []
    deliveries = client.get("/api/alerts").json["alerts"][0]["deliveries"]
    slack = next(d for d in deliveries if d["channel"] == "slack")
    assert slack["error"] == "channel_not_found"

    clock.advance(minutes=3)
    assert runtime.scheduler is not None
    assert runtime.scheduler.run_once().retried == 1
    assert len(fake_slack.messages) == 1
    assert len(fake_wecom.sent) == 1
    assert len(moto_server.sent_sms()) == 1
    assert runtime.scheduler.run_once().retried == 0


def post_chat(
    client: FlaskClient, clock: FrozenClock, interaction_id: str, text: str
) -> None:
    body = json.dumps(
        {
            "id": interaction_id,
            "channel": "chat",
            "team": "billing",
            "segments": [
                {"id": "m1", "speaker": "agent", "text": text, "agent_id": "a-9"}
            ],
        }
    ).encode()
    response = post_signed(client, clock, body, SOURCE_SECRET)
    assert response.status_code == 202


def test_button_on_counted_alert_moves_every_case(
    client: FlaskClient,
    runtime: Runtime,
    clock: FrozenClock,
    fake_slack: FakeSlack,  # noqa: F811
) -> None:
    for number in range(3):
        post_chat(client, clock, f"crm-{number}", f"card {CARD} noted")
    runtime.worker.drain()
    assert runtime.scheduler is not None
    runtime.scheduler.run_once()
    (message,) = fake_slack.messages
    values = {
        element.get("value")
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element.get("action_id", "").startswith("redline_case_")
    }
    assert len(values) == 1
    (value,) = values
    assert value.startswith("alert:")
    assert press(client, clock, value, "resolved", message).status_code == 200
    statuses = {c.status for c in runtime.ledger.list_cases()}
    assert statuses == {"resolved"}

    runtime.worker.drain()
    final = fake_slack.message(message.channel, message.ts)
    text = json.dumps(final.blocks)
    assert "3 cases: 3 resolved" in text
    assert "redline_case_" not in text


def test_digest_retry_never_goes_by_sms(
    client: FlaskClient,
    runtime: Runtime,
    clock: FrozenClock,
    fake_slack: FakeSlack,  # noqa: F811
    moto_server: MotoServer,  # noqa: F811
) -> None:
    post_chat(
        client, clock, "crm-5", "let me note it down: the customer's card is on file"
    )
    body_case = json.dumps(
        {
            "id": "crm-6",
            "channel": "chat",
            "team": "billing",
            "segments": [{"id": "m1", "speaker": "customer", "text": f"card {CARD}"}],
        }
    ).encode()
    post_signed(client, clock, body_case, SOURCE_SECRET)

    runtime.worker.drain()
    fake_slack.fail_next("chat.postMessage", "channel_not_found", times=2)

    assert runtime.disposal is not None
    assert (
        len(runtime.disposal.daily_digest(clock() + datetime.timedelta(hours=1))) == 1
    )

    clock.advance(minutes=5)
    assert runtime.scheduler is not None
    runtime.scheduler.run_once()
    assert moto_server.sent_sms() == []


def test_channel_failing_for_good_copies_alert_to_outbox(
    client: FlaskClient,
    runtime: Runtime,
    clock: FrozenClock,
    fake_slack: FakeSlack,  # noqa: F811
    fake_wecom: FakeWeCom,  # noqa: F811
    moto_server: MotoServer,  # noqa: F811
) -> None:
    fake_slack.fail_next("chat.postMessage", "invalid_auth", times=10)
    fake_wecom.members.clear()
    moto_server.stop()
    try:
        deliver_high_case(client, runtime, clock)
        assert runtime.scheduler is not None
        for _ in range(6):
            clock.advance(minutes=3)
            runtime.scheduler.run_once()
    finally:
        moto_server.start()
    copies = [e for e in runtime.outbox.list(50) if e.platform == "alerts"]
    assert len(copies) == 1
    assert copies[0].action == "case"
    assert CARD not in json.dumps(copies[0].payload)


def test_failed_escalation_retried_to_its_own_level(
    client: FlaskClient,
    runtime: Runtime,
    clock: FrozenClock,
    fake_slack: FakeSlack,  # noqa: F811
    fake_wecom: FakeWeCom,  # noqa: F811
    moto_server: MotoServer,  # noqa: F811
) -> None:
    fake_slack.add_users(HEAD_SLACK)
    deliver_high_case(client, runtime, clock)

    clock.advance(hours=1, minutes=1)
    fake_slack.fail_next("chat.postMessage", "ratelimited")
    assert runtime.scheduler is not None
    assert runtime.scheduler.run_once().escalated == 1
    assert len(fake_slack.messages) == 1  # the first alert only

    clock.advance(minutes=3)
    assert runtime.scheduler.run_once().retried == 1
    head = fake_slack.dm_channel(HEAD_SLACK)
    assert [m.channel for m in fake_slack.messages][1:] == [head]
    # The managers of level 0 got nothing more: one WeCom text, one SMS.
    assert len(fake_wecom.sent) == 1
    assert len(moto_server.sent_sms()) == 1
