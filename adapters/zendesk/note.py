"""The internal note and the tags Redline writes back to a ticket.

Each note ends with a report id (`Redline report r-...`). The worker reads
the ticket's comments before writing and skips a report whose id is already
there, so a retried job never posts the same note twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from detectors.types import Finding, max_severity

NOTE_TITLE = "Redline: personal data found in this ticket"
_REPORT_ID = re.compile(r"Redline report (r-[0-9a-f]{12})")

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


def render_note(
    findings: list[Finding],
    comment_labels: Mapping[str, str],
    case_id: str,
    report_id: str,
) -> str:
    """Write the private note listing each finding, masked, with what to do.

    `comment_labels` maps a segment id to how the note names it, such as
    "comment 12345 (agent)".
    """
    severity = max_severity(f.severity for f in findings)
    lines = [
        NOTE_TITLE,
        f"{len(findings)} item(s) need attention; highest severity: {severity}.",
        "",
    ]
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
    lines += [
        "",
        "Values are shown masked; Redline does not keep them.",
        f"Case {case_id} · Redline report {report_id}",
    ]
    return "\n".join(lines)


def _suggestion(finding: Finding) -> str:
    redact = "Redact the value in the comment (select it, then Redact)"
    if finding.behaviour == "credential_request":
        return f"{redact}. Never ask for or keep passwords, PINs, CVVs or codes."
    if finding.behaviour == "agent_full_disclosure":
        return f"{redact}. Refer to the value by its last four characters only."
    if finding.suggestion:
        return f"{redact}. {finding.suggestion}"
    return redact + "."
