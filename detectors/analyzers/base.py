"""The analyzer contract and helpers shared by analyzers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from detectors.recognizers.base import Candidate, SegmentView
from detectors.types import Interaction, Segment

# Candidates per segment id, in text order.
Candidates = dict[str, list[Candidate]]


class Analyzer(Protocol):
    """Looks across the segments of one interaction and edits the candidates."""

    def analyze(
        self,
        interaction: Interaction,
        views: dict[str, SegmentView],
        candidates: Candidates,
    ) -> None: ...


def phrases_with(candidates: list[Candidate], tag: str) -> list[Candidate]:
    """Return the risky-phrase candidates that carry `tag`."""
    return [c for c in candidates if c.type == "RISKY_PHRASE" and tag in c.tags]


def replies_after(
    interaction: Interaction, index: int, max_replies: int = 2
) -> Iterator[Segment]:
    """Yield the other party's segments that follow segment `index`.

    Stops at the next segment of the same speaker as segment `index`, or
    after `max_replies` replies.
    """
    asker = interaction.segments[index].speaker
    replies = 0
    for segment in interaction.segments[index + 1 :]:
        if segment.speaker == asker:
            return
        if segment.speaker == "system":
            continue
        yield segment
        replies += 1
        if replies >= max_replies:
            return


def add_candidate(
    candidates: Candidates, segment_id: str, candidate: Candidate
) -> bool:
    """Add a candidate unless a value candidate already covers part of its span."""
    kept = candidates.setdefault(segment_id, [])
    for other in kept:
        if other.type != "RISKY_PHRASE" and other.overlaps(candidate):
            return False
    kept.append(candidate)
    kept.sort(key=lambda c: (c.start, c.end))
    return True
