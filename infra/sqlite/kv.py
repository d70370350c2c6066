"""A small key-value store in the shared SQLite file, for cursors and markers.

Values are JSON. Keep personal data out of them: the store is not encrypted
like queued payloads are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from infra.sqlite.db import Database
from infra.sqlite.ledger import iso, utc_now

SCHEMA = """
CREATE TABLE IF NOT EXISTS key_values (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""


class SqliteKeyValue:
    def __init__(self, database: Database, clock: Callable[[], Any] = utc_now) -> None:
        self.database = database
        self._clock = clock
        self.database.connection().executescript(SCHEMA)

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value stored under `key`, or `default`."""
        row = (
            self.database.connection()
            .execute("SELECT value FROM key_values WHERE key = ?", (key,))
            .fetchone()
        )
        return default if row is None else json.loads(row["value"])

    def set(self, key: str, value: Any) -> None:
        """Store `value` (plain JSON) under `key`, replacing any earlier value."""
        with self.database.transaction() as connection:
            connection.execute(
                "INSERT INTO key_values (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                (key, json.dumps(value), iso(self._clock())),
            )
