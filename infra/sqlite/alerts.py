"""Alerts sent, their deliveries per channel, and training assignments, in SQLite.

An alert row is created under a unique key before anything is sent, so two
workers never send the same alert. Its state is `pending` until every
channel has been tried, then `sent`. The row's body is the masked `Alert`
as JSON, kept so a failed delivery can be retried and a Slack message
updated when its case changes.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from infra.alerts import Alert, Delivery
from infra.sqlite.db import Database
from infra.sqlite.ledger import iso, utc_now

# Tries of one delivery before it is given up.
MAX_DELIVERY_ATTEMPTS = 5


@dataclass
class StoredAlert:
    id: int
    alert: Alert
    throttle_key: str | None
    agent_id: str | None
    behaviour: str | None
    level: int
    state: str
    created_at: str
    case_ids: list[str]


@dataclass
class StoredDelivery:
    alert_id: int
    channel: str
    target: str
    ref: str
    error: str
    attempts: int
    sent_at: str | None


@dataclass
class Assignment:
    id: int
    agent_id: str
    team: str | None
    behaviour: str
    title: str
    url: str
    reason: str
    assigned_at: str
    completed_at: str | None = None
    completed_by: str | None = None


class SqliteAlertStore:
    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime.datetime] = utc_now,
    ) -> None:
        self.database = database
        self._clock = clock

    # -- alerts ---------------------------------------------------------

    def create(
        self,
        alert: Alert,
        throttle_key: str | None = None,
        agent_id: str | None = None,
        behaviour: str | None = None,
        level: int = 0,
    ) -> int | None:
        """Store a new alert; return its id, or None if its key exists."""
        stamp = iso(self._clock())
        with self.database.transaction() as connection:
            return self._insert(
                connection, alert, throttle_key, agent_id, behaviour, level, stamp
            )

    @staticmethod
    def _insert(
        connection: sqlite3.Connection,
        alert: Alert,
        throttle_key: str | None,
        agent_id: str | None,
        behaviour: str | None,
        level: int,
        stamp: str,
    ) -> int | None:
        cursor = connection.execute(
            "INSERT OR IGNORE INTO alerts (key, kind, throttle_key, team, "
            "agent_id, behaviour, severity, level, count, case_ids, body, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', "
            "?, ?, ?)",
            (
                alert.key,
                alert.kind,
                throttle_key,
                alert.team,
                agent_id,
                behaviour,
                alert.severity,
                level,
                alert.count,
                json.dumps(asdict(alert)),
                stamp,
                stamp,
            ),
        )
        if cursor.rowcount != 1:
            return None
        alert_id = int(cursor.lastrowid or 0)
        if alert.case_id:
            connection.execute(
                "INSERT OR IGNORE INTO alert_cases (alert_id, case_id) VALUES (?, ?)",
                (alert_id, alert.case_id),
            )
        return alert_id

    def throttled(self, throttle_key: str, since: str) -> StoredAlert | None:
        """Return the latest alert with `throttle_key` created since `since`."""
        row = (
            self.database.connection()
            .execute(
                "SELECT * FROM alerts WHERE throttle_key = ? AND created_at >= ? "
                "ORDER BY created_at DESC, id DESC LIMIT 1",
                (throttle_key, since),
            )
            .fetchone()
        )
        return self._stored(row) if row else None

    def count_since(
        self, kind: str, team: str | None, since: str, level: int = 0
    ) -> int:
        """Count alerts of `kind` and escalation `level` for `team` since `since`."""
        (count,) = (
            self.database.connection()
            .execute(
                "SELECT COUNT(*) FROM alerts WHERE kind = ? AND team IS ? "
                "AND level = ? AND created_at >= ?",
                (kind, team, level, since),
            )
            .fetchone()
        )
        return int(count)

    def create_or_fold(
        self,
        alert: Alert,
        throttle_key: str,
        since: str,
        fold: Callable[[Alert, int, int], Alert],
        agent_id: str | None = None,
        behaviour: str | None = None,
        level: int = 0,
    ) -> tuple[int, Alert, bool] | None:
        """Store `alert`, or count its case into the alert throttled since `since`.

        Both happen in one write transaction, so two processes never make
        two alerts of one throttle key in a window, nor lose a count.
        `fold(earlier, count, alert id)` returns the earlier alert's new body for a
        count of `count` cases. Return (alert id, body, created), or None
        when the case was counted in already or the alert's key is taken.
        """
        stamp = iso(self._clock())
        with self.database.transaction() as connection:
            row = connection.execute(
                "SELECT * FROM alerts WHERE throttle_key = ? AND created_at >= ? "
                "ORDER BY created_at DESC, id DESC LIMIT 1",
                (throttle_key, since),
            ).fetchone()
            if row is not None and not self._open_for(connection, row["id"], alert):
                row = None
            if row is None:
                alert_id = self._insert(
                    connection, alert, throttle_key, agent_id, behaviour, level, stamp
                )
                return None if alert_id is None else (alert_id, alert, True)
            alert_id = row["id"]
            if alert.case_id:
                cursor = connection.execute(
                    "INSERT OR IGNORE INTO alert_cases (alert_id, case_id) "
                    "VALUES (?, ?)",
                    (alert_id, alert.case_id),
                )
                if cursor.rowcount != 1:
                    return None
            (count,) = connection.execute(
                "SELECT COUNT(*) FROM alert_cases WHERE alert_id = ?", (alert_id,)
            ).fetchone()
            body = fold(Alert(**json.loads(row["body"])), int(count), alert_id)
            connection.execute(
                "UPDATE alerts SET count = ?, body = ?, updated_at = ? WHERE id = ?",
                (body.count, json.dumps(asdict(body)), stamp, alert_id),
            )
        return alert_id, body, False

    @staticmethod
    def _open_for(connection: sqlite3.Connection, alert_id: int, alert: Alert) -> bool:
        """Tell whether a case may be counted into alert `alert_id`.

        Only while every case of that alert is still open and the case is
        not in it yet: a case counted into a message someone has already
        acknowledged or closed, or a case raised again, would go unseen.
        """
        if alert.case_id:
            seen = connection.execute(
                "SELECT 1 FROM alert_cases WHERE alert_id = ? AND case_id = ?",
                (alert_id, alert.case_id),
            ).fetchone()
            if seen:
                return False
        handled = connection.execute(
            "SELECT 1 FROM alert_cases a JOIN cases c ON c.id = a.case_id "
            "WHERE a.alert_id = ? AND c.status != 'open' LIMIT 1",
            (alert_id,),
        ).fetchone()
        return handled is None

    def update_body(
        self, alert_id: int, change: Callable[[Alert, list[str]], Alert]
    ) -> Alert | None:
        """Rewrite an alert's body in one transaction: `change(body, case ids)`."""
        with self.database.transaction() as connection:
            row = connection.execute(
                "SELECT body FROM alerts WHERE id = ?", (alert_id,)
            ).fetchone()
            if row is None:
                return None
            case_ids = [
                r["case_id"]
                for r in connection.execute(
                    "SELECT case_id FROM alert_cases WHERE alert_id = ? ORDER BY rowid",
                    (alert_id,),
                )
            ]
            body = change(Alert(**json.loads(row["body"])), case_ids)
            connection.execute(
                "UPDATE alerts SET body = ?, updated_at = ? WHERE id = ?",
                (json.dumps(asdict(body)), iso(self._clock()), alert_id),
            )
        return body

    def exhausted(self, limit: int = 50) -> list[StoredAlert]:
        """Return sent alerts whose every delivery failed for good.

        An alert whose outbox copy was made has a delivery without error,
        so it is not returned again.
        """
        rows = self.database.connection().execute(
            "SELECT * FROM alerts a WHERE state = 'sent' AND EXISTS "
            "(SELECT 1 FROM alert_deliveries d WHERE d.alert_id = a.id) "
            "AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE "
            "d.alert_id = a.id AND (d.error = '' OR d.attempts < ?)) "
            "ORDER BY created_at, id LIMIT ?",
            (MAX_DELIVERY_ATTEMPTS, limit),
        )
        return [self._stored(row) for row in rows]

    def get(self, alert_id: int) -> StoredAlert | None:
        row = (
            self.database.connection()
            .execute("SELECT * FROM alerts WHERE id = ?", (alert_id,))
            .fetchone()
        )
        return self._stored(row) if row else None

    def for_case(self, case_id: str) -> list[StoredAlert]:
        """Return every alert that names the case, oldest first."""
        rows = self.database.connection().execute(
            "SELECT a.* FROM alerts a JOIN alert_cases c ON c.alert_id = a.id "
            "WHERE c.case_id = ? ORDER BY a.created_at, a.id",
            (case_id,),
        )
        return [self._stored(row) for row in rows]

    def recent(self, limit: int = 100) -> list[StoredAlert]:
        rows = self.database.connection().execute(
            "SELECT * FROM alerts ORDER BY created_at DESC, id DESC LIMIT ?", (limit,)
        )
        return [self._stored(row) for row in rows]

    def unfinished(self, older_than: str, limit: int = 50) -> list[StoredAlert]:
        """Return alerts still pending, or with a failed delivery left to retry."""
        rows = self.database.connection().execute(
            "SELECT * FROM alerts WHERE updated_at <= ? AND (state = 'pending' OR "
            "id IN (SELECT alert_id FROM alert_deliveries WHERE error != '' "
            "AND attempts < ?)) ORDER BY created_at, id LIMIT ?",
            (older_than, MAX_DELIVERY_ATTEMPTS, limit),
        )
        return [self._stored(row) for row in rows]

    def record_deliveries(self, alert_id: int, deliveries: list[Delivery]) -> None:
        """Record what each channel did; a success clears an earlier error."""
        stamp = iso(self._clock())
        with self.database.transaction() as connection:
            for delivery in deliveries:
                connection.execute(
                    "INSERT INTO alert_deliveries (alert_id, channel, target, ref, "
                    "error, attempts, sent_at) VALUES (?, ?, ?, ?, ?, 1, ?) "
                    "ON CONFLICT (alert_id, channel, target) DO UPDATE SET "
                    "ref = CASE WHEN excluded.ref != '' THEN excluded.ref ELSE ref END, "
                    "error = excluded.error, attempts = attempts + 1, "
                    "sent_at = COALESCE(excluded.sent_at, sent_at)",
                    (
                        alert_id,
                        delivery.channel,
                        delivery.target,
                        delivery.ref,
                        delivery.error,
                        None if delivery.error else stamp,
                    ),
                )
            connection.execute(
                "UPDATE alerts SET state = 'sent', updated_at = ? WHERE id = ?",
                (stamp, alert_id),
            )

    def deliveries(self, alert_id: int) -> list[StoredDelivery]:
        rows = self.database.connection().execute(
            "SELECT * FROM alert_deliveries WHERE alert_id = ? ORDER BY channel, target",
            (alert_id,),
        )
        return [
            StoredDelivery(
                row["alert_id"],
                row["channel"],
                row["target"],
                row["ref"],
                row["error"],
                row["attempts"],
                row["sent_at"],
            )
            for row in rows
        ]

    def _stored(self, row: Any) -> StoredAlert:
        body = json.loads(row["body"])
        case_ids = [
            r["case_id"]
            for r in self.database.connection().execute(
                "SELECT case_id FROM alert_cases WHERE alert_id = ? ORDER BY rowid",
                (row["id"],),
            )
        ]
        return StoredAlert(
            id=row["id"],
            alert=Alert(**body),
            throttle_key=row["throttle_key"],
            agent_id=row["agent_id"],
            behaviour=row["behaviour"],
            level=row["level"],
            state=row["state"],
            created_at=row["created_at"],
            case_ids=case_ids,
        )

    # -- training -------------------------------------------------------

    def open_assignment(self, agent_id: str, behaviour: str) -> Assignment | None:
        row = (
            self.database.connection()
            .execute(
                "SELECT * FROM training WHERE agent_id = ? AND behaviour = ? "
                "AND completed_at IS NULL ORDER BY id DESC LIMIT 1",
                (agent_id, behaviour),
            )
            .fetchone()
        )
        return _assignment(row) if row else None

    def assign(
        self,
        agent_id: str,
        team: str | None,
        behaviour: str,
        title: str,
        url: str,
        reason: str,
    ) -> Assignment | None:
        """Assign a module unless the agent has it open; None if they do."""
        stamp = iso(self._clock())
        with self.database.transaction() as connection:
            existing = connection.execute(
                "SELECT id FROM training WHERE agent_id = ? AND behaviour = ? "
                "AND completed_at IS NULL",
                (agent_id, behaviour),
            ).fetchone()
            if existing:
                return None
            cursor = connection.execute(
                "INSERT INTO training (agent_id, team, behaviour, title, url, reason, "
                "assigned_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (agent_id, team, behaviour, title, url, reason, stamp),
            )
        return Assignment(
            int(cursor.lastrowid or 0),
            agent_id,
            team,
            behaviour,
            title,
            url,
            reason,
            stamp,
        )

    def complete(
        self, assignment_id: int, actor: str
    ) -> tuple[Assignment, bool] | None:
        """Mark an assignment complete; return it and whether it changed."""
        stamp = iso(self._clock())
        with self.database.transaction() as connection:
            cursor = connection.execute(
                "UPDATE training SET completed_at = ?, completed_by = ? "
                "WHERE id = ? AND completed_at IS NULL",
                (stamp, actor, assignment_id),
            )
            changed = cursor.rowcount == 1
            row = connection.execute(
                "SELECT * FROM training WHERE id = ?", (assignment_id,)
            ).fetchone()
        if row is None:
            return None
        return _assignment(row), changed

    def assignments(
        self, agent_id: str | None = None, open_only: bool = False
    ) -> list[Assignment]:
        query = "SELECT * FROM training WHERE 1 = 1"
        params: list[Any] = []
        if agent_id:
            query += " AND agent_id = ?"
            params.append(agent_id)
        if open_only:
            query += " AND completed_at IS NULL"
        query += " ORDER BY assigned_at, id"
        return [
            _assignment(row)
            for row in self.database.connection().execute(query, params)
        ]


def _assignment(row: Any) -> Assignment:
    return Assignment(
        row["id"],
        row["agent_id"],
        row["team"],
        row["behaviour"],
        row["title"],
        row["url"],
        row["reason"],
        row["assigned_at"],
        row["completed_at"],
        row["completed_by"],
    )
