"""The SQLite queue, ledger and outbox, and the secrets kept beside them."""

from __future__ import annotations

import datetime
import os
import stat
from pathlib import Path

import pytest

from detectors.types import Finding
from infra.config import Settings
from infra.errors import ConfigError, StorageError
from infra.keys import load_or_create_secret
from infra.sqlite import Database, SqliteLedger, SqliteOutbox, SqliteQueue
from tests.conftest import FrozenClock

QUEUE_KEY = "N2o3Y3JxVk1hZ2ZlYlE2c3RqR3B3bVZ4dm5lT3h6cDA="


def finding(
    start: int = 0, severity: str = "medium", behaviour: str | None = "unmasked_record"
) -> Finding:
    return Finding(
        segment="s1",
        start=start,
        end=start + 18,
        type="CN_RESIDENT_ID",
        form="full",
        behaviour=behaviour,
        severity=severity,
        rule="cn_resident_id",
        confidence=0.9,
        masked="1101**********1234",
        fingerprint="f" * 32,
    )


@pytest.fixture
def database(tmp_path: Path) -> Database:
    return Database(tmp_path / "redline.db")


# --- queue -----------------------------------------------------------------


def test_queue_round_trip_and_dedupe(database: Database, clock: FrozenClock) -> None:
    queue = SqliteQueue(database, QUEUE_KEY, clock=lambda: clock().timestamp())
    assert queue.enqueue("k", {"text": "秘密"}, dedupe_key="d1") is True
    assert queue.enqueue("k", {"text": "秘密"}, dedupe_key="d1") is False
    job = queue.claim(60)
    assert job is not None
    assert job.payload == {"text": "秘密"}
    assert job.attempts == 1
    assert queue.claim(60) is None
    queue.complete(job.id)
    assert queue.counts()["done"] == 1


def test_queue_payload_is_encrypted_and_wiped(
    database: Database, clock: FrozenClock
) -> None:
    queue = SqliteQueue(database, QUEUE_KEY, clock=lambda: clock().timestamp())
    queue.enqueue("k", {"text": "plain-marker-4711"})
    raw = database.connection().execute("SELECT payload FROM jobs").fetchone()[0]
    assert b"plain-marker-4711" not in raw
    job = queue.claim(60)
    assert job is not None
    queue.complete(job.id)
    assert (
        database.connection().execute("SELECT payload FROM jobs").fetchone()[0] is None
    )


def test_expired_lease_makes_job_claimable_again(
    database: Database, clock: FrozenClock
) -> None:
    queue = SqliteQueue(database, QUEUE_KEY, clock=lambda: clock().timestamp())
    queue.enqueue("k", {})
    first = queue.claim(30)
    assert first is not None
    clock.advance(seconds=31)
    again = queue.claim(30)
    assert again is not None
    assert again.id == first.id
    assert again.attempts == 2


def test_retry_waits_for_its_delay(database: Database, clock: FrozenClock) -> None:
    queue = SqliteQueue(database, QUEUE_KEY, clock=lambda: clock().timestamp())
    queue.enqueue("k", {})
    job = queue.claim(30)
    assert job is not None
    queue.retry(job.id, 10, "busy")
    assert queue.claim(30) is None
    clock.advance(seconds=11)
    assert queue.claim(30) is not None


def test_dead_jobs_keep_error_not_payload(
    database: Database, clock: FrozenClock
) -> None:
    queue = SqliteQueue(database, QUEUE_KEY, clock=lambda: clock().timestamp())
    queue.enqueue("k", {"x": 1})
    job = queue.claim(30)
    assert job is not None
    queue.fail(job.id, "ticket not found")
    (dead,) = queue.dead_jobs()
    assert dead["last_error"] == "ticket not found"
    assert "payload" not in dead


def test_queue_with_a_different_key_cannot_read_old_jobs(
    database: Database, clock: FrozenClock
) -> None:
    SqliteQueue(database, QUEUE_KEY).enqueue("k", {"x": 1})
    other = SqliteQueue(database, "b3RoZXJrZXlvdGhlcmtleW90aGVya2V5b3RoZXJrZXk=")
    with pytest.raises(StorageError, match="queue key changed"):
        other.claim(30)
    assert other.counts()["dead"] == 1


def test_queue_survives_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    SqliteQueue(Database(path), QUEUE_KEY).enqueue("k", {"n": 7})
    job = SqliteQueue(Database(path), QUEUE_KEY).claim(30)
    assert job is not None
    assert job.payload == {"n": 7}


# --- ledger ----------------------------------------------------------------


def test_ledger_adds_each_finding_once(database: Database, clock: FrozenClock) -> None:
    ledger = SqliteLedger(database, clock=clock)
    first = ledger.record("i1", "zendesk", "ticket", {}, [finding()])
    assert first is not None
    assert first.created is True
    assert len(first.new_findings) == 1
    again = ledger.record("i1", "zendesk", "ticket", {}, [finding()])
    assert again is not None
    assert again.created is False
    assert again.new_findings == []


def test_ledger_opens_no_case_without_behaviour(
    database: Database, clock: FrozenClock
) -> None:
    ledger = SqliteLedger(database, clock=clock)
    assert (
        ledger.record("i1", "zendesk", "ticket", {}, [finding(behaviour=None)]) is None
    )
    assert ledger.list_cases() == []


def test_ledger_sets_sla_by_severity(database: Database, clock: FrozenClock) -> None:
    ledger = SqliteLedger(database, clock=clock)
    update = ledger.record("i1", "zendesk", "ticket", {}, [finding(severity="high")])
    assert update is not None
    assert update.case.sla_deadline == "2026-03-02T10:30:00Z"
    assert update.case.history[0].action == "opened"


def test_higher_severity_tightens_the_deadline(
    database: Database, clock: FrozenClock
) -> None:
    ledger = SqliteLedger(database, clock=clock)
    ledger.record("i1", "zendesk", "ticket", {}, [finding(0, "medium")])
    clock.advance(minutes=10)
    update = ledger.record("i1", "zendesk", "ticket", {}, [finding(40, "high")])
    assert update is not None
    assert update.case.severity == "high"
    assert update.case.sla_deadline == "2026-03-02T10:40:00Z"


def test_unreported_then_marked(database: Database, clock: FrozenClock) -> None:
    ledger = SqliteLedger(database, clock=clock)
    update = ledger.record("i1", "zendesk", "ticket", {}, [finding(0), finding(30)])
    assert update is not None
    pending = ledger.unreported(update.case.id)
    assert len(pending) == 2
    ledger.mark_reported(update.case.id, [f.key for f in pending], "r-000000000001")
    assert ledger.unreported(update.case.id) == []


def test_closed_case_reopens_on_new_findings(
    database: Database, clock: FrozenClock
) -> None:
    ledger = SqliteLedger(database, clock=clock)
    update = ledger.record("i1", "zendesk", "ticket", {}, [finding(0)])
    assert update is not None
    database.connection().execute(
        "UPDATE cases SET status = 'resolved' WHERE id = ?", (update.case.id,)
    )
    reopened = ledger.record("i1", "zendesk", "ticket", {}, [finding(50)])
    assert reopened is not None
    assert reopened.case.status == "open"
    assert [e.action for e in reopened.case.history] == ["opened", "reopened"]


def test_cases_found_by_fingerprint(database: Database, clock: FrozenClock) -> None:
    ledger = SqliteLedger(database, clock=clock)
    ledger.record("i1", "zendesk", "ticket", {}, [finding()])
    ledger.record("i2", "zendesk", "ticket", {}, [finding()])
    assert len(ledger.cases_with_fingerprint("f" * 32)) == 2
    assert ledger.cases_with_fingerprint("0" * 32) == []


def test_outbox_lists_newest_first(database: Database, clock: FrozenClock) -> None:
    outbox = SqliteOutbox(database, clock=clock)
    outbox.add("zendesk", "t/1", "add_tags", {"tags": ["a"]})
    outbox.add("zendesk", "t/1", "add_private_note", {"comment": {}})
    assert [e.action for e in outbox.list()] == ["add_private_note", "add_tags"]


# --- keys and configuration --------------------------------------------------


def test_generated_secret_is_private_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "fingerprint.key"
    first = load_or_create_secret(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_secret(path) == first


def test_loose_secret_file_mode_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "k"
    load_or_create_secret(path)
    os.chmod(path, 0o644)
    load_or_create_secret(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_settings_from_env_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.host == "127.0.0.1"
    assert settings.port == 8080
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.zendesk.has_credentials is False


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REDLINE_PORT": "eighty"}, "REDLINE_PORT must be a whole number"),
        ({"REDLINE_PORT": "70000"}, "outside 1..65535"),
        ({"REDLINE_LOG_LEVEL": "LOUD"}, "REDLINE_LOG_LEVEL"),
        ({"REDLINE_ZENDESK_SUBDOMAIN": "acme.zendesk.com"}, "subdomain only"),
        ({"REDLINE_ZENDESK_SUBDOMAIN": "acme"}, "no credentials"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_webhook_secrets_are_split_on_commas() -> None:
    settings = Settings.from_env({"REDLINE_ZENDESK_WEBHOOK_SECRETS": "one, two ,"})
    assert settings.zendesk.webhook_secrets == ("one", "two")


def test_clock_is_utc(clock: FrozenClock) -> None:
    assert clock().utcoffset() == datetime.timedelta(0)
