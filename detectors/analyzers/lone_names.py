"""A name alone raises no case: only a name next to the person's data does."""

from __future__ import annotations

from detectors.analyzers.base import Candidates
from detectors.recognizers.base import SegmentView
from detectors.types import Interaction

# Types that are personal data only together with something else.
_WEAK_TYPES = frozenset({"PERSON_NAME"})


class LoneNameAnalyzer:
    def analyze(
        self,
        interaction: Interaction,
        views: dict[str, SegmentView],
        candidates: Candidates,
    ) -> None:
        for found in candidates.values():
            values = [c for c in found if c.type != "RISKY_PHRASE" and c.form == "full"]
            if values and all(c.type in _WEAK_TYPES for c in values):
                for candidate in values:
                    candidate.tags.add("no_case")
