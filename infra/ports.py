"""The storage seams that every backend implements (SQLite here, AWS later).

The gateway depends on these protocols only, so a new store is one new
backend and nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from detectors.types import Case, Finding


@dataclass
class Job:
    """One unit of queued work, claimed by a worker under a lease."""

    id: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    dedupe_key: str | None = None
    # Set by the worker when a failure of this attempt dead-letters the job,
    # so a handler can record what it has instead of failing once more.
    last_attempt: bool = False


@dataclass
class CaseUpdate:
    """What recording a report changed in the ledger."""

    case: Case
    created: bool
    new_findings: list[Finding] = field(default_factory=list)


@dataclass
class OutboxEntry:
    """A write-back recorded instead of being sent to the platform."""

    id: int
    created_at: str
    platform: str
    target: str
    action: str
    payload: dict[str, Any]


class Queue(Protocol):
    def enqueue(
        self, kind: str, payload: dict[str, Any], dedupe_key: str | None = None
    ) -> bool:
        """Queue a job durably; return False if `dedupe_key` was seen before."""

    def claim(self, lease_seconds: float) -> Job | None:
        """Take the next due job under a lease, or return None."""

    def extend(self, job_id: str, lease_seconds: float) -> bool:
        """Renew a running job's lease to `lease_seconds` from now.

        Return False when the job is no longer running, so the lease was lost.
        """

    def complete(self, job_id: str) -> None: ...

    def retry(self, job_id: str, delay_seconds: float, error: str) -> None: ...

    def fail(self, job_id: str, error: str) -> None:
        """Move a job to the dead-letter state; it is kept for inspection."""

    def counts(self) -> dict[str, int]: ...


class Ledger(Protocol):
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
        """Add a report's findings and media not inspected to the case, once each.

        Either one opens the case. Return None when the interaction has no
        case and nothing raises one.
        """

    def unreported(self, case_id: str) -> list[Finding]:
        """Return the case's findings with a behaviour not yet written back."""

    def mark_reported(
        self, case_id: str, finding_keys: list[str], report_id: str
    ) -> None: ...

    def add_not_inspected(
        self, case_id: str, items: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Add attachments that could not be inspected to the case, once each.

        Return the items that were not listed on the case before.
        """

    def mark_not_inspected_warned(self, case_id: str, segments: list[str]) -> None:
        """Record that the listed media of these segments was warned about."""

    def set_muted_recording(
        self, case_id: str, copy: dict[str, Any], note: str = ""
    ) -> bool:
        """Reference a muted copy of the case's recording; False for no such case."""

    def get_case(self, case_id: str) -> Case | None: ...

    def list_cases(
        self, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[Case]: ...

    def cases_with_fingerprint(self, value_fingerprint: str) -> list[Case]: ...

    def transition(
        self, case_id: str, status: str, actor: str, note: str = ""
    ) -> tuple[Case, bool]:
        """Move a case to `status`; return it and whether anything changed.

        Raise `CaseNotFound` or `InvalidTransition`.
        """


class Outbox(Protocol):
    def add(
        self, platform: str, target: str, action: str, payload: dict[str, Any]
    ) -> int: ...

    def list(self, limit: int = 100) -> list[OutboxEntry]: ...


class KeyValue(Protocol):
    """Small durable values, such as sync cursors; never personal data."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def set(self, key: str, value: Any) -> None: ...
