"""An agent's own contact detail given to move the conversation elsewhere.

The leak is the channel, so the phone number, email or messenger id in that
segment is placed in `private_channel`, not `unmasked_record`.
"""

from __future__ import annotations

from detectors.analyzers.base import Candidates, phrases_with
from detectors.recognizers.base import SegmentView
from detectors.types import Interaction

CONTACT_TYPES = frozenset({"PHONE_NUMBER", "EMAIL_ADDRESS", "IM_ACCOUNT"})


class PrivateChannelAnalyzer:
    def analyze(
        self,
        interaction: Interaction,
        views: dict[str, SegmentView],
        candidates: Candidates,
    ) -> None:
        for segment in interaction.segments:
            found = candidates.get(segment.id, [])
            if segment.speaker != "agent" or not phrases_with(found, "private_channel"):
                continue
            for candidate in found:
                if candidate.type in CONTACT_TYPES and candidate.form == "full":
                    candidate.tags.add("private_channel")
