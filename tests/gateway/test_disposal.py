"""Disposal on a frozen clock: alerts, escalation, throttling, digests, training.

Cases come in through the signed generic webhook and the real worker. No
alert channel is configured, so alerts land in the SQLite outbox, where the
tests read them. Slack, WeCom and SMS have their own end-to-end tests.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from gateway.app import create_app
from gateway.cli import main
from gateway.runtime import Runtime
from infra.alerts.settings import disposal_from_dict, parse_disposal
from infra.config import GenericSourceSettings, Settings
from infra.errors import ConfigError
from tests.conftest import FrozenClock
from tests.fakedata import card, resident_id
from tests.gateway.signed import post_signed

SECRET = "disposal-test-source-secret"
CARD = card()
ID = resident_id()

DISPOSAL = {
    "timezone": "Asia/Shanghai",
    "daily_digest_at": "09:00",
    "weekly_summary_at": "monday 10:00",
    "throttle_minutes": 10,
    "storm_limit": 3,
    "teams": {
        "billing": {
            "managers": [
                {"name": "Lin (billing lead)", "email": "lin@example.test"},
            ],
            "escalation": [[{"name": "Head of billing", "email": "head@example.test"}]],
        },
        "*": {"managers": [{"name": "Duty manager", "email": "duty@example.test"}]},
    },
    "escalation": [[{"name": "Compliance officer", "email": "comp@example.test"}]],
    "training": {
        "window_days": 30,
        "high": 2,
        "medium": 3,
        "modules": {
            "credential_request": {
                "title": "Never ask for one-time codes",
                "url": "https://learning.example.test/otp",
            }
        },
    },
}


@pytest.fixture
def clock() -> FrozenClock:
    # 09:30 in Shanghai on Monday 2 March 2026.
    return FrozenClock(datetime.datetime(2026, 3, 2, 1, 30, tzinfo=datetime.UTC))


@pytest.fixture
def runtime(settings: Settings, clock: FrozenClock) -> Iterator[Runtime]:
    source = GenericSourceSettings("crm", SECRET)
    built = Runtime.build(
        dataclasses.replace(
            settings,
            generic_sources=(source,),
            disposal=disposal_from_dict(DISPOSAL, "test"),
            public_url="https://redline.example.test",
        ),
        clock=clock,
    )
    yield built
    built.database.close()


@pytest.fixture
def client(runtime: Runtime) -> FlaskClient:
    return create_app(runtime).test_client()


def deliver(
    client: FlaskClient,
    runtime: Runtime,
    clock: FrozenClock,
    interaction_id: str,
    text: str,
    agent: str = "a-17",
    team: str = "billing",
    speaker: str = "agent",
) -> None:
    """Post one interaction through the generic webhook and run the worker."""
    body = json.dumps(
        {
            "id": interaction_id,
            "channel": "chat",
            "team": team,
            "segments": [
                {"id": "m1", "speaker": "customer", "text": "hello, a question"},
                {"id": "m2", "speaker": speaker, "text": text, "agent_id": agent},
            ],
        },
        ensure_ascii=False,
    ).encode()
    response = post_signed(client, clock, body, SECRET)
    assert response.status_code == 202, response.json
    assert runtime.worker.drain() >= 1


def tick(runtime: Runtime) -> Any:
    assert runtime.scheduler is not None
    return runtime.scheduler.run_once()


def outbox_alerts(runtime: Runtime, kind: str | None = None) -> list[dict[str, Any]]:
    entries = [e for e in runtime.outbox.list(500) if e.platform == "alerts"]
    return [e.payload for e in entries if kind is None or e.action == kind][::-1]


def sent_alerts(runtime: Runtime, kind: str) -> list[dict[str, Any]]:
    """Alerts of `kind` as stored, oldest first, whichever channel took them."""
    assert runtime.disposal is not None
    stored = runtime.disposal.store.recent(500)[::-1]
    return [dataclasses.asdict(s.alert) for s in stored if s.alert.kind == kind]


def only_case(runtime: Runtime) -> Any:
    cases = runtime.ledger.list_cases()
    assert len(cases) == 1
    return cases[0]


def test_high_case_alerted_once_to_team_managers(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    first = tick(runtime)
    second = tick(runtime)
    assert (first.alerted, second.alerted) == (1, 0)
    alerts = outbox_alerts(runtime, "case")
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["severity"] == "high"
    assert alert["title"].startswith("High risk: agent_full_disclosure by agent a-17")
    assert alert["link"].startswith("https://redline.example.test/api/cases/c_")
    assert alert["actions"] is True
    assert any(
        "Handle by 2026-03-02 10:30 Asia/Shanghai" in line for line in alert["lines"]
    )
    assert CARD not in json.dumps(alert, ensure_ascii=False)
    assert CARD[-4:] in json.dumps(alert)
    case = only_case(runtime)
    assert case.alert_level == 0
    assert [e.action for e in case.history] == ["opened", "alerted"]
    assert "Lin (billing lead)" in case.history[-1].note


def test_medium_and_low_cases_wait_for_digest(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    deliver(client, runtime, clock, "m1", f"my ID is {ID}", speaker="customer")
    deliver(
        client, runtime, clock, "l1", "please tell me the last four digits of your card"
    )
    assert tick(runtime).alerted == 0
    assert outbox_alerts(runtime, "case") == []


def test_unacknowledged_high_case_escalates_level_by_level(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    tick(runtime)

    clock.advance(minutes=59)
    assert tick(runtime).escalated == 0

    clock.advance(minutes=2)
    assert tick(runtime).escalated == 1
    assert tick(runtime).escalated == 0
    case = only_case(runtime)
    assert case.alert_level == 1
    assert case.history[-1].action == "escalated"
    assert "Head of billing" in case.history[-1].note
    assert case.sla_deadline == "2026-03-02T03:31:00Z"

    clock.advance(hours=1, minutes=1)
    assert tick(runtime).escalated == 1
    assert "Compliance officer" in only_case(runtime).history[-1].note

    clock.advance(hours=1, minutes=1)
    assert tick(runtime).escalated == 1
    last = only_case(runtime)
    assert (last.alert_level, last.history[-1].action) == (2, "reminded")
    escalations = outbox_alerts(runtime, "escalation")
    assert len(escalations) == 3
    assert escalations[0]["title"].startswith("Escalated (level 1)")
    assert CARD not in json.dumps(escalations, ensure_ascii=False)


def test_acknowledged_case_does_not_escalate(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    tick(runtime)
    case = only_case(runtime)
    response = client.post(
        f"/api/cases/{case.id}/status",
        json={"status": "acknowledged", "actor": "lin@example.test"},
    )
    assert response.status_code == 200

    clock.advance(hours=3)
    assert tick(runtime).escalated == 0


def test_status_api_moves_once_and_explains_refusals(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    case_id = only_case(runtime).id
    path = f"/api/cases/{case_id}/status"
    first = client.post(path, json={"status": "acknowledged", "actor": "lin"})
    again = client.post(path, json={"status": "acknowledged", "actor": "lin"})
    assert (first.json["changed"], again.json["changed"]) == (True, False)

    clock.advance(minutes=5)
    resolved = client.post(
        path, json={"status": "resolved", "actor": "lin", "note": "message recalled"}
    )
    assert resolved.json["case"]["resolution_note"] == "message recalled"
    back = client.post(path, json={"status": "acknowledged", "actor": "lin"})
    assert back.status_code == 409
    assert "can move to open" in back.json["reason"]
    history = only_case(runtime).history
    assert [(e.action, e.actor) for e in history] == [
        ("opened", "redline"),
        ("acknowledged", "lin"),
        ("resolved", "lin"),
    ]
    assert history[-1].at == "2026-03-02T01:35:00Z"
    assert client.post(path, json={"status": "done", "actor": "x"}).status_code == 400
    assert client.post(path, json={"status": "resolved"}).status_code == 400
    assert client.post(path, data=b"not json").status_code == 400
    missing = client.post(
        "/api/cases/c_nothing/status", json={"status": "resolved", "actor": "lin"}
    )
    assert missing.status_code == 404
    # Each change queued one job that refreshes the case's messages.
    assert runtime.worker.drain() == 2


def test_same_agent_and_behaviour_fold_into_one_alert(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    for number in range(3):
        deliver(client, runtime, clock, f"t{number}", f"card {CARD} on file")
        clock.advance(minutes=2)
        tick(runtime)
    alerts = runtime.disposal.store.recent() if runtime.disposal else []
    assert len(alerts) == 1
    assert alerts[0].alert.count == 3
    assert alerts[0].alert.title.endswith("(3 cases)")
    assert len(alerts[0].case_ids) == 3
    # The outbox got the first alert and two updates, not three alerts.
    assert len(outbox_alerts(runtime, "case")) == 1
    assert len(outbox_alerts(runtime, "update")) == 2

    clock.advance(minutes=11)
    deliver(client, runtime, clock, "t9", f"card {CARD} on file")
    tick(runtime)
    assert len(outbox_alerts(runtime, "case")) == 2


def test_storm_is_counted_in_one_message(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    for number in range(6):
        deliver(
            client, runtime, clock, f"s{number}", f"card {CARD}", agent=f"a-{number}"
        )
    assert tick(runtime).alerted == 6
    assert len(outbox_alerts(runtime, "case")) == 3
    storms = outbox_alerts(runtime, "storm")
    assert len(storms) == 1

    assert runtime.disposal is not None
    stored = [a for a in runtime.disposal.store.recent() if a.alert.kind == "storm"]
    assert stored[0].alert.count == 3
    assert stored[0].alert.title.endswith("(3 cases)")


def test_daily_digest_at_local_time_once_per_team(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock, settings: Settings
) -> None:
    # 09:30 Shanghai: today's digest time has passed, and nothing is in it.
    tick(runtime)
    assert sent_alerts(runtime, "daily_digest") == []
    deliver(client, runtime, clock, "m1", f"my ID is {ID}", speaker="customer")
    deliver(
        client,
        runtime,
        clock,
        "m2",
        f"my ID is {ID}",
        speaker="customer",
        team="support",
    )

    clock.advance(hours=23)  # 08:30 the next day
    tick(runtime)
    assert sent_alerts(runtime, "daily_digest") == []

    clock.advance(hours=1)  # 09:30
    tick(runtime)
    tick(runtime)
    digests = sent_alerts(runtime, "daily_digest")
    assert sorted(d["team"] for d in digests) == ["billing", "support"]
    billing = next(d for d in digests if d["team"] == "billing")
    assert billing["title"] == "Daily digest 2026-03-03, team billing"
    assert billing["lines"][0] == "1 new medium-risk cases; 0 overdue."
    # The email-ready copy went to the outbox for the manager's address.
    emails = [
        e.payload
        for e in runtime.outbox.list(100)
        if e.platform == "email" and e.payload["subject"].startswith("Daily")
    ]
    assert sorted(e["to"][0] for e in emails) == [
        "duty@example.test",
        "lin@example.test",
    ]
    assert "<table" in emails[0]["html"]
    pages = sorted((settings.data_dir / "digests").glob("daily*.html"))
    assert len(pages) == 2
    html = pages[0].read_text(encoding="utf-8")
    assert "<table" in html
    assert "CN_RESIDENT_ID" in html
    for page in pages:
        assert ID not in page.read_text(encoding="utf-8")


def test_overdue_medium_cases_listed_in_digest(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    deliver(client, runtime, clock, "m1", f"my ID is {ID}", speaker="customer")
    tick(runtime)

    clock.advance(days=2)

    assert runtime.disposal is not None
    sent = runtime.disposal.daily_digest()
    assert len(sent) == 1
    assert sent[0].lines[0] == "0 new medium-risk cases; 1 overdue."


def test_weekly_summary_counts_low_cases_and_names_focus(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    tick(runtime)  # this Monday's summary (nothing in it) is done
    for number in range(3):
        deliver(
            client,
            runtime,
            clock,
            f"l{number}",
            "please tell me the last four digits of your card",
            agent=f"a-{number}",
        )
    deliver(
        client, runtime, clock, "c1", "please send me the code from the text message"
    )

    clock.advance(days=7)
    result = tick(runtime)
    summaries = sent_alerts(runtime, "weekly_summary")
    assert result.digests >= 1
    assert len(summaries) == 1
    lines = summaries[0]["lines"]
    assert lines[0].startswith("4 cases: 1 high, 0 medium, 3 low")
    assert "partial_hint: 3 low-risk" in lines
    assert "Training focus: partial_hint" in lines


def test_repeat_offender_gets_training_and_completion_is_reported(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    deliver(
        client, runtime, clock, "c1", "please send me the code from the text message"
    )
    assert tick(runtime).trained == 0

    clock.advance(days=3)
    deliver(client, runtime, clock, "c2", "what is the verification code you just got?")
    assert tick(runtime).trained == 1
    assert tick(runtime).trained == 0
    listed = client.get("/api/training?open=1").json["assignments"]
    assert len(listed) == 1
    assignment = listed[0]
    assert assignment["agent_id"] == "a-17"
    assert assignment["behaviour"] == "credential_request"
    assert assignment["title"] == "Never ask for one-time codes"
    assert "2 cases of credential_request within 30 days" in assignment["reason"]
    notices = outbox_alerts(runtime, "training")
    assert notices and notices[0]["title"].startswith("Training assigned to agent a-17")
    path = f"/api/training/{assignment['id']}/complete"
    done = client.post(path, json={"actor": "lin"})
    assert done.json["changed"] is True
    assert client.post(path, json={"actor": "lin"}).json["changed"] is False
    assert (
        client.post("/api/training/999/complete", json={"actor": "x"}).status_code
        == 404
    )
    report = client.get("/api/reports/training").json["teams"]["billing"]
    assert (report["assigned"], report["completed"], report["repeated"]) == (1, 1, 0)
    assert report["completion_rate"] == 1.0

    clock.advance(days=1)
    deliver(client, runtime, clock, "c3", "read me the SMS code please")
    report = client.get("/api/reports/training").json["teams"]["billing"]
    assert report["repeat_rate"] == 1.0
    # One case since completion is under the threshold: no new assignment yet.
    assert tick(runtime).trained == 0


def test_search_by_value_finds_cases_without_echoing_it(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    deliver(client, runtime, clock, "t2", f"card {CARD[:4]} {CARD[4:8]} {CARD[8:]} ok")
    spaced = " ".join(CARD[i : i + 4] for i in range(0, len(CARD), 4))
    response = client.post("/api/search", json={"value": spaced})
    assert response.status_code == 200
    assert len(response.json["cases"]) == 2
    assert CARD not in response.get_data(as_text=True)
    assert response.json["recognised"][0]["type"] == "BANK_CARD"
    nothing = client.post("/api/search", json={"value": "hello"})
    assert nothing.status_code == 422
    assert client.post("/api/search", json={"value": ""}).status_code == 400


def test_false_positives_counted_per_rule(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    deliver(client, runtime, clock, "t2", f"card {CARD} again", agent="a-2")
    first = runtime.ledger.list_cases()[0]
    client.post(
        f"/api/cases/{first.id}/status",
        json={"status": "false_positive", "actor": "lin", "note": "test card"},
    )
    rules = client.get("/api/rules/false-positives").json["rules"]
    assert rules == [
        {
            "rule": "payment_card",
            "type": "BANK_CARD",
            "false_positives": 1,
            "findings": 2,
            "last_false_positive": "2026-03-02T01:30:00Z",
        }
    ]


def test_alerts_api_lists_deliveries(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    tick(runtime)
    alerts = client.get("/api/alerts").json["alerts"]
    assert len(alerts) == 1
    assert alerts[0]["state"] == "sent"
    assert alerts[0]["deliveries"][0]["channel"] == "outbox"
    assert CARD not in json.dumps(alerts)


def test_no_detected_value_in_database_file(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock, settings: Settings
) -> None:
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    deliver(client, runtime, clock, "m1", f"my ID is {ID}", speaker="customer")
    tick(runtime)

    clock.advance(days=1)
    tick(runtime)
    runtime.database.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for path in (settings.data_dir).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert CARD.encode() not in data, path
            assert ID.encode() not in data, path


def test_cli_digest_for_cron(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: Any, tmp_path: Path
) -> None:
    monkeypatch.setenv("REDLINE_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("REDLINE_DISPOSAL", json.dumps(DISPOSAL))
    assert main(["digest", "daily"]) == 0
    out = capsys.readouterr().out
    assert "0 case alert(s)" in out
    assert "no daily digest to send" in out
    monkeypatch.setenv("REDLINE_DISPOSAL", '{"teams": []}')
    assert main(["digest", "weekly"]) == 2
    assert "REDLINE_DISPOSAL: teams must be a JSON object" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{"timezone": "Mars/Olympus"}', "is not a known time zone"),
        ('{"daily_digest_at": "9am"}', "write a 24-hour time as 09:00"),
        ('{"weekly_summary_at": "someday 10:00"}', "write a weekday and a time"),
        ('{"colour": "red"}', "unknown key 'colour'"),
        ('{"teams": {"a": {"managers": [{"name": "x"}]}}}', "has no address"),
        (
            '{"teams": {"a": {"slack_channel": "#general"}}}',
            "give a Slack user or channel id",
        ),
        ('{"training": {"modules": {"bad_habit": {}}}}', "is not a behaviour"),
        ('{"sla_hours": {"high": 0}}', "must be between"),
        ("{", "is not valid JSON"),
    ],
)
def test_disposal_settings_errors_name_the_problem(document: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        parse_disposal(document, "REDLINE_DISPOSAL")


def test_phone_errors_do_not_echo_the_number() -> None:
    document = json.dumps(
        {"teams": {"a": {"managers": [{"name": "x", "phone": "+86138001380001"}]}}}
    )
    with pytest.raises(ConfigError) as raised:
        parse_disposal(document, "REDLINE_DISPOSAL")
    assert "+86138001380001" not in str(raised.value)
    assert "not a valid number" in str(raised.value)


def test_chain_falls_back_to_default_team() -> None:
    settings = disposal_from_dict(DISPOSAL, "test")
    names = [[r.name for r in level] for level in settings.chain("unknown-team")]
    assert names == [["Duty manager"], ["Compliance officer"]]
    billing = [[r.name for r in level] for level in settings.chain("billing")]
    assert billing == [
        ["Lin (billing lead)"],
        ["Head of billing"],
        ["Compliance officer"],
    ]


def test_configured_sla_hours_set_the_deadline(
    settings: Settings, clock: FrozenClock
) -> None:
    document = dict(DISPOSAL, sla_hours={"high": 0.5, "medium": 8})
    built = Runtime.build(
        dataclasses.replace(
            settings,
            generic_sources=(GenericSourceSettings("crm", SECRET),),
            disposal=disposal_from_dict(document, "test"),
        ),
        clock=clock,
    )
    try:
        client = create_app(built).test_client()
        deliver(client, built, clock, "t1", f"Your card {CARD} is active now")
        deliver(client, built, clock, "m1", f"my ID is {ID}", speaker="customer")
        deadlines = sorted(c.sla_deadline or "" for c in built.ledger.list_cases())
        assert deadlines == ["2026-03-02T02:00:00Z", "2026-03-02T09:30:00Z"]
    finally:
        built.database.close()


def test_crash_before_marking_sends_once_and_marks_later(
    client: FlaskClient,
    runtime: Runtime,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    ledger = runtime.ledger
    real = ledger.set_alert_level

    def crash(*args: Any, **kwargs: Any) -> bool:
        raise RuntimeError("process killed")

    monkeypatch.setattr(ledger, "set_alert_level", crash)
    with pytest.raises(RuntimeError):
        tick(runtime)
    monkeypatch.setattr(ledger, "set_alert_level", real)
    assert only_case(runtime).alert_level is None
    tick(runtime)
    assert only_case(runtime).alert_level == 0
    assert len(outbox_alerts(runtime, "case")) == 1

    clock.advance(hours=1, minutes=1)

    monkeypatch.setattr(ledger, "set_alert_level", crash)
    with pytest.raises(RuntimeError):
        tick(runtime)
    monkeypatch.setattr(ledger, "set_alert_level", real)
    assert tick(runtime).escalated == 1
    assert only_case(runtime).alert_level == 1
    assert len(outbox_alerts(runtime, "escalation")) == 1


def test_pending_alert_sent_after_crash(
    client: FlaskClient,
    runtime: Runtime,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    disposal = runtime.disposal
    assert disposal is not None

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("process killed")

    monkeypatch.setattr(disposal, "_send", crash)
    with pytest.raises(RuntimeError):
        tick(runtime)
    monkeypatch.undo()
    assert tick(runtime).retried == 0  # too recent: the sender may still be at it
    assert outbox_alerts(runtime, "case") == []

    clock.advance(minutes=3)
    assert tick(runtime).retried == 1
    assert len(outbox_alerts(runtime, "case")) == 1
    assert tick(runtime).retried == 0
    assert only_case(runtime).alert_level == 0


def test_cli_lists_false_positives_per_rule(
    client: FlaskClient,
    runtime: Runtime,
    clock: FrozenClock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    case = only_case(runtime)
    runtime.ledger.transition(case.id, "false_positive", "lin", "a test card")
    monkeypatch.setenv("REDLINE_DATA_DIR", str(settings.data_dir))
    assert main(["rules", "--false-positives"]) == 0
    captured = capsys.readouterr()
    row = [line for line in captured.out.splitlines() if "payment_card" in line]
    assert row[0].split() == ["payment_card", "BANK_CARD", "1", "1"]
    assert "1 rule(s) with false positives" in captured.err
    monkeypatch.setenv("REDLINE_DATA_DIR", str(settings.data_dir / "missing"))
    assert main(["rules", "--false-positives"]) == 2


def test_values_in_notes_and_names_are_masked(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock, settings: Settings
) -> None:
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    case = only_case(runtime)
    response = client.post(
        f"/api/cases/{case.id}/status",
        json={
            "status": "resolved",
            "actor": f"lin {ID}",
            "note": f"客户身份证 {ID} 已撤回",
        },
    )
    assert response.status_code == 200
    assert ID not in response.get_data(as_text=True)
    event = only_case(runtime).history[-1]
    assert ID[-4:] in event.note
    assert "已撤回" in event.note
    assert ID not in event.note + event.actor
    runtime.database.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert ID.encode() not in (settings.data_dir / "redline.db").read_bytes()


def test_new_high_finding_in_acknowledged_case_is_alerted(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    deliver(client, runtime, clock, "t1", f"my ID is {ID}", speaker="customer")
    case = only_case(runtime)
    runtime.ledger.transition(case.id, "acknowledged", "lin")

    clock.advance(minutes=5)
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    assert tick(runtime).alerted == 1
    assert len(outbox_alerts(runtime, "case")) == 1


def test_case_reopened_by_new_findings_is_alerted_afresh(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    tick(runtime)
    case = only_case(runtime)
    runtime.ledger.transition(case.id, "resolved", "lin", "recalled")

    clock.advance(minutes=30)
    deliver(client, runtime, clock, "t1", "now send me the code from the text message")
    reopened = only_case(runtime)
    assert (reopened.status, reopened.alert_level) == ("open", None)

    clock.advance(minutes=11)  # past the throttle window of the first alert
    assert tick(runtime).alerted == 1
    assert only_case(runtime).alert_level == 0
    assert len(outbox_alerts(runtime, "case")) == 2


def test_folded_cases_escalate_as_one_alert(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    for number in range(4):
        deliver(client, runtime, clock, f"t{number}", f"card {CARD} on file")
    tick(runtime)

    clock.advance(hours=1, minutes=1)
    assert tick(runtime).escalated == 4
    escalations = sent_alerts(runtime, "escalation")
    assert len(escalations) == 1
    assert escalations[0]["count"] == 4
    assert escalations[0]["case_id"].startswith("alert:")


def test_every_module_an_agent_repeats_is_assigned(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    assert runtime.disposal is not None
    modules = dict(runtime.disposal.settings.training.modules)
    modules["agent_full_disclosure"] = dataclasses.replace(
        modules["credential_request"], title="Never read numbers back"
    )
    runtime.disposal.settings = dataclasses.replace(
        runtime.disposal.settings,
        training=dataclasses.replace(
            runtime.disposal.settings.training, modules=modules
        ),
    )
    for number in range(2):
        deliver(client, runtime, clock, f"c{number}", "send me the code from the SMS")
        deliver(client, runtime, clock, f"d{number}", f"your card {CARD} is on file")
    assert tick(runtime).trained == 2
    titles = sorted(a["title"] for a in client.get("/api/training").json["assignments"])
    assert titles == ["Never ask for one-time codes", "Never read numbers back"]


def test_daily_digest_leaves_out_false_positives(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    deliver(client, runtime, clock, "m1", f"my ID is {ID}", speaker="customer")
    deliver(client, runtime, clock, "m2", f"ID {ID} again", speaker="customer")
    first = runtime.ledger.list_cases()[0]
    runtime.ledger.transition(first.id, "false_positive", "lin")

    clock.advance(hours=2)

    assert runtime.disposal is not None
    (digest,) = runtime.disposal.daily_digest()
    assert digest.lines[0] == "1 new medium-risk cases; 0 overdue."


def test_long_team_name_refused_at_the_door(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    body = json.dumps(
        {
            "id": "x1",
            "channel": "chat",
            "team": "T" * 101,
            "segments": [{"id": "m1", "speaker": "customer", "text": "hi"}],
        }
    ).encode()
    response = post_signed(client, clock, body, SECRET)
    assert response.status_code == 400
    assert "team" in response.json["reason"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"status": "resolved", "actor": "lin", "note": ' + b"[" * 100_000 + b"}",
        b'{"status": "resolved", "actor": "lin", "note": "\\ud800"}',
        b'{"status": "resolved", "actor": "\\udfff"}',
        b'{"status": "resolved", "actor": "lin", "note": "' + b"x" * 5000 + b'"}',
        b'{"status": ["resolved"], "actor": "lin"}',
    ],
)
def test_hostile_status_bodies_get_400(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock, body: bytes
) -> None:
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    case = only_case(runtime)
    response = client.post(
        f"/api/cases/{case.id}/status", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert only_case(runtime).status == "open"


def test_huge_training_id_is_404(client: FlaskClient) -> None:
    response = client.post(
        "/api/training/99999999999999999999999/complete", json={"actor": "lin"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{"storm_limit": 2.9}', "must be a whole number"),
        ('{"training": {"high": 1.5}}', "must be a whole number"),
        ('{"teams": {"a": {"managers": [{"email": "@"}]}}}', "not an email address"),
        ('{"escalation": [[]]}', "is an empty level"),
    ],
)
def test_more_disposal_settings_errors(document: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_disposal(document, "REDLINE_DISPOSAL")


def test_case_after_a_handled_alert_gets_its_own(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    deliver(client, runtime, clock, "t1", f"card {CARD} on file")
    tick(runtime)
    (first,) = runtime.ledger.list_cases()
    runtime.ledger.transition(first.id, "acknowledged", "lin")

    clock.advance(minutes=2)
    deliver(client, runtime, clock, "t2", f"card {CARD} on file")
    tick(runtime)
    alerts = outbox_alerts(runtime, "case")
    assert len(alerts) == 2
    assert alerts[1]["status"] == "open"
    assert alerts[1]["actions"] is True


def test_reopened_case_within_the_window_is_alerted_again(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    tick(runtime)
    runtime.ledger.transition(only_case(runtime).id, "resolved", "lin")

    clock.advance(minutes=2)
    deliver(client, runtime, clock, "t1", "now send me the code from the text message")
    assert tick(runtime).alerted == 1
    assert len(outbox_alerts(runtime, "case")) == 2


def test_reminder_at_the_last_level_says_so(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    tick(runtime)
    for _ in range(3):
        clock.advance(hours=1, minutes=1)
        tick(runtime)
    titles = [a["title"] for a in outbox_alerts(runtime, "escalation")]
    assert titles[0].startswith("Escalated (level 1)")
    assert titles[2].startswith("Reminder (level 2)")
    assert "now yours" not in " ".join(outbox_alerts(runtime, "escalation")[2]["lines"])


def test_sms_names_case_and_zone(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    deliver(client, runtime, clock, "t1", f"Your card {CARD} is active now")
    tick(runtime)
    case = only_case(runtime)
    (alert,) = outbox_alerts(runtime, "case")
    assert case.id in alert["sms_text"]
    assert "10:30 UTC+8" in alert["sms_text"]


def test_daily_digest_keeps_local_days_across_summer_time(
    settings: Settings, clock: FrozenClock
) -> None:
    document = dict(DISPOSAL, timezone="America/New_York")
    built = Runtime.build(
        dataclasses.replace(
            settings,
            generic_sources=(GenericSourceSettings("crm", SECRET),),
            disposal=disposal_from_dict(document, "test"),
        ),
        clock=clock,
    )
    try:
        client = create_app(built).test_client()
        # 09:25 on Saturday 31 October 2026 in New York (summer time), just
        # after that day's 09:00 digest; summer time ends the next night.
        clock.moment = datetime.datetime(2026, 10, 31, 13, 25, tzinfo=datetime.UTC)
        deliver(client, built, clock, "m1", f"my ID is {ID}", speaker="customer")
        assert built.disposal is not None
        sunday = datetime.datetime(2026, 11, 1, 14, 0, tzinfo=datetime.UTC)  # 09:00 EST
        (digest,) = built.disposal.daily_digest(sunday)
        assert digest.lines[0].startswith("1 new medium-risk cases")
        monday = datetime.datetime(2026, 11, 2, 14, 0, tzinfo=datetime.UTC)
        (later,) = built.disposal.daily_digest(monday)
        assert later.lines[0] == "0 new medium-risk cases; 1 overdue."
    finally:
        built.database.close()


def test_digest_after_downtime_covers_the_missed_days(
    client: FlaskClient, runtime: Runtime, clock: FrozenClock
) -> None:
    tick(runtime)  # Monday's digest (09:00 Shanghai) has gone out

    clock.advance(hours=2)
    deliver(client, runtime, clock, "m1", f"my ID is {ID}", speaker="customer")

    clock.advance(days=2)  # the gateway was down on Tuesday
    tick(runtime)
    digests = sent_alerts(runtime, "daily_digest")
    assert len(digests) == 1
    assert digests[0]["lines"][0].startswith("1 new medium-risk cases")


def test_storms_are_counted_per_escalation_level(runtime: Runtime) -> None:
    assert runtime.disposal is not None
    store = runtime.disposal.store
    for number, level in enumerate((1, 1, 2)):
        alert = runtime.disposal.case_alert(_blank_case(), level)
        alert.key, alert.kind = f"escalation-{number}", "escalation"
        store.create(alert, level=level)
    since = "2026-03-02T00:00:00Z"
    assert store.count_since("escalation", "billing", since, level=1) == 2
    assert store.count_since("escalation", "billing", since, level=2) == 1


def _blank_case() -> Any:
    from detectors.types import Case

    return Case(
        id="c_0000000000000000",
        interaction_key="k",
        platform="generic:crm",
        channel="chat",
        severity="high",
        status="open",
        created_at="2026-03-02T01:30:00Z",
        updated_at="2026-03-02T01:30:00Z",
        team="billing",
    )


@pytest.mark.parametrize("user", ["a|b", "@all", "lin wang"])
def test_wecom_recipient_must_be_one_user_id(user: str) -> None:
    document = json.dumps({"teams": {"a": {"managers": [{"wecom": user}]}}})
    with pytest.raises(ConfigError, match="is not one WeCom user id"):
        parse_disposal(document, "REDLINE_DISPOSAL")
