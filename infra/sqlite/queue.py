"""A durable job queue in SQLite, with leases, retries and a dead-letter state.

Payloads can hold message text, so they are encrypted (Fernet) with a key
from the data folder, and wiped once a job is done.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from infra.errors import StorageError
from infra.ports import Job
from infra.sqlite.db import Database

log = logging.getLogger(__name__)


class SqliteQueue:
    """The local queue: at-least-once delivery under a lease."""

    def __init__(
        self,
        database: Database,
        payload_key: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.database = database
        self._fernet = Fernet(payload_key.encode())
        self._clock = clock

    def enqueue(
        self, kind: str, payload: dict[str, Any], dedupe_key: str | None = None
    ) -> bool:
        job_id = uuid.uuid4().hex
        now = self._clock()
        sealed = self._fernet.encrypt(json.dumps(payload).encode())
        with self.database.transaction() as connection:
            if dedupe_key is not None:
                try:
                    connection.execute(
                        "INSERT INTO deliveries (dedupe_key, job_id, received_at) "
                        "VALUES (?, ?, ?)",
                        (dedupe_key, job_id, now),
                    )
                except sqlite3.IntegrityError:
                    return False
            connection.execute(
                "INSERT INTO jobs (id, kind, payload, status, attempts, available_at, "
                "created_at, dedupe_key) VALUES (?, ?, ?, 'queued', 0, ?, ?, ?)",
                (job_id, kind, sealed, now, now, dedupe_key),
            )
        return True

    def claim(self, lease_seconds: float) -> Job | None:
        now = self._clock()
        with self.database.transaction() as connection:
            row = connection.execute(
                "SELECT id, kind, payload, attempts, dedupe_key FROM jobs "
                "WHERE (status = 'queued' AND available_at <= ?) "
                "OR (status = 'running' AND lease_until < ?) "
                "ORDER BY available_at, created_at LIMIT 1",
                (now, now),
            ).fetchone()
            if row is None:
                return None
            connection.execute(
                "UPDATE jobs SET status = 'running', lease_until = ?, "
                "attempts = attempts + 1 WHERE id = ?",
                (now + lease_seconds, row["id"]),
            )
        try:
            payload = json.loads(self._fernet.decrypt(row["payload"]))
        except (InvalidToken, TypeError, ValueError):
            self.fail(
                row["id"], "payload cannot be decrypted with the current queue key"
            )
            raise StorageError(
                f"job {row['id']} cannot be decrypted; the queue key changed"
            ) from None
        return Job(
            row["id"], row["kind"], payload, row["attempts"] + 1, row["dedupe_key"]
        )

    def extend(self, job_id: str, lease_seconds: float) -> bool:
        with self.database.transaction() as connection:
            cursor = connection.execute(
                "UPDATE jobs SET lease_until = ? WHERE id = ? AND status = 'running'",
                (self._clock() + lease_seconds, job_id),
            )
        return cursor.rowcount == 1

    def recover_orphans(self) -> int:
        """Make every job left 'running' claimable now; return how many there were.

        Call this only while no worker can hold a lease, such as at the start
        of the one gateway that holds the data folder's lock. The interrupted
        attempt still counts towards the job's attempts.
        """
        with self.database.transaction() as connection:
            cursor = connection.execute(
                "UPDATE jobs SET status = 'queued', lease_until = NULL, "
                "available_at = ? WHERE status = 'running'",
                (self._clock(),),
            )
        return cursor.rowcount

    def complete(self, job_id: str) -> None:
        with self.database.transaction() as connection:
            connection.execute(
                "UPDATE jobs SET status = 'done', payload = NULL, lease_until = NULL, "
                "finished_at = ?, last_error = NULL WHERE id = ?",
                (self._clock(), job_id),
            )

    def retry(self, job_id: str, delay_seconds: float, error: str) -> None:
        with self.database.transaction() as connection:
            connection.execute(
                "UPDATE jobs SET status = 'queued', lease_until = NULL, "
                "available_at = ?, last_error = ? WHERE id = ?",
                (self._clock() + delay_seconds, error[:500], job_id),
            )

    def fail(self, job_id: str, error: str) -> None:
        """Dead-letter a job, and forget its delivery so a resend is accepted."""
        with self.database.transaction() as connection:
            connection.execute(
                "UPDATE jobs SET status = 'dead', lease_until = NULL, "
                "finished_at = ?, last_error = ? WHERE id = ?",
                (self._clock(), error[:500], job_id),
            )
            connection.execute("DELETE FROM deliveries WHERE job_id = ?", (job_id,))

    def counts(self) -> dict[str, int]:
        rows = self.database.connection().execute(
            "SELECT status, COUNT(*) AS n FROM jobs GROUP BY status"
        )
        counts = {"queued": 0, "running": 0, "done": 0, "dead": 0}
        counts.update({row["status"]: row["n"] for row in rows})
        return counts

    def dead_jobs(self, limit: int = 50) -> list[dict[str, Any]]:
        """Return dead-lettered jobs without their payloads."""
        rows = self.database.connection().execute(
            "SELECT id, kind, attempts, last_error, created_at, finished_at FROM jobs "
            "WHERE status = 'dead' ORDER BY finished_at DESC LIMIT ?",
            (limit,),
        )
        return [dict(row) for row in rows]
