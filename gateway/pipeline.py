"""The pipeline: what the worker does with each queued job.

    job -> adapter: build the interaction -> detectors -> ledger
        -> adapter: write back what is not yet reported

Every step is idempotent. The ledger adds each finding once, the report id
is derived from the findings it lists, and the Zendesk thread is read before
writing, so a note already posted under that report id is not posted again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adapters.zendesk.api import TicketWriter, ZendeskApi
from adapters.zendesk.interaction import from_delivery, from_thread, interaction_key
from adapters.zendesk.note import render_note, tags_for
from adapters.zendesk.webhook import Delivery
from detectors.engine import Detector
from detectors.types import Finding, Interaction
from infra.ports import Job, Ledger, Outbox

log = logging.getLogger(__name__)

ZENDESK_TICKET = "zendesk.ticket"
# The verdict of a job that had no text to run the detectors on.
NOTHING_TO_INSPECT = "nothing to inspect"


def report_id_for(case_id: str, findings: list[Finding]) -> str:
    """Return a report id that depends only on the case and the findings listed."""
    keys = "\n".join(sorted(f.key for f in findings))
    return "r-" + hashlib.sha256(f"{case_id}\n{keys}".encode()).hexdigest()[:12]


class OutboxTicketWriter:
    """Records Zendesk write-backs in the local outbox instead of sending them."""

    def __init__(self, outbox: Outbox, account: str) -> None:
        self.outbox = outbox
        self.account = account

    def add_tags(self, ticket_id: str, tags: list[str]) -> None:
        self.outbox.add(
            "zendesk", f"{self.account}/tickets/{ticket_id}", "add_tags", {"tags": tags}
        )

    def add_private_note(self, ticket_id: str, body: str) -> None:
        self.outbox.add(
            "zendesk",
            f"{self.account}/tickets/{ticket_id}",
            "add_private_note",
            {"comment": {"body": body, "public": False}},
        )


@dataclass
class Outcome:
    """What a job did, for the one log line per job."""

    verdict: str
    case_id: str | None = None
    findings: int = 0


class ZendeskTicketHandler:
    """Inspects a Zendesk ticket named by a delivery and writes back."""

    def __init__(
        self,
        detector: Detector,
        ledger: Ledger,
        writer: TicketWriter,
        account: str,
        api: ZendeskApi | None = None,
    ) -> None:
        self.detector = detector
        self.ledger = ledger
        self.writer = writer
        self.account = account
        self.api = api

    def __call__(self, job: Job) -> Outcome:
        delivery = Delivery.from_payload(job.payload)
        key = interaction_key(self.account, delivery.ticket_id)
        posted: set[str] = set()
        if self.api is not None:
            thread = self.api.fetch_thread(delivery.ticket_id)
            interaction = from_thread(key, thread, self.account)
            posted = thread.posted_reports
        elif delivery.comment is None:
            log.warning(
                "zendesk delivery %s ticket %s: nothing to inspect, because no "
                "Zendesk API credentials are set and the body carries no comment "
                "text; set the credentials or add latest_comment to the trigger body",
                delivery.dedupe_key,
                delivery.ticket_id,
            )
            return Outcome(NOTHING_TO_INSPECT)
        else:
            interaction = from_delivery(key, delivery, self.account)
        return self.inspect(delivery.ticket_id, interaction, posted)

    def inspect(
        self, ticket_id: str, interaction: Interaction, posted: set[str]
    ) -> Outcome:
        report = self.detector.detect(interaction)
        update = self.ledger.record(
            interaction.id,
            "zendesk",
            interaction.channel,
            interaction.source,
            report.findings,
            agent_id=_agent_for(interaction, report.findings),
            team=_team_for(interaction.source),
        )
        if update is None:
            return Outcome("clean", findings=len(report.findings))
        case = update.case
        pending = self.ledger.unreported(case.id)
        if not pending:
            return Outcome("already reported", case.id, len(report.findings))
        report_id = report_id_for(case.id, pending)
        if report_id not in posted:
            self.writer.add_tags(ticket_id, tags_for(case.findings))
            labels = _comment_labels(interaction)
            self.writer.add_private_note(
                ticket_id, render_note(pending, labels, case.id, report_id)
            )
        self.ledger.mark_reported(case.id, [f.key for f in pending], report_id)
        return Outcome(f"reported {case.severity}", case.id, len(pending))


def _comment_labels(interaction: Interaction) -> dict[str, str]:
    labels = {}
    for segment in interaction.segments:
        who = "agent" if segment.speaker == "agent" else "customer"
        if not segment.extra.get("public", True):
            who += ", internal"
        labels[segment.id] = f"comment {segment.id} ({who})"
    return labels


def _agent_for(interaction: Interaction, findings: list[Finding]) -> str | None:
    """Return the agent a case belongs to: whoever wrote an agent finding, else the assignee."""
    for finding in findings:
        segment = interaction.segment(finding.segment)
        if finding.behaviour and segment is not None and segment.agent_id:
            return segment.agent_id
    assignee = interaction.source.get("assignee_id")
    return str(assignee) if assignee else None


def _team_for(source: dict[str, Any]) -> str | None:
    group = source.get("group_id")
    return f"zendesk-group-{group}" if group else None


Handler = Callable[[Job], Outcome]
