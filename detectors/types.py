"""Core types shared by every package: interactions in, findings and cases out.

A `Finding` never contains the detected value. It points at it (segment and
offsets into the segment's original text) and carries a masked form and a
keyed fingerprint, so it can be logged, stored and sent anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

CHANNELS = ("ticket", "chat", "voice", "email", "document")
SPEAKERS = ("agent", "customer", "system")
FORMS = ("full", "partial", "masked")
SEVERITIES = ("none", "low", "medium", "high")
CASE_STATUSES = ("open", "acknowledged", "resolved", "false_positive")

_SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


def severity_rank(severity: str) -> int:
    """Return the order of a severity name: none < low < medium < high."""
    return _SEVERITY_RANK.get(severity, 0)


def max_severity(severities: Any) -> str:
    """Return the highest of the given severity names, or "none"."""
    highest = "none"
    for severity in severities:
        if severity_rank(severity) > severity_rank(highest):
            highest = severity
    return highest


@dataclass
class Segment:
    """One message, comment, utterance or extracted page of an interaction."""

    id: str
    speaker: str
    text: str
    start_ms: int | None = None
    end_ms: int | None = None
    agent_id: str | None = None
    attachment: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        # The text may hold personal data, so the repr shows its length only.
        return (
            f"Segment(id={self.id!r}, speaker={self.speaker!r}, "
            f"text=<{len(self.text)} chars>)"
        )


@dataclass
class Interaction:
    """One conversation unit: a ticket thread, a chat session or a call."""

    id: str
    channel: str
    segments: list[Segment]
    source: dict[str, Any] = field(default_factory=dict)
    language: str | None = None
    team: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def segment(self, segment_id: str) -> Segment | None:
        for segment in self.segments:
            if segment.id == segment_id:
                return segment
        return None

    @property
    def agent_ids(self) -> list[str]:
        """Agent ids named on the agent's segments, in order of appearance."""
        seen: list[str] = []
        for segment in self.segments:
            if segment.agent_id and segment.agent_id not in seen:
                seen.append(segment.agent_id)
        return seen


@dataclass(frozen=True)
class Finding:
    """One detected item, described without its value.

    `start` and `end` are offsets into the original text of `segment`.
    `behaviour` is None for items that raise no case by themselves, such as
    masked values and last-four tails.
    """

    segment: str
    start: int
    end: int
    type: str
    form: str
    behaviour: str | None
    severity: str
    rule: str
    confidence: float
    masked: str
    fingerprint: str = ""
    excerpt: str = ""
    suggestion: str = ""
    explanation: str = ""
    start_ms: int | None = None
    end_ms: int | None = None
    # Masked neighbouring utterances of a voice finding, with speakers and
    # times, and how its time range was placed. Not in `to_dict`.
    context: dict[str, Any] | None = field(default=None, hash=False)

    @property
    def key(self) -> str:
        """Identify the finding within its interaction, stable across runs."""
        return f"{self.segment}:{self.start}:{self.end}:{self.type}"

    def with_behaviour(self, behaviour: str | None, severity: str) -> Finding:
        return replace(self, behaviour=behaviour, severity=severity)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "segment": self.segment,
            "start": self.start,
            "end": self.end,
            "type": self.type,
            "form": self.form,
            "behaviour": self.behaviour,
            "severity": self.severity,
            "rule": self.rule,
            "confidence": round(self.confidence, 3),
            "masked": self.masked,
        }
        optional = {
            "fingerprint": self.fingerprint,
            "excerpt": self.excerpt,
            "suggestion": self.suggestion,
            "explanation": self.explanation,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
        }
        data.update({k: v for k, v in optional.items() if v not in ("", None)})
        return data


@dataclass
class Report:
    """The findings of the detectors in one interaction."""

    interaction: Interaction
    findings: list[Finding]

    @property
    def behaviours(self) -> list[str]:
        found = {f.behaviour for f in self.findings if f.behaviour}
        return sorted(found)

    @property
    def severity(self) -> str:
        return max_severity(f.severity for f in self.findings if f.behaviour)

    @property
    def raises_case(self) -> bool:
        """Whether any finding places a behaviour, so the ledger opens a case."""
        return any(f.behaviour for f in self.findings)

    def to_prediction(self) -> dict[str, Any]:
        """Return the prediction line format that the eval scorer reads."""
        return {
            "id": self.interaction.id,
            "channel": self.interaction.channel,
            "findings": [f.to_dict() for f in self.findings],
            "behaviours": self.behaviours,
            "severity": self.severity,
        }


@dataclass
class CaseEvent:
    """One entry of a case's append-only history."""

    at: str
    actor: str
    action: str
    from_status: str | None = None
    to_status: str | None = None
    note: str = ""


@dataclass
class Case:
    """The ledger's record of an interaction with findings, masked only."""

    id: str
    interaction_key: str
    platform: str
    channel: str
    severity: str
    status: str
    created_at: str
    updated_at: str
    sla_deadline: str | None = None
    source: dict[str, Any] = field(default_factory=dict)
    agent_id: str | None = None
    team: str | None = None
    behaviours: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    history: list[CaseEvent] = field(default_factory=list)
    resolution_note: str = ""
    # Escalation level the case has been alerted at (0: the team's managers);
    # None until its first alert.
    alert_level: int | None = None
