"""The internal note and the tags Redline writes back to a ticket.

Each note ends with a report id (`Redline report r-...`). The worker reads
the ticket's comments before writing and skips a report whose id is already
there, so a retried job never posts the same note twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from detectors.types import Finding, max_severity

NOTE_TITLE = "Redline: personal data found in this ticket"
_REPORT_ID = re.compile(r"Redline report (r-[0-9a-f]{12})")
# Runs of digits (with X, as in a resident ID) long enough to be an
# identifier; an attachment's file name is masked before a note shows it.
_NAME_DIGITS = re.compile(r"[0-9Xx]*[0-9]{4}[0-9Xx]*")
_MAX_NAME_CHARS = 80

TYPE_LABELS = {
    "CN_RESIDENT_ID": "Resident ID number",
    "BANK_CARD": "Bank card number",
    "BANK_ACCOUNT": "Bank account number",
    "PHONE_NUMBER": "Phone number",
    "EMAIL_ADDRESS": "Email address",
    "ADDRESS": "Address",
    "PASSPORT": "Passport number",
    "US_SSN": "US Social Security number",
    "VERIFICATION_CODE": "One-time code",
    "CARD_CVV": "Card security code",
    "CARD_EXPIRY": "Card expiry date",
    "PASSWORD": "Password or PIN",
    "RISKY_PHRASE": "Risky phrase",
}


def is_redline_note(text: str) -> bool:
    return NOTE_TITLE in text and bool(_REPORT_ID.search(text))


def report_ids_in(text: str) -> set[str]:
    return set(_REPORT_ID.findall(text))


def tags_for(findings: Iterable[Finding]) -> list[str]:
    """Return the tags for a case: `redline`, its severity, types and behaviours."""
    actionable = [f for f in findings if f.behaviour]
    if not actionable:
        return []
    tags = {"redline", f"redline_{max_severity(f.severity for f in actionable)}"}
    for finding in actionable:
        tags.add(f"redline_{finding.type.lower()}")
        if finding.behaviour:
            tags.add(f"redline_{finding.behaviour}")
    return sorted(tags)


def attachment_name(file_name: str) -> str:
    """Return an attachment's file name as a note may show it.

    Every run of four or more digits is masked, because customers name
    uploads after the number on them, and the name is cut to 80 characters.
    """
    masked = _NAME_DIGITS.sub(lambda m: "*" * len(m.group()), file_name)
    if len(masked) > _MAX_NAME_CHARS:
        masked = masked[: _MAX_NAME_CHARS - 1] + "…"
    return masked or "(no name)"


def render_note(
    findings: list[Finding],
    comment_labels: Mapping[str, str],
    case_id: str | None,
    report_id: str,
    attachments: Sequence[str] = (),
    extra_report_ids: Sequence[str] = (),
) -> str:
    """Write the private note listing each finding, masked, with what to do.

    `comment_labels` maps a segment id to how the note names it, such as
    "comment 12345 (agent)". `attachments` are finished lines about ticket
    attachments (not inspected, redacted copy attached). Every id in
    `extra_report_ids` is written too, so a retry finds the note by any of them.
    """
    lines = [NOTE_TITLE]
    if findings:
        severity = max_severity(f.severity for f in findings)
        lines.append(
            f"{len(findings)} item(s) need attention; highest severity: {severity}."
        )
    else:
        lines.append("No new item was found, but some attachments were not inspected.")
    lines.append("")
    for number, finding in enumerate(findings, start=1):
        label = TYPE_LABELS.get(finding.type, finding.type.replace("_", " ").title())
        where = comment_labels.get(finding.segment, f"comment {finding.segment}")
        lines.append(
            f"{number}. {label} ({finding.type}): {finding.behaviour}, "
            f"severity {finding.severity}"
        )
        lines.append(f"   Value: {finding.masked}, in {where}")
        if finding.excerpt:
            lines.append(f"   Context: {finding.excerpt}")
        lines.append(f"   Suggestion: {_suggestion(finding)}")
    if attachments:
        lines += ["", "Attachments:", *attachments]
    footer = f"Redline report {report_id}"
    lines += [
        "",
        "Values are shown masked; Redline does not keep them.",
        f"Case {case_id} · {footer}" if case_id else footer,
    ]
    lines += [f"Redline report {extra}" for extra in extra_report_ids]
    return "\n".join(lines)


def _suggestion(finding: Finding) -> str:
    if finding.behaviour == "document_exposure":
        return (
            "Redact the attachment in Zendesk and, if the customer still needs "
            "it on file, use the redacted copy attached to this note."
        )
    redact = "Redact the value in the comment (select it, then Redact)"
    if finding.behaviour == "credential_request":
        return f"{redact}. Never ask for or keep passwords, PINs, CVVs or codes."
    if finding.behaviour == "agent_full_disclosure":
        return f"{redact}. Refer to the value by its last four characters only."
    if finding.suggestion:
        return f"{redact}. {finding.suggestion}"
    return redact + "."
