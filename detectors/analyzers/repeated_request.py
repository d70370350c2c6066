"""The same sensitive item given twice in one interaction after a second request.

When a customer gives the same value in two segments and an agent segment
sits between them, the agent asked again: `redundant_verification`, unless a
phrase already said so.
"""

from __future__ import annotations

import re

from detectors.analyzers.base import Candidates, phrases_with
from detectors.phrases.matcher import concept_pattern
from detectors.recognizers.base import Candidate, SegmentView
from detectors.types import Interaction

# A request: a question, or a request verb or "again" word.
_REQUEST = re.compile(
    "[?？]|" + concept_pattern("ASK").pattern + "|" + concept_pattern("AGAIN").pattern
)
_IDENTIFIER_TYPES = frozenset(
    {
        "CN_RESIDENT_ID",
        "BANK_CARD",
        "PASSPORT",
        "US_SSN",
        "PHONE_NUMBER",
        "BANK_ACCOUNT",
    }
)


class RepeatedRequestAnalyzer:
    def analyze(
        self,
        interaction: Interaction,
        views: dict[str, SegmentView],
        candidates: Candidates,
    ) -> None:
        if any(
            phrases_with(found, "redundant_verification")
            for found in candidates.values()
        ):
            return
        first_seen: dict[tuple[str, str], int] = {}
        for index, segment in enumerate(interaction.segments):
            if segment.speaker != "customer":
                continue
            for candidate in candidates.get(segment.id, []):
                if candidate.type not in _IDENTIFIER_TYPES or candidate.form != "full":
                    continue
                key = (candidate.type, candidate.value.upper())
                if key not in first_seen:
                    first_seen[key] = index
                    continue
                asker = self._agent_between(interaction, first_seen[key], index)
                if asker is not None:
                    self._mark(views[interaction.segments[asker].id], candidates)
                    return

    @staticmethod
    def _agent_between(interaction: Interaction, first: int, second: int) -> int | None:
        """Return the last agent segment between two turns that asks for something."""
        for index in range(second - 1, first, -1):
            segment = interaction.segments[index]
            if segment.speaker == "agent" and _REQUEST.search(segment.text.lower()):
                return index
        return None

    @staticmethod
    def _mark(view: SegmentView, candidates: Candidates) -> None:
        text = view.text.rstrip()
        candidates.setdefault(view.segment.id, []).append(
            Candidate(
                0,
                len(text),
                "RISKY_PHRASE",
                "full",
                view.folded.text[: len(text)],
                0.7,
                "repeated_request",
                "the customer had already given this value",
                tags={"redundant_verification"},
            )
        )
