"""The local outbox: write-backs recorded instead of sent, for review."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from infra.ports import OutboxEntry
from infra.sqlite.db import Database
from infra.sqlite.ledger import iso, utc_now

log = logging.getLogger(__name__)


class SqliteOutbox:
    def __init__(self, database: Database, clock: Callable[[], Any] = utc_now) -> None:
        self.database = database
        self._clock = clock

    def add(
        self, platform: str, target: str, action: str, payload: dict[str, Any]
    ) -> int:
        """Record one intended write-back; the payload must already be masked."""
        with self.database.transaction() as connection:
            cursor = connection.execute(
                "INSERT INTO outbox (created_at, platform, target, action, payload) "
                "VALUES (?, ?, ?, ?, ?)",
                (iso(self._clock()), platform, target, action, json.dumps(payload)),
            )
        entry_id = int(cursor.lastrowid or 0)
        log.info("outbox %s: %s %s on %s", entry_id, platform, action, target)
        return entry_id

    def list(self, limit: int = 100) -> list[OutboxEntry]:
        rows = self.database.connection().execute(
            "SELECT * FROM outbox ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [
            OutboxEntry(
                row["id"],
                row["created_at"],
                row["platform"],
                row["target"],
                row["action"],
                json.loads(row["payload"]),
            )
            for row in rows
        ]
