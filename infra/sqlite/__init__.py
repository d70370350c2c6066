"""The embedded default backend: one SQLite file for queue, ledger, outbox and key-values."""

from infra.sqlite.db import Database
from infra.sqlite.kv import SqliteKeyValue
from infra.sqlite.ledger import SqliteLedger
from infra.sqlite.outbox import SqliteOutbox
from infra.sqlite.queue import SqliteQueue

__all__ = ["Database", "SqliteKeyValue", "SqliteLedger", "SqliteOutbox", "SqliteQueue"]
