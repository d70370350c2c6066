"""The case ledger in SQLite: masked evidence and keyed fingerprints only."""

from __future__ import annotations

import datetime
import hashlib
import json
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from detectors.types import (
    CASE_STATUSES,
    Case,
    CaseEvent,
    Finding,
    max_severity,
    severity_rank,
)
from infra.errors import CaseNotFound, InvalidTransition
from infra.ports import CaseUpdate
from infra.sqlite.db import Database

# Hours to handle a case of each severity before it is overdue.
DEFAULT_SLA_HOURS: Mapping[str, float] = {"high": 1, "medium": 24, "low": 24 * 7}
SYSTEM_ACTOR = "redline"

# Severity of a case opened only for media not inspected. It is the lowest,
# so the first real finding sets the case's severity.
NOT_INSPECTED_SEVERITY = "low"
# Keys that the ledger adds to a listed not-inspected item: when it was listed
# and when its warning was sent. Items that differ only in these are equal.
_LISTING_KEYS = frozenset({"listed_at", "warned_at"})

STATUSES = CASE_STATUSES
CLOSED_STATUSES = frozenset({"resolved", "false_positive"})
# Statuses a person may move a case to, by its current status. Moving a case
# to the status it has is allowed and changes nothing, so a button pressed
# twice records one transition.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "open": frozenset({"acknowledged", "resolved", "false_positive"}),
    "acknowledged": frozenset({"open", "resolved", "false_positive"}),
    "resolved": frozenset({"open"}),
    "false_positive": frozenset({"open"}),
}

_FINDING_COLUMNS = (
    'segment, start, "end", type, form, behaviour, severity, rule, confidence, '
    "masked, fingerprint, excerpt, suggestion, explanation, start_ms, end_ms, "
    "context"
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
        not_inspected: list[dict[str, Any]] | None = None,
    ) -> CaseUpdate | None:
        """Add findings with a behaviour and media not inspected to the case, once each.

        Either one opens the interaction's case. A case opened only for
        media not inspected has severity `NOT_INSPECTED_SEVERITY` and no
        behaviour. Media is listed as `add_not_inspected` describes. Return
        None when there is no case and nothing raises one.
        """
        actionable = [f for f in findings if f.behaviour]
        now = self._clock()
        stamp = iso(now)
        case_id = case_id_for(interaction_key)
        with self.database.transaction() as connection:
            row = connection.execute(
                "SELECT * FROM cases WHERE id = ?", (case_id,)
            ).fetchone()
            if row is None and not actionable and not not_inspected:
                return None
            created = row is None
            if created:
                severity = max_severity(f.severity for f in actionable)
                if severity == "none":
                    severity = NOT_INSPECTED_SEVERITY
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
            self._list_not_inspected(connection, case_id, not_inspected or [], stamp)
        case = self.get_case(case_id)
        assert case is not None
        return CaseUpdate(case, created, new_findings)

    def _insert_finding(
        self, connection: sqlite3.Connection, case_id: str, finding: Finding, stamp: str
    ) -> bool:
        cursor = connection.execute(
            f"INSERT OR IGNORE INTO findings (case_id, finding_key, {_FINDING_COLUMNS}, "
            "created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                None if finding.context is None else json.dumps(finding.context),
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
        # A case that becomes high, or is reopened, is alerted afresh.
        alert_level = row["alert_level"]
        if status != row["status"] or (
            severity == "high" and row["severity"] != "high"
        ):
            alert_level = None
        connection.execute(
            "UPDATE cases SET severity = ?, sla_deadline = ?, status = ?, "
            "alert_level = ? WHERE id = ?",
            (severity, deadline, status, alert_level, row["id"]),
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

    def transition(
        self, case_id: str, status: str, actor: str, note: str = ""
    ) -> tuple[Case, bool]:
        """Move a case to `status` on behalf of `actor`, with an optional note.

        Return the case and whether anything changed: asking for the status
        the case already has changes nothing. A note on a move to resolved or
        false_positive becomes the case's resolution note. Raise
        `CaseNotFound` or `InvalidTransition`.
        """
        if status not in STATUSES:
            raise InvalidTransition(
                f"status {status!r} is not one of {', '.join(STATUSES)}"
            )
        stamp = iso(self._clock())
        with self.database.transaction() as connection:
            row = connection.execute(
                "SELECT * FROM cases WHERE id = ?", (case_id,)
            ).fetchone()
            if row is None:
                raise CaseNotFound(f"no case has the id {case_id!r}")
            current = row["status"]
            changed = current != status
            if changed and status not in TRANSITIONS[current]:
                raise InvalidTransition(
                    f"case {case_id} is {current}; it can move to "
                    f"{', '.join(sorted(TRANSITIONS[current]))}, not {status}"
                )
            if changed:
                resolution = (
                    note if status in CLOSED_STATUSES else row["resolution_note"]
                )
                deadline = row["sla_deadline"]
                if status == "open":
                    deadline = self._deadline(row["severity"], self._clock())
                connection.execute(
                    "UPDATE cases SET status = ?, resolution_note = ?, "
                    "sla_deadline = ?, updated_at = ? WHERE id = ?",
                    (status, resolution, deadline, stamp, case_id),
                )
                self._append_history(
                    connection, case_id, stamp, actor, status, current, status, note
                )
        case = self.get_case(case_id)
        assert case is not None
        return case, changed

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

    def add_not_inspected(
        self, case_id: str, items: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Add attachments that could not be inspected to a case, once each.

        An item (such as segment, media id and reason) joins the list in the
        case's `source["not_inspected"]` with a `listed_at` time, unless an
        equal item is there, and gets a history event. Return the items
        added; an unknown case adds none.
        """
        stamp = iso(self._clock())
        with self.database.transaction() as connection:
            return self._list_not_inspected(connection, case_id, items, stamp)

    def _list_not_inspected(
        self,
        connection: sqlite3.Connection,
        case_id: str,
        items: list[dict[str, Any]],
        stamp: str,
    ) -> list[dict[str, Any]]:
        if not items:
            return []
        row = connection.execute(
            "SELECT source FROM cases WHERE id = ?", (case_id,)
        ).fetchone()
        if row is None:
            return []

        source = json.loads(row["source"])
        known = list(source.get("not_inspected") or [])
        seen = [_listed_item(item) for item in known]
        added: list[dict[str, Any]] = []
        for item in items:
            plain = _listed_item(item)
            if plain not in seen:
                seen.append(plain)
                added.append({**plain, "listed_at": stamp})
        if not added:
            return []

        source["not_inspected"] = known + added
        connection.execute(
            "UPDATE cases SET source = ?, updated_at = ? WHERE id = ?",
            (json.dumps(source), stamp, case_id),
        )
        for item in added:
            note = ", ".join(
                f"{key} {value}" for key, value in _listed_item(item).items()
            )
            self._append_history(
                connection,
                case_id,
                stamp,
                SYSTEM_ACTOR,
                "not_inspected",
                None,
                None,
                note,
            )
        return added

    def mark_not_inspected_warned(self, case_id: str, segments: list[str]) -> None:
        """Stamp `warned_at` on the case's listed items of the given segments."""
        stamp = iso(self._clock())
        with self.database.transaction() as connection:
            row = connection.execute(
                "SELECT source FROM cases WHERE id = ?", (case_id,)
            ).fetchone()
            if row is None:
                return
            source = json.loads(row["source"])
            for item in source.get("not_inspected") or []:
                if item.get("segment") in segments and not item.get("warned_at"):
                    item["warned_at"] = stamp
            connection.execute(
                "UPDATE cases SET source = ? WHERE id = ?",
                (json.dumps(source), case_id),
            )

    def set_muted_recording(
        self, case_id: str, copy: dict[str, Any], note: str = ""
    ) -> bool:
        """Put a muted recording's reference in the case's `source["muted_recording"]`.

        `copy` replaces any earlier reference, and the history gets a
        `recording_muted` event with `note`. Return False for an unknown case.
        """
        stamp = iso(self._clock())
        with self.database.transaction() as connection:
            row = connection.execute(
                "SELECT source FROM cases WHERE id = ?", (case_id,)
            ).fetchone()
            if row is None:
                return False
            source = json.loads(row["source"])
            source["muted_recording"] = copy
            connection.execute(
                "UPDATE cases SET source = ?, updated_at = ? WHERE id = ?",
                (json.dumps(source), stamp, case_id),
            )
            self._append_history(
                connection,
                case_id,
                stamp,
                SYSTEM_ACTOR,
                "recording_muted",
                None,
                None,
                note,
            )
        return True

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
            alert_level=row["alert_level"],
        )

    # -- disposal -------------------------------------------------------

    def cases_to_alert(self, limit: int = 100) -> list[Case]:
        """Return high cases not closed that no alert has gone out for, oldest first.

        An acknowledged case counts: a high finding added to it later is new.
        """
        connection = self.database.connection()
        rows = connection.execute(
            "SELECT * FROM cases WHERE severity = 'high' "
            "AND status IN ('open', 'acknowledged') "
            "AND alert_level IS NULL ORDER BY created_at, rowid LIMIT ?",
            (limit,),
        )
        return [self._case_from_row(connection, row) for row in rows]

    def overdue_cases(self, now: str, limit: int = 100) -> list[Case]:
        """Return alerted high cases still open after their SLA deadline."""
        connection = self.database.connection()
        rows = connection.execute(
            "SELECT * FROM cases WHERE severity = 'high' AND status = 'open' "
            "AND alert_level IS NOT NULL AND sla_deadline IS NOT NULL "
            "AND sla_deadline <= ? ORDER BY sla_deadline, rowid LIMIT ?",
            (now, limit),
        )
        return [self._case_from_row(connection, row) for row in rows]

    def set_alert_level(
        self,
        case_id: str,
        level: int,
        expected: int | None,
        deadline: str | None = None,
        action: str = "",
        note: str = "",
    ) -> bool:
        """Move a case's alert level from `expected` to `level`, once.

        Return False when another worker moved it first. A `deadline`
        replaces the SLA deadline; an `action` goes into the history.
        """
        stamp = iso(self._clock())
        with self.database.transaction() as connection:
            cursor = connection.execute(
                "UPDATE cases SET alert_level = ?, "
                "sla_deadline = COALESCE(?, sla_deadline) "
                "WHERE id = ? AND alert_level IS ?",
                (level, deadline, case_id, expected),
            )
            if cursor.rowcount != 1:
                return False
            if action:
                self._append_history(
                    connection, case_id, stamp, SYSTEM_ACTOR, action, None, None, note
                )
        return True

    def cases_created(
        self,
        since: str,
        until: str,
        severity: str | None = None,
        agent_id: str | None = None,
    ) -> list[Case]:
        """Return cases created in [since, until), optionally of one severity or agent."""
        connection = self.database.connection()
        query = "SELECT * FROM cases WHERE created_at >= ? AND created_at < ?"
        params: list[Any] = [since, until]
        if severity:
            query += " AND severity = ?"
            params.append(severity)
        if agent_id:
            query += " AND agent_id = ?"
            params.append(agent_id)
        query += " ORDER BY created_at, rowid"
        return [
            self._case_from_row(connection, row)
            for row in connection.execute(query, params)
        ]

    def cases_not_inspected(self, since: str, until: str) -> list[Case]:
        """Return cases that listed media not inspected in [since, until)."""
        connection = self.database.connection()
        rows = connection.execute(
            "SELECT * FROM cases WHERE id IN (SELECT case_id FROM case_history "
            "WHERE action = 'not_inspected' AND at >= ? AND at < ?) "
            "ORDER BY created_at, rowid",
            (since, until),
        )
        return [self._case_from_row(connection, row) for row in rows]

    def open_overdue(self, now: str) -> list[Case]:
        """Return cases of any severity not closed after their SLA deadline."""
        connection = self.database.connection()
        rows = connection.execute(
            "SELECT * FROM cases WHERE status IN ('open', 'acknowledged') "
            "AND sla_deadline IS NOT NULL AND sla_deadline <= ? "
            "ORDER BY sla_deadline, rowid",
            (now,),
        )
        return [self._case_from_row(connection, row) for row in rows]

    def false_positives_by_rule(self) -> list[dict[str, Any]]:
        """Count, per rule, the findings of cases closed as false positives.

        Each row also contains the rule's findings in all cases, so the person
        tuning the rules sees the share as well as the count.
        """
        rows = self.database.connection().execute(
            "SELECT f.rule AS rule, f.type AS type, "
            "SUM(CASE WHEN c.status = 'false_positive' THEN 1 ELSE 0 END) "
            "AS false_positives, COUNT(*) AS findings, "
            "MAX(CASE WHEN c.status = 'false_positive' THEN c.updated_at END) "
            "AS last_false_positive "
            "FROM findings f JOIN cases c ON c.id = f.case_id "
            "GROUP BY f.rule, f.type HAVING false_positives > 0 "
            "ORDER BY false_positives DESC, f.rule"
        )
        return [dict(row) for row in rows]


def _listed_item(item: dict[str, Any]) -> dict[str, Any]:
    """Return a not-inspected item without the keys the ledger adds."""
    return {key: value for key, value in item.items() if key not in _LISTING_KEYS}


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
        context=json.loads(row["context"]) if row["context"] else None,
    )
