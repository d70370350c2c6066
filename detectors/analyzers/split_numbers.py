"""A number split across consecutive messages or call turns of one speaker.

"6222 0212" then "3456 7890 123": neither part proves anything alone, but
joined they are a card number. Each part is reported as a full value,
because together they disclose the whole number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import luhn

from detectors.analyzers.base import Candidates
from detectors.recognizers.base import Candidate, SegmentView
from detectors.recognizers.cn_resident_id import is_resident_id
from detectors.recognizers.payment_card import card_brand
from detectors.types import Interaction

# Short turns of the other party that do not break a split number: "嗯",
# "ok", "go on". Longer turns, or any with digits, end the chain.
_BACKCHANNEL_MAX_CHARS = 12
_MAX_PARTS = 4
_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")


@dataclass
class _Part:
    segment_id: str
    start: int
    end: int
    digits: str


def _part_of(view: SegmentView) -> _Part | None:
    """Return the segment's digits when the segment is mostly a number fragment."""
    sources = list(view.digit_sources())
    if not sources:
        return None
    digits = "".join(run.digits for _, run in sources)
    first_mapped, first_run = sources[0]
    last_mapped, last_run = sources[-1]
    start = view.run_span(first_mapped, first_run, 0, 1)[0]
    end = view.run_span(
        last_mapped, last_run, len(last_run.digits) - 1, len(last_run.digits)
    )[1]
    if not 2 <= len(digits) <= 15:
        return None
    return _Part(view.segment.id, start, end, digits)


def _prove(digits: str) -> tuple[str, str] | None:
    """Return (type, explanation) when the joined digits are a known identifier."""
    if is_resident_id(digits):
        return "CN_RESIDENT_ID", "resident ID split over messages"
    if (
        digits.isdigit()
        and 13 <= len(digits) <= 19
        and luhn.is_valid(digits)
        and card_brand(digits)
    ):
        return "BANK_CARD", "card number split over messages"
    if _CN_MOBILE.fullmatch(digits):
        return "PHONE_NUMBER", "mobile number split over messages"
    return None


class SplitNumberAnalyzer:
    def analyze(
        self,
        interaction: Interaction,
        views: dict[str, SegmentView],
        candidates: Candidates,
    ) -> None:
        chains: dict[str, list[_Part]] = {}
        for segment in interaction.segments:
            view = views[segment.id]
            has_value = any(
                c.type != "RISKY_PHRASE" and c.form == "full"
                for c in candidates.get(segment.id, [])
            )
            part = None if has_value else _part_of(view)
            for speaker, chain in list(chains.items()):
                if speaker != segment.speaker and not self._is_backchannel(view):
                    self._close(chain, candidates)
                    del chains[speaker]
            if part is None:
                if segment.speaker in chains:
                    self._close(chains.pop(segment.speaker), candidates)
                continue
            chains.setdefault(segment.speaker, []).append(part)
        for chain in chains.values():
            self._close(chain, candidates)

    @staticmethod
    def _is_backchannel(view: SegmentView) -> bool:
        text = view.text.strip()
        return (
            len(text) <= _BACKCHANNEL_MAX_CHARS
            and not view.runs
            and view.spoken is None
        )

    @staticmethod
    def _close(chain: list[_Part], candidates: Candidates) -> None:
        """Report the longest run of consecutive parts that proves a number."""
        if len(chain) < 2:
            return
        for width in range(min(len(chain), _MAX_PARTS), 1, -1):
            for first in range(0, len(chain) - width + 1):
                parts = chain[first : first + width]
                joined = "".join(p.digits for p in parts)
                proven = _prove(joined)
                if proven is None:
                    continue
                entity, explanation = proven
                for part in parts:
                    candidates.setdefault(part.segment_id, []).append(
                        Candidate(
                            part.start,
                            part.end,
                            entity,
                            "full",
                            joined,
                            0.85,
                            "split_number",
                            explanation,
                            tags={"split"},
                        )
                    )
                return
