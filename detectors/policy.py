"""Policy: place each candidate in a behaviour and give it a severity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from detectors.behaviours import (
    BEHAVIOURS,
    HIGH_SENSITIVITY_TYPES,
    NON_PERSONAL_TYPES,
    SECRET_TYPES,
)
from detectors.recognizers.base import Candidate
from detectors.types import Interaction, Segment


@dataclass(frozen=True)
class Policy:
    """Behaviour rules with per-behaviour severity overrides.

    `severities` maps a behaviour name to the severity a rule pack or an
    admin gives it instead of the default.
    """

    severities: Mapping[str, str] = field(default_factory=dict)

    def severity(
        self,
        behaviour: str | None,
        candidate: Candidate | None = None,
        segment: Segment | None = None,
    ) -> str:
        """Return the severity: the admin's override, then the rule's, then the default.

        A document an agent sends or forwards is high; one a customer uploads
        keeps the default, medium.
        """
        if behaviour is None:
            return "none"
        if behaviour in self.severities:
            return self.severities[behaviour]
        if candidate is not None:
            for tag in candidate.tags:
                if tag.startswith("severity:"):
                    return tag.split(":", 1)[1]
        agent = segment is not None and segment.speaker == "agent"
        if behaviour == "document_exposure" and agent:
            return "high"
        return BEHAVIOURS[behaviour].severity

    def behaviour(
        self, interaction: Interaction, segment: Segment, candidate: Candidate
    ) -> str | None:
        """Return the behaviour a candidate shows, or None for no case."""
        if candidate.tags & set(BEHAVIOURS):
            # An interaction analyzer already decided, for example a phrase.
            return sorted(candidate.tags & set(BEHAVIOURS))[0]
        if candidate.form != "full" or candidate.type in NON_PERSONAL_TYPES:
            return None
        if "no_case" in candidate.tags:
            return None
        if candidate.type in SECRET_TYPES:
            return "credential_request"
        if interaction.channel == "document" or segment.attachment:
            return "document_exposure"
        if (
            segment.speaker == "agent"
            and candidate.type in HIGH_SENSITIVITY_TYPES
            and segment.extra.get("public") is not False
        ):
            # An internal note is not said to anyone: the value stays in the
            # record unmasked, which is what `unmasked_record` covers.
            return "agent_full_disclosure"
        return "unmasked_record"
