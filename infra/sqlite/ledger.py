"""The case ledger in SQLite: masked evidence and keyed fingerprints only."""

from __future__ import annotations

import datetime
import hashlib
import json
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from detectors.types import Case, CaseEvent, Finding, max_severity, severity_rank
from infra.ports import CaseUpdate
from infra.sqlite.db import Database

# Hours to handle a case of each severity before it is overdue.
DEFAULT_SLA_HOURS: Mapping[str, float] = {"high": 1, "medium": 24, "low": 24 * 7}
SYSTEM_ACTOR = "redline"

_FINDING_COLUMNS = (
    'segment, start, "end", type, form, behaviour, severity, rule, confidence, '
    "masked, fingerprint, excerpt, suggestion, explanation, start_ms, end_ms"
)


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def case_id_for(interaction_key: str) -> str:
    """Return the case id of an interaction: stable, so retries find the case."""
    return "c_" + hashlib.sha256(interaction_key.encode()).hexdigest()[:16]


class SqliteLedger:
    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime.datetime] = utc_now,
        sla_hours: Mapping[str, float] = DEFAULT_SLA_HOURS,
    ) -> None:
        self.database = database
        self._clock = clock
        self._sla_hours = sla_hours

    def _deadline(self, severity: str, now: datetime.datetime) -> str | None:
        hours = self._sla_hours.get(severity)
        if hours is None:
            return None
        return iso(now + datetime.timedelta(hours=hours))

    def record(
        self,
        interaction_key: str,
        platform: str,
        channel: str,
        source: dict[str, Any],
        findings: list[Finding],
        agent_id: str | None = None,
        team: str | None = None,
    ) -> CaseUpdate | None:
        """Add findings with a behaviour to the interaction's case, once each.

        Return None when there is no case and nothing raises one.
        """
        actionable = [f for f in findings if f.behaviour]
        now = self._clock()
        stamp = iso(now)
        case_id = case_id_for(interaction_key)
        with self.database.transaction() as connection:
            row = connection.execute(
                "SELECT * FROM cases WHERE id = ?", (case_id,)
            ).fetchone()
            if row is None and not actionable:
                return None
            created = row is None
            if created:
                severity = max_severity(f.severity for f in actionable)
                connection.execute(
                    "INSERT INTO cases (id, interaction_key, platform, channel, source, "
                    "agent_id, team, severity, status, behaviours, sla_deadline, "
                    "created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', '[]', ?, ?, ?)",
                    (
                        case_id,
                        interaction_key,
                        platform,
                        channel,
                        json.dumps(source),
                        agent_id,
                        team,
                        severity,
                        self._deadline(severity, now),
                        stamp,
                        stamp,
                    ),
                )
                self._append_history(
                    connection, case_id, stamp, SYSTEM_ACTOR, "opened", None, "open"
                )
            new_findings = [
                finding
                for finding in actionable
                if self._insert_finding(connection, case_id, finding, stamp)
            ]
            if new_findings and not created:
                self._escalate(connection, row, new_findings, now)
            if new_findings:
                self._refresh_behaviours(connection, case_id, stamp, agent_id, team)
        case = self.get_case(case_id)
        assert case is not None
        return CaseUpdate(case, created, new_findings)

    def _insert_finding(
        self, connection: sqlite3.Connection, case_id: str, finding: Finding, stamp: str
    ) -> bool:
        cursor = connection.execute(
            f"INSERT OR IGNORE INTO findings (case_id, finding_key, {_FINDING_COLUMNS}, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                case_id,
                finding.key,
                finding.segment,
                finding.start,
                finding.end,
                finding.type,
                finding.form,
                finding.behaviour,
                finding.severity,
                finding.rule,
                finding.confidence,
                finding.masked,
                finding.fingerprint,
                finding.excerpt,
                finding.suggestion,
                finding.explanation,
                finding.start_ms,
                finding.end_ms,
                stamp,
            ),
        )
        return cursor.rowcount == 1

    def _escalate(
        self,
        connection: sqlite3.Connection,
        row: sqlite3.Row,
        new_findings: list[Finding],
        now: datetime.datetime,
    ) -> None:
        """Raise severity and reopen a closed case when new findings arrive."""
        stamp = iso(now)
        severity = max_severity([row["severity"], *(f.severity for f in new_findings)])
        deadline = row["sla_deadline"]
        if severity_rank(severity) > severity_rank(row["severity"]):
            deadline = self._deadline(severity, now)
        status = row["status"]
        if status in ("resolved", "false_positive"):
            self._append_history(
                connection,
                row["id"],
                stamp,
                SYSTEM_ACTOR,
                "reopened",
                status,
                "open",
                "new findings arrived",
            )
            status = "open"
            deadline = self._deadline(severity, now)
        connection.execute(
            "UPDATE cases SET severity = ?, sla_deadline = ?, status = ? WHERE id = ?",
            (severity, deadline, status, row["id"]),
        )

    def _refresh_behaviours(
        self,
        connection: sqlite3.Connection,
        case_id: str,
        stamp: str,
        agent_id: str | None,
        team: str | None,
    ) -> None:
        behaviours = sorted(
            r["behaviour"]
            for r in connection.execute(
                "SELECT DISTINCT behaviour FROM findings WHERE case_id = ?", (case_id,)
            )
        )
        connection.execute(
            "UPDATE cases SET behaviours = ?, updated_at = ?, "
            "agent_id = COALESCE(?, agent_id), team = COALESCE(?, team) WHERE id = ?",
            (json.dumps(behaviours), stamp, agent_id, team, case_id),
        )

    def _append_history(
        self,
        connection: sqlite3.Connection,
        case_id: str,
        stamp: str,
        actor: str,
        action: str,
        from_status: str | None,
        to_status: str | None,
        note: str = "",
    ) -> None:
        (seq,) = connection.execute(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM case_history WHERE case_id = ?",
            (case_id,),
        ).fetchone()
        connection.execute(
            "INSERT INTO case_history (case_id, seq, at, actor, action, from_status, "
            "to_status, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (case_id, seq, stamp, actor, action, from_status, to_status, note),
        )

    def unreported(self, case_id: str) -> list[Finding]:
        rows = self.database.connection().execute(
            f"SELECT {_FINDING_COLUMNS} FROM findings "
            "WHERE case_id = ? AND report_id IS NULL ORDER BY segment, start",
            (case_id,),
        )
        return [_finding_from_row(row) for row in rows]

    def mark_reported(
        self, case_id: str, finding_keys: list[str], report_id: str
    ) -> None:
        with self.database.transaction() as connection:
            connection.executemany(
                "UPDATE findings SET report_id = ? WHERE case_id = ? AND finding_key = ?",
                [(report_id, case_id, key) for key in finding_keys],
            )

    def get_case(self, case_id: str) -> Case | None:
        connection = self.database.connection()
        row = connection.execute(
            "SELECT * FROM cases WHERE id = ?", (case_id,)
        ).fetchone()
        if row is None:
            return None
        return self._case_from_row(connection, row)

    def list_cases(
        self, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[Case]:
        connection = self.database.connection()
        query = "SELECT * FROM cases"
        params: list[Any] = []
        if status:
            query += " WHERE status = ?"
            params.append(status)
        # rowid grows with each insert, so cases created in the same second
        # keep a stable newest-first order across pages. VACUUM may renumber
        # rowids, and nothing here runs it.
        query += " ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?"
        params += [limit, offset]
        return [
            self._case_from_row(connection, row)
            for row in connection.execute(query, params)
        ]

    def cases_with_fingerprint(self, value_fingerprint: str) -> list[Case]:
        connection = self.database.connection()
        rows = connection.execute(
            "SELECT * FROM cases WHERE id IN "
            "(SELECT case_id FROM findings WHERE fingerprint = ?) "
            "ORDER BY created_at, rowid",
            (value_fingerprint,),
        )
        return [self._case_from_row(connection, row) for row in rows]

    def _case_from_row(self, connection: sqlite3.Connection, row: sqlite3.Row) -> Case:
        findings = [
            _finding_from_row(r)
            for r in connection.execute(
                f"SELECT {_FINDING_COLUMNS} FROM findings WHERE case_id = ? "
                "ORDER BY created_at, segment, start",
                (row["id"],),
            )
        ]
        history = [
            CaseEvent(
                r["at"],
                r["actor"],
                r["action"],
                r["from_status"],
                r["to_status"],
                r["note"],
            )
            for r in connection.execute(
                "SELECT * FROM case_history WHERE case_id = ? ORDER BY seq",
                (row["id"],),
            )
        ]
        return Case(
            id=row["id"],
            interaction_key=row["interaction_key"],
            platform=row["platform"],
            channel=row["channel"],
            severity=row["severity"],
            status=row["status"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            sla_deadline=row["sla_deadline"],
            source=json.loads(row["source"]),
            agent_id=row["agent_id"],
            team=row["team"],
            behaviours=json.loads(row["behaviours"]),
            findings=findings,
            history=history,
            resolution_note=row["resolution_note"],
        )


def _finding_from_row(row: sqlite3.Row) -> Finding:
    return Finding(
        segment=row["segment"],
        start=row["start"],
        end=row["end"],
        type=row["type"],
        form=row["form"],
        behaviour=row["behaviour"],
        severity=row["severity"],
        rule=row["rule"],
        confidence=row["confidence"],
        masked=row["masked"],
        fingerprint=row["fingerprint"],
        excerpt=row["excerpt"],
        suggestion=row["suggestion"],
        explanation=row["explanation"],
        start_ms=row["start_ms"],
        end_ms=row["end_ms"],
    )
