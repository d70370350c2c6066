"""One SQLite file shared by the queue, the ledger and the outbox.

Each thread gets its own connection. The file runs in WAL mode so webhook
threads can write while the worker reads, and with `secure_delete` so a
wiped job payload does not linger in free pages. The database file and its
-wal and -shm files have mode 0600, because findings and queued payloads
are personal data.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infra.errors import ConfigError, StorageError

# Suffixes of the files SQLite keeps beside the database in WAL mode.
_WAL_SUFFIXES = ("-wal", "-shm")

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload BLOB,
    status TEXT NOT NULL,            -- queued, running, done, dead
    attempts INTEGER NOT NULL DEFAULT 0,
    available_at REAL NOT NULL,
    lease_until REAL,
    created_at REAL NOT NULL,
    finished_at REAL,
    last_error TEXT,
    dedupe_key TEXT
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (status, available_at);

CREATE TABLE IF NOT EXISTS deliveries (
    dedupe_key TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    received_at REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS cases (
    id TEXT PRIMARY KEY,
    interaction_key TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL,
    channel TEXT NOT NULL,
    source TEXT NOT NULL,
    agent_id TEXT,
    team TEXT,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    behaviours TEXT NOT NULL,
    sla_deadline TEXT,
    resolution_note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_status ON cases (status, created_at);

CREATE TABLE IF NOT EXISTS findings (
    case_id TEXT NOT NULL REFERENCES cases (id),
    finding_key TEXT NOT NULL,
    segment TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    type TEXT NOT NULL,
    form TEXT NOT NULL,
    behaviour TEXT,
    severity TEXT NOT NULL,
    rule TEXT NOT NULL,
    confidence REAL NOT NULL,
    masked TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    excerpt TEXT NOT NULL,
    suggestion TEXT NOT NULL,
    explanation TEXT NOT NULL,
    start_ms INTEGER,
    end_ms INTEGER,
    created_at TEXT NOT NULL,
    report_id TEXT,
    PRIMARY KEY (case_id, finding_key)
);
CREATE INDEX IF NOT EXISTS findings_fingerprint ON findings (fingerprint);

CREATE TABLE IF NOT EXISTS case_history (
    case_id TEXT NOT NULL REFERENCES cases (id),
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    platform TEXT NOT NULL,
    target TEXT NOT NULL,
    action TEXT NOT NULL,
    payload TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    throttle_key TEXT,
    team TEXT,
    agent_id TEXT,
    behaviour TEXT,
    severity TEXT,
    level INTEGER NOT NULL DEFAULT 0,
    count INTEGER NOT NULL DEFAULT 1,
    case_ids TEXT NOT NULL DEFAULT '[]',
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_throttle ON alerts (throttle_key, created_at);
CREATE INDEX IF NOT EXISTS alerts_state ON alerts (state, created_at);

CREATE TABLE IF NOT EXISTS alert_deliveries (
    alert_id INTEGER NOT NULL REFERENCES alerts (id),
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    ref TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    sent_at TEXT,
    PRIMARY KEY (alert_id, channel, target)
);

CREATE TABLE IF NOT EXISTS alert_cases (
    alert_id INTEGER NOT NULL REFERENCES alerts (id),
    case_id TEXT NOT NULL,
    PRIMARY KEY (alert_id, case_id)
);
CREATE INDEX IF NOT EXISTS alert_cases_case ON alert_cases (case_id);

CREATE TABLE IF NOT EXISTS training (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id TEXT NOT NULL,
    team TEXT,
    behaviour TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    reason TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    completed_at TEXT,
    completed_by TEXT
);
CREATE INDEX IF NOT EXISTS training_agent ON training (agent_id, behaviour);
"""

# Columns added after a table was first released: (table, column, definition).
# `CREATE TABLE IF NOT EXISTS` leaves an existing table as it is, so each
# column here is added to older databases when they are opened. Append only.
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("cases", "alert_level", "INTEGER"),
    # JSON: masked neighbouring utterances of a voice finding, with times.
    ("findings", "context", "TEXT"),
)


class Database:
    """A SQLite file with a connection per thread and the Redline schema."""

    def __init__(self, path: Path) -> None:
        """Open or create the database at `path` and apply the schema.

        Raise `ConfigError` when `path` is a folder or not a SQLite database,
        and `StorageError` when the file cannot be opened or created.
        """
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        if path.is_dir():
            raise ConfigError(
                f"database {path} is a folder, not a SQLite file; move the folder "
                "away or set REDLINE_DATA_DIR to another folder"
            )
        _create_private(path)
        try:
            self.connection().executescript(SCHEMA)
            self._add_columns()
        except sqlite3.OperationalError as error:
            self.close()
            raise StorageError(
                f"cannot open the database {path} ({error}); check that the file "
                "and its folder are readable and writable"
            ) from None
        except sqlite3.DatabaseError as error:
            self.close()
            raise ConfigError(
                f"database {path} is not a usable SQLite database ({error}); move "
                "it aside to start with an empty ledger and queue, or restore it "
                "from a backup"
            ) from None

    def _add_columns(self) -> None:
        """Add the columns of `ADDED_COLUMNS` that an older file lacks."""
        connection = self.connection()
        for table, column, definition in ADDED_COLUMNS:
            present = {
                row["name"] for row in connection.execute(f"PRAGMA table_info({table})")
            }
            if column not in present:
                connection.execute(
                    f"ALTER TABLE {table} ADD COLUMN {column} {definition}"
                )

    def connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            try:
                connection = sqlite3.connect(
                    self.path, timeout=30, isolation_level=None, check_same_thread=False
                )
            except sqlite3.Error as error:
                raise StorageError(
                    f"cannot open the database at {self.path}: {error}"
                ) from error
            connection.row_factory = sqlite3.Row
            try:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
                connection.execute("PRAGMA secure_delete=ON")
                connection.execute("PRAGMA foreign_keys=ON")
            except sqlite3.Error:
                connection.close()
                raise
            self._local.connection = connection
        return connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block in one write transaction, committed on success."""
        connection = self.connection()
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise StorageError(f"database is unavailable: {error}") from error
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        else:
            connection.execute("COMMIT")

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


def _create_private(path: Path) -> None:
    """Create the database file with mode 0600 and tighten any looser mode.

    SQLite gives the -wal and -shm files it creates the mode of the database
    file, so creating that file first is enough for new files.
    """
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise StorageError(
            f"cannot create the database {path} ({error.strerror}); check that "
            "its folder is writable"
        ) from None
    os.close(descriptor)
    for name in (str(path), *(str(path) + suffix for suffix in _WAL_SUFFIXES)):
        if os.path.exists(name) and os.stat(name).st_mode & 0o077:
            os.chmod(name, 0o600)
