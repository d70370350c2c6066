"""The embedded default backend: one SQLite file for queue, ledger and outbox."""

from infra.sqlite.db import Database
from infra.sqlite.ledger import SqliteLedger
from infra.sqlite.outbox import SqliteOutbox
from infra.sqlite.queue import SqliteQueue

__all__ = ["Database", "SqliteLedger", "SqliteOutbox", "SqliteQueue"]
