"""The pipeline: what the worker does with each queued job.

    job -> adapter: build the interaction -> detectors -> ledger
        -> adapter: write back what is not yet reported

Every step is idempotent. The ledger adds each finding once, the report id
is derived from the findings it lists, and the Zendesk thread is read before
writing, so a note already posted under that report id is not posted again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.zendesk.api import (
    STAFF_ROLES,
    AttachmentUnavailable,
    RedactedCopy,
    TicketComment,
    TicketThread,
    TicketWriter,
    ZendeskApi,
)
from adapters.zendesk.interaction import from_delivery, from_thread, interaction_key
from adapters.zendesk.note import attachment_name, render_note, tags_for
from adapters.zendesk.webhook import Delivery
from detectors.documents import Limits, RedactionFailed, UnreadableDocument, extract
from detectors.engine import Detector
from detectors.types import Finding, Interaction, Segment
from gateway.scan import (
    DOCUMENT_SUFFIXES,
    inspect_document,
    redact_document,
    redacted_suffix,
)
from infra.ports import Job, Ledger, Outbox

log = logging.getLogger(__name__)

ZENDESK_TICKET = "zendesk.ticket"
# The verdict of a job that had no text to run the detectors on.
NOTHING_TO_INSPECT = "nothing to inspect"
# The verdict of a job with no findings but an attachment it could not read:
# such a ticket is never reported clean.
NOT_INSPECTED = "attachments not inspected"
_PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})


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

    def add_private_note(
        self, ticket_id: str, body: str, redacted: Sequence[RedactedCopy] = ()
    ) -> None:
        """Record the note; a redacted copy is recorded by name and size, no bytes."""
        payload: dict[str, Any] = {"comment": {"body": body, "public": False}}
        if redacted:
            payload["redacted_copies"] = [
                {
                    "attachment_id": copy.attachment_id,
                    "file_name": copy.file_name,
                    "content_type": copy.content_type,
                    "size": len(copy.data),
                }
                for copy in redacted
            ]
        self.outbox.add(
            "zendesk",
            f"{self.account}/tickets/{ticket_id}",
            "add_private_note",
            payload,
        )


@dataclass
class AttachmentResults:
    """Results of the document pipeline for a ticket's image and PDF attachments.

    `segments` are the attachments' lines (ids `a{attachment id}:{line id}`),
    kept in memory only so the case finds its agent. `not_inspected` lists
    the attachment ids that failed, for the report id of the note.
    """

    findings: list[Finding] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    not_inspected: list[str] = field(default_factory=list)
    not_inspected_lines: list[str] = field(default_factory=list)
    redacted: list[RedactedCopy] = field(default_factory=list)
    redacted_lines: list[str] = field(default_factory=list)

    def reject(self, attachment_id: str, name: str, reason: str) -> None:
        self.not_inspected.append(attachment_id)
        self.not_inspected_lines.append(f"Attachment {name}: not inspected: {reason}")


def is_document_attachment(attachment: dict[str, Any]) -> bool:
    """Tell whether an attachment is an image or PDF, by content type or name."""
    content_type = str(attachment.get("content_type") or "").lower()
    if content_type.startswith("image/") or content_type in _PDF_TYPES:
        return True
    suffix = Path(str(attachment.get("file_name") or "")).suffix.lower()
    return suffix in DOCUMENT_SUFFIXES


def unverified_report_id(interaction_id: str, attachment_ids: list[str]) -> str:
    """Return the report id of a note about attachments that were not inspected."""
    keys = "\n".join(sorted(attachment_ids))
    digest = hashlib.sha256(f"{interaction_id}\nnot inspected\n{keys}".encode())
    return "r-" + digest.hexdigest()[:12]


@dataclass
class Outcome:
    """The result of one job, for its log line."""

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
        attachments = AttachmentResults()
        if self.api is not None:
            thread = self.api.fetch_thread(delivery.ticket_id)
            interaction = from_thread(key, thread, self.account)
            posted = thread.posted_reports
            attachments = self.inspect_attachments(self.api, thread)
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
        return self.inspect(delivery.ticket_id, interaction, posted, attachments)

    def inspect(
        self,
        ticket_id: str,
        interaction: Interaction,
        posted: set[str],
        attachments: AttachmentResults | None = None,
    ) -> Outcome:
        attachments = attachments or AttachmentResults()
        report = self.detector.detect(interaction)
        findings = report.findings + attachments.findings
        everything = dataclasses.replace(
            interaction, segments=interaction.segments + attachments.segments
        )
        update = self.ledger.record(
            interaction.id,
            "zendesk",
            interaction.channel,
            interaction.source,
            findings,
            agent_id=_agent_for(everything, findings),
            team=_team_for(interaction.source),
        )
        unverified_id = (
            unverified_report_id(interaction.id, attachments.not_inspected)
            if attachments.not_inspected
            else None
        )
        new_unverified = unverified_id is not None and unverified_id not in posted
        if update is None:
            if new_unverified and unverified_id is not None:
                body = render_note(
                    [], {}, None, unverified_id, attachments.not_inspected_lines
                )
                self.writer.add_private_note(ticket_id, body)
            if unverified_id is not None:
                return Outcome(NOT_INSPECTED)
            return Outcome("clean", findings=len(findings))
        case = update.case
        pending = self.ledger.unreported(case.id)
        if not pending and not new_unverified:
            return Outcome("already reported", case.id, len(findings))
        report_id = report_id_for(case.id, pending) if pending else None
        new_findings = pending if report_id not in posted else []
        if new_findings:
            self.writer.add_tags(ticket_id, tags_for(case.findings))
        if new_findings or new_unverified:
            self._write_note(
                ticket_id,
                case.id,
                new_findings,
                report_id,
                unverified_id,
                everything,
                attachments,
            )
        if pending and report_id is not None:
            self.ledger.mark_reported(case.id, [f.key for f in pending], report_id)
        return Outcome(f"reported {case.severity}", case.id, len(pending))

    def _write_note(
        self,
        ticket_id: str,
        case_id: str,
        findings: list[Finding],
        report_id: str | None,
        unverified_id: str | None,
        interaction: Interaction,
        attachments: AttachmentResults,
    ) -> None:
        """Post one note: new findings with the redacted copies, and failed attachments."""
        ids = [i for i in (report_id if findings else None, unverified_id) if i]
        lines = list(attachments.not_inspected_lines)
        redacted: list[RedactedCopy] = []
        if findings:
            lines += attachments.redacted_lines
            redacted = attachments.redacted
        labels = {**_comment_labels(interaction), **attachments.labels}
        body = render_note(findings, labels, case_id, ids[0], lines, ids[1:])
        self.writer.add_private_note(ticket_id, body, redacted)

    def inspect_attachments(
        self, api: ZendeskApi, thread: TicketThread
    ) -> AttachmentResults:
        """Download, read and detect on every image and PDF attached to the thread."""
        results = AttachmentResults()
        for comment in thread.comments:
            for attachment in comment.attachments:
                if is_document_attachment(attachment):
                    self._inspect_attachment(api, comment, attachment, results)
        return results

    def _inspect_attachment(
        self,
        api: ZendeskApi,
        comment: TicketComment,
        attachment: dict[str, Any],
        results: AttachmentResults,
    ) -> None:
        attachment_id = str(attachment["id"])
        file_name = str(attachment.get("file_name") or "")
        name = attachment_name(file_name)
        limits = Limits(max_bytes=api.max_attachment_bytes)
        size = attachment.get("size")
        if isinstance(size, int) and size > limits.max_bytes:
            reason = (
                f"file too large: {size} bytes, the limit is {limits.max_bytes} bytes"
            )
            results.reject(attachment_id, name, reason)
            return
        try:
            data = api.download_attachment(str(attachment.get("content_url") or ""))
        except AttachmentUnavailable as error:
            log.warning(
                "zendesk attachment %s not downloaded: %s", attachment_id, error
            )
            results.reject(attachment_id, name, error.reason)
            return
        document = extract(
            data, file_name, attachment.get("content_type"), limits=limits
        )
        if not document.inspected:
            results.reject(attachment_id, name, document.reason)
            return

        is_staff = comment.author_role in STAFF_ROLES
        speaker = "agent" if is_staff else "customer"
        report = inspect_document(self.detector, document, f"a{attachment_id}", speaker)
        prefix = f"a{attachment_id}:"
        for segment in report.interaction.segments:
            page_line = f"page {segment.extra['page']}, line {segment.id}"
            results.labels[prefix + segment.id] = (
                f"attachment {name} ({speaker}), {page_line}"
            )
            results.segments.append(
                dataclasses.replace(
                    segment,
                    id=prefix + segment.id,
                    agent_id=comment.author_id if is_staff else None,
                )
            )
        results.findings += [
            dataclasses.replace(f, segment=prefix + f.segment) for f in report.findings
        ]
        if not any(f.behaviour for f in report.findings):
            return
        try:
            copy = redact_document(data, document, report, limits)
        except (RedactionFailed, UnreadableDocument) as error:
            log.warning(
                "zendesk attachment %s: no redacted copy: %s", attachment_id, error
            )
            results.redacted_lines.append(
                f"Attachment {name}: no redacted copy: {error}"
            )
            return
        if copy is None:
            return
        suffix = redacted_suffix(copy)
        copy_name = f"redacted-{attachment_id}{suffix}"
        content_type = {".pdf": "application/pdf", ".jpg": "image/jpeg"}.get(
            suffix, "image/png"
        )
        results.redacted.append(
            RedactedCopy(attachment_id, copy_name, content_type, copy)
        )
        results.redacted_lines.append(
            f"Attachment {name}: redacted copy attached as {copy_name}"
        )


def _comment_labels(interaction: Interaction) -> dict[str, str]:
    labels = {}
    for segment in interaction.segments:
        who = "agent" if segment.speaker == "agent" else "customer"
        if not segment.extra.get("public", True):
            who += ", internal"
        labels[segment.id] = f"comment {segment.id} ({who})"
    return labels


def _agent_for(interaction: Interaction, findings: list[Finding]) -> str | None:
    """Return the agent a case belongs to: the author of an agent finding, else the assignee."""
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
