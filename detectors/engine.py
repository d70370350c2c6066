"""The detector: recognizers, then interaction analyzers, then policy.

segments --recognizers--> candidates --overlaps resolved-->
--analyzers (whole interaction)--> --policy--> findings
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from detectors.analyzers import Analyzer, default_analyzers
from detectors.behaviours import BEHAVIOURS
from detectors.masking import MaskedText, fingerprint, mask_value
from detectors.policy import Policy
from detectors.recognizers import Candidate, Recognizer, SegmentView, load_recognizers
from detectors.types import Finding, Interaction, Report, Segment

# Type order that breaks ties when two candidates of equal confidence cover the same text.
_TYPE_PRIORITY = {
    "CN_RESIDENT_ID": 0,
    "BANK_CARD": 1,
    "US_SSN": 2,
    "PASSPORT": 3,
    "PHONE_NUMBER": 5,
    "EMAIL_ADDRESS": 6,
}


def _layer(candidate: Candidate) -> str:
    """Return the layer a candidate competes in for its span.

    Values compete with values. A phrase competes only with phrases of the
    same behaviour, because one request can show two behaviours at once.
    """
    if candidate.type == "RISKY_PHRASE":
        return "phrase:" + ",".join(sorted(candidate.tags & set(BEHAVIOURS)))
    return "value"


def resolve_overlaps(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Keep the best of overlapping candidates, in text order.

    Higher confidence wins, then the longer span, then the type priority.
    """
    ranked = sorted(
        candidates,
        key=lambda c: (-c.confidence, -c.length, _TYPE_PRIORITY.get(c.type, 9)),
    )
    kept: list[Candidate] = []
    for candidate in ranked:
        layer = _layer(candidate)
        if not any(candidate.overlaps(o) and _layer(o) == layer for o in kept):
            kept.append(candidate)
    return sorted(kept, key=lambda c: (c.start, c.end))


class Detector:
    """Runs the whole detection on an interaction and returns a `Report`."""

    def __init__(
        self,
        recognizers: Sequence[Recognizer] | None = None,
        analyzers: Sequence[Analyzer] | None = None,
        policy: Policy | None = None,
        fingerprint_key: bytes = b"",
        min_confidence: float = 0.5,
    ) -> None:
        self.recognizers = (
            list(recognizers) if recognizers is not None else load_recognizers()
        )
        self.analyzers = (
            list(analyzers) if analyzers is not None else default_analyzers()
        )
        self.policy = policy or Policy()
        self.fingerprint_key = fingerprint_key
        self.min_confidence = min_confidence

    def detect(self, interaction: Interaction) -> Report:
        views = {
            segment.id: SegmentView(segment, interaction.language)
            for segment in interaction.segments
        }
        candidates: dict[str, list[Candidate]] = {}
        for segment in interaction.segments:
            view = views[segment.id]
            proposed = [
                candidate
                for recognizer in self.recognizers
                for candidate in recognizer.find(view)
                if candidate.confidence >= self.min_confidence
            ]
            candidates[segment.id] = resolve_overlaps(proposed)
        for analyzer in self.analyzers:
            analyzer.analyze(interaction, views, candidates)
        for segment_id, found in candidates.items():
            candidates[segment_id] = resolve_overlaps(found)

        findings: list[Finding] = []
        for segment in interaction.segments:
            kept = candidates.get(segment.id, [])
            if not kept:
                continue
            masked_text = MaskedText(
                segment.text,
                [
                    (c.start, c.end, mask_value(c.type, c.shown or c.value))
                    for c in kept
                    if c.value
                ],
            )
            for candidate in kept:
                findings.append(
                    self._finding(interaction, segment, candidate, masked_text)
                )
        return Report(interaction, findings)

    def _finding(
        self,
        interaction: Interaction,
        segment: Segment,
        candidate: Candidate,
        masked_text: MaskedText,
    ) -> Finding:
        behaviour = self.policy.behaviour(interaction, segment, candidate)
        masked = mask_value(candidate.type, candidate.shown or candidate.value)
        start_ms, end_ms = _time_range(segment, candidate)
        return Finding(
            segment=segment.id,
            start=candidate.start,
            end=candidate.end,
            type=candidate.type,
            form=candidate.form,
            behaviour=behaviour,
            severity=self.policy.severity(behaviour, candidate, segment),
            rule=candidate.rule,
            confidence=candidate.confidence,
            masked=masked,
            fingerprint=(
                fingerprint(self.fingerprint_key, candidate.type, candidate.value)
                if self.fingerprint_key and candidate.value
                else ""
            ),
            excerpt=masked_text.excerpt(candidate.start, candidate.end),
            suggestion=suggestion_for(
                candidate.type, candidate.form, masked, behaviour
            ),
            explanation=candidate.explanation,
            start_ms=start_ms,
            end_ms=end_ms,
        )


# Advice for a risky phrase, by the behaviour it shows.
_PHRASE_ADVICE = {
    "credential_request": "Never ask for passwords, PINs, CVVs or one-time codes; "
    "delete any the customer sent.",
    "private_channel": "Keep the conversation and the customer's data on the "
    "company's channels.",
    "unauthorised_retention": "Delete the copy kept outside the system.",
    "over_collection": "Ask only for what the process needs, such as the last four "
    "digits.",
    "partial_hint": "Verify through the system instead of asking for part of an "
    "identifier.",
    "redundant_verification": "Do not ask again for what the customer already gave.",
}


def suggestion_for(
    entity_type: str, form: str, masked: str, behaviour: str | None = None
) -> str:
    """Return the redaction or coaching suggestion shown next to a finding."""
    if entity_type == "RISKY_PHRASE":
        return _PHRASE_ADVICE.get(behaviour or "", "")
    if form != "full":
        return ""
    if not masked or set(masked) == {"*"}:
        return f"Delete the {entity_type.lower().replace('_', ' ')} from the record."
    return f"Replace it with {masked}."


def _time_range(
    segment: Segment, candidate: Candidate
) -> tuple[int | None, int | None]:
    """Interpolate a finding's audio time range from its character offsets."""
    if segment.start_ms is None or segment.end_ms is None or not segment.text:
        return None, None
    duration = segment.end_ms - segment.start_ms
    length = len(segment.text)
    start_ms = segment.start_ms + duration * candidate.start // length
    end_ms = segment.start_ms + -(-duration * candidate.end // length)
    return start_ms, end_ms


def default_detector(fingerprint_key: bytes = b"") -> Detector:
    """Return a detector with every recognizer and analyzer and default policy."""
    return Detector(fingerprint_key=fingerprint_key)
