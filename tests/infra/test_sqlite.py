"""The SQLite queue, ledger and outbox, and the secrets kept beside them."""

from __future__ import annotations

import datetime
import os
import stat
from pathlib import Path

import pytest

from detectors.types import Finding
from infra.config import Settings, unknown_variables
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


def test_extend_keeps_a_running_job_leased(
    database: Database, clock: FrozenClock
) -> None:
    queue = SqliteQueue(database, QUEUE_KEY, clock=lambda: clock().timestamp())
    queue.enqueue("k", {})
    job = queue.claim(30)
    assert job is not None
    clock.advance(seconds=25)
    assert queue.extend(job.id, 30) is True
    clock.advance(seconds=25)
    assert queue.claim(30) is None
    clock.advance(seconds=6)
    again = queue.claim(30)
    assert again is not None
    assert again.id == job.id


def test_extend_reports_a_job_no_longer_running(
    database: Database, clock: FrozenClock
) -> None:
    queue = SqliteQueue(database, QUEUE_KEY, clock=lambda: clock().timestamp())
    queue.enqueue("k", {})
    job = queue.claim(30)
    assert job is not None
    queue.complete(job.id)
    assert queue.extend(job.id, 30) is False
    assert queue.extend("no-such-job", 30) is False
    assert queue.counts()["done"] == 1


def test_recover_orphans_requeues_running_jobs_now(
    database: Database, clock: FrozenClock
) -> None:
    queue = SqliteQueue(database, QUEUE_KEY, clock=lambda: clock().timestamp())
    queue.enqueue("k", {"n": 1})
    queue.enqueue("k", {"n": 2})
    orphan = queue.claim(300)
    assert orphan is not None
    assert queue.recover_orphans() == 1
    assert queue.counts()["running"] == 0
    first = queue.claim(300)
    second = queue.claim(300)
    assert first is not None and second is not None
    assert {first.payload["n"], second.payload["n"]} == {1, 2}
    recovered = first if first.id == orphan.id else second
    assert recovered.attempts == 2
    assert queue.recover_orphans() == 2


def test_recover_orphans_leaves_other_states(
    database: Database, clock: FrozenClock
) -> None:
    queue = SqliteQueue(database, QUEUE_KEY, clock=lambda: clock().timestamp())
    for _ in range(3):
        queue.enqueue("k", {})
    done = queue.claim(30)
    dead = queue.claim(30)
    assert done is not None and dead is not None
    queue.complete(done.id)
    queue.fail(dead.id, "gone")
    assert queue.recover_orphans() == 0
    assert queue.counts() == {"queued": 1, "running": 0, "done": 1, "dead": 1}


# --- database files ------------------------------------------------------------


def test_database_files_are_private(tmp_path: Path, clock: FrozenClock) -> None:
    path = tmp_path / "redline.db"
    database = Database(path)
    SqliteQueue(database, QUEUE_KEY).enqueue("k", {"n": 1})
    names = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    for name in names:
        assert name.exists(), name
        assert stat.S_IMODE(os.stat(name).st_mode) == 0o600, name
    database.close()


def test_loose_database_mode_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "redline.db"
    Database(path).close()
    os.chmod(path, 0o644)
    Database(path).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_database_that_is_a_folder_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "redline.db"
    path.mkdir()
    with pytest.raises(ConfigError, match="is a folder, not a SQLite file"):
        Database(path)


@pytest.mark.parametrize(
    "content", [b"this is not a database at all" * 40, b"\x00" * 4096]
)
def test_database_that_is_not_sqlite_is_a_config_error(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "redline.db"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="not a usable SQLite database") as caught:
        Database(path)
    assert str(path) in str(caught.value)
    assert "move it aside" in str(caught.value)


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


def test_cases_with_equal_times_keep_order(
    database: Database, clock: FrozenClock
) -> None:
    ledger = SqliteLedger(database, clock=clock)
    keys = [f"i{number}" for number in range(8)]
    for key in keys:
        ledger.record(key, "zendesk", "ticket", {}, [finding()])
    listed = [case.interaction_key for case in ledger.list_cases()]
    assert listed == keys[::-1]
    found = [c.interaction_key for c in ledger.cases_with_fingerprint("f" * 32)]
    assert found == keys


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


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"\xff\xfe not text", "not UTF-8 text"), (b"   \n", "is empty")],
)
def test_unreadable_secret_file_is_a_config_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "keys" / "k"
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=message) as caught:
        load_or_create_secret(path)
    assert str(path) in str(caught.value)


def test_secret_path_that_is_a_folder_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "k"
    path.mkdir(parents=True)
    with pytest.raises(ConfigError, match="not a regular file"):
        load_or_create_secret(path)


def test_keys_folder_that_is_a_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "keys").write_text("x")
    with pytest.raises(ConfigError, match="cannot create the folder .*keys"):
        load_or_create_secret(tmp_path / "keys" / "k")


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
        ({"REDLINE_FINGERPRINT_KEY": "short-key"}, "has 9 characters; use at least 16"),
        (
            {
                "REDLINE_ZENDESK_EMAIL": "a@example.com",
                "REDLINE_ZENDESK_API_TOKEN": "t",
            },
            "REDLINE_ZENDESK_EMAIL and REDLINE_ZENDESK_API_TOKEN are set but "
            "REDLINE_ZENDESK_SUBDOMAIN is missing",
        ),
        (
            {"REDLINE_ZENDESK_OAUTH_TOKEN": "t"},
            "REDLINE_ZENDESK_OAUTH_TOKEN is set but REDLINE_ZENDESK_SUBDOMAIN is missing",
        ),
        (
            {"REDLINE_ZENDESK_SUBDOMAIN": "acme", "REDLINE_ZENDESK_EMAIL": "a@b.c"},
            "REDLINE_ZENDESK_API_TOKEN is missing",
        ),
        (
            {"REDLINE_ZENDESK_SUBDOMAIN": "acme", "REDLINE_ZENDESK_API_TOKEN": "t"},
            "REDLINE_ZENDESK_EMAIL is missing",
        ),
        ({"REDLINE_HOST": "not a host"}, "REDLINE_HOST is 'not a host'"),
        ({"REDLINE_HOST": "256.1.1.1"}, "neither an IP address nor a host name"),
        ({"REDLINE_HOST": "-bad-.example"}, "REDLINE_HOST"),
        ({"REDLINE_HOST": " "}, "REDLINE_HOST is ''"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "0.0.0.0", "::1", "localhost", "gateway-1.internal."]
)
def test_valid_hosts_are_accepted(host: str) -> None:
    assert Settings.from_env({"REDLINE_HOST": host}).host == host


def test_fingerprint_key_of_16_characters_is_accepted() -> None:
    settings = Settings.from_env({"REDLINE_FINGERPRINT_KEY": "  " + "k" * 16 + " "})
    assert settings.fingerprint_key == "k" * 16


def test_complete_zendesk_settings_are_accepted() -> None:
    settings = Settings.from_env(
        {
            "REDLINE_ZENDESK_SUBDOMAIN": "acme",
            "REDLINE_ZENDESK_EMAIL": "a@example.com",
            "REDLINE_ZENDESK_API_TOKEN": " t ",
        }
    )
    assert settings.zendesk.has_credentials is True
    assert settings.zendesk.api_token == "t"


def test_unknown_variables_are_listed_with_hints() -> None:
    env = {
        "REDLINE_WORKER": "2",
        "REDLINE_PORT": "8080",
        "REDLINE_ZZZ": "1",
        "OTHER_THING": "x",
    }
    assert unknown_variables(env) == [
        "REDLINE_WORKER (did you mean REDLINE_WORKERS?)",
        "REDLINE_ZZZ",
    ]
    assert unknown_variables({"REDLINE_PORT": "1"}) == []


def test_webhook_secrets_are_split_on_commas() -> None:
    settings = Settings.from_env({"REDLINE_ZENDESK_WEBHOOK_SECRETS": "one, two ,"})
    assert settings.zendesk.webhook_secrets == ("one", "two")


def test_clock_is_utc(clock: FrozenClock) -> None:
    assert clock().utcoffset() == datetime.timedelta(0)
