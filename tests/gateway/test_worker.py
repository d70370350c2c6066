"""The worker: lease renewal while a handler runs, and stopping."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.pipeline import Outcome
from gateway.worker import LeaseRenewer, Worker
from infra.errors import StorageError
from infra.ports import Job
from infra.sqlite import Database, SqliteQueue
from tests.conftest import FrozenClock

QUEUE_KEY = "N2o3Y3JxVk1hZ2ZlYlE2c3RqR3B3bVZ4dm5lT3h6cDA="


@pytest.fixture
def database(tmp_path: Path) -> Database:
    return Database(tmp_path / "redline.db")


def lease_until(database: Database, job_id: str) -> float:
    row = (
        database.connection()
        .execute("SELECT lease_until FROM jobs WHERE id = ?", (job_id,))
        .fetchone()
    )
    return float(row[0])


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.005)


def lease_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("redline-lease-")]


def test_long_job_is_not_claimed_twice(database: Database, clock: FrozenClock) -> None:
    queue = SqliteQueue(database, QUEUE_KEY, clock=lambda: clock().timestamp())
    queue.enqueue("slow", {})
    second_claims: list[Job | None] = []

    def slow(job: Job) -> Outcome:
        # Lease 30 s: after 25 s a renewal must move the lease to now + 30 s.
        clock.advance(seconds=25)
        renewed_to = clock().timestamp() + 30
        wait_until(lambda: lease_until(database, job.id) >= renewed_to)
        # 50 s after the claim the first lease is long gone, the renewed one not.
        clock.advance(seconds=25)
        second_claims.append(queue.claim(30))
        return Outcome("clean")

    worker = Worker(queue, {"slow": slow}, lease_seconds=30, renew_seconds=0.01)
    assert worker.run_once() is True
    assert second_claims == [None]
    assert queue.counts()["done"] == 1
    assert lease_threads() == []


def test_renewal_defaults_to_a_third_of_the_lease(database: Database) -> None:
    worker = Worker(SqliteQueue(database, QUEUE_KEY), {}, lease_seconds=300)
    assert worker.renew_seconds == 100


def test_renewal_stops_when_handler_fails(
    database: Database, clock: FrozenClock
) -> None:
    queue = SqliteQueue(database, QUEUE_KEY, clock=lambda: clock().timestamp())
    queue.enqueue("bad", {})

    def bad(job: Job) -> Outcome:
        raise RuntimeError("handler bug")

    worker = Worker(queue, {"bad": bad}, renew_seconds=0.01)
    worker.run_once()
    assert lease_threads() == []
    assert queue.counts()["queued"] == 1


class ScriptedQueue:
    """A queue whose `extend` returns scripted results and counts its calls."""

    def __init__(self, *answers: bool | Exception) -> None:
        self.answers = list(answers)
        self.calls = 0

    def extend(self, job_id: str, lease_seconds: float) -> bool:
        self.calls += 1
        answer = self.answers.pop(0) if self.answers else True
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_lost_lease_is_logged_and_renewal_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = ScriptedQueue(False)
    job = Job("j1", "slow", {}, 1)
    with LeaseRenewer(queue, job, 30, 0.001) as renewer:
        wait_until(lambda: not renewer._thread.is_alive())
    assert queue.calls == 1
    assert "job j1 slow: lease lost" in caplog.text


def test_failed_renewal_is_logged_and_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = ScriptedQueue(StorageError("database is unavailable"), True)
    job = Job("j2", "slow", {}, 1)
    with LeaseRenewer(queue, job, 30, 0.001):
        wait_until(lambda: queue.calls >= 2)
    assert "job j2 slow: lease renewal failed (StorageError" in caplog.text
    assert "database is unavailable" not in caplog.text


def test_stop_logs_running_jobs(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    queue = SqliteQueue(database, QUEUE_KEY)
    queue.enqueue("slow", {})
    started = threading.Event()
    release = threading.Event()

    def slow(job: Job) -> Outcome:
        started.set()
        release.wait(10)
        return Outcome("clean")

    worker = Worker(queue, {"slow": slow}, poll_seconds=0.01)
    worker.start(2)
    threads = list(worker._threads)
    assert started.wait(5)
    worker.stop(timeout=0.05)
    release.set()
    for thread in threads:
        thread.join(5)

    assert "stopping; waiting for 1 running job(s)" in caplog.text
    assert "worker stopped with 1 job(s) still running" in caplog.text
    assert queue.counts()["done"] == 1


def test_stop_when_idle_logs_zero_jobs(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    worker = Worker(SqliteQueue(database, QUEUE_KEY), {}, poll_seconds=0.01)
    worker.start(1)
    worker.stop()
    assert "stopping; waiting for 0 running job(s)" in caplog.text
    assert "worker stopped" in caplog.text
    assert worker.running_count() == 0
