"""`python -m gateway eval CORPUS`: run the detectors on a labelled corpus and score them.

The corpus is JSON lines of interactions with `labels` (entities with
segment, offsets, type and form; behaviours; severity). Scoring rules:

- a labelled `full` value is found when a finding of the same type in the
  same segment overlaps it with intersection over union of at least 0.5;
- a `full` finding that overlaps no label of its type is a false positive;
- a `masked` or `partial` label matched by a `full` finding counts in the
  masked->full column;
- behaviours are scored per interaction as sets; severity is the highest of
  the interaction's behaviours.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from detectors.engine import Detector
from detectors.schema import ValidationError, interaction_from_dict

SCORED_TYPES = (
    "CN_RESIDENT_ID", "BANK_CARD", "PHONE_NUMBER", "EMAIL_ADDRESS", "ADDRESS",
    "PASSPORT", "US_SSN", "VERIFICATION_CODE", "CARD_CVV",
)  # fmt: skip
_MIN_OVERLAP = 0.5


def overlap_ratio(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Return the intersection over union of two half-open spans."""
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union else 0.0


@dataclass
class Scores:
    """Counts from scoring predictions against labels."""

    true_positives: Counter[str] = field(default_factory=Counter)
    false_negatives: Counter[str] = field(default_factory=Counter)
    false_positives: Counter[str] = field(default_factory=Counter)
    masked_as_full: Counter[str] = field(default_factory=Counter)
    behaviour_tp: Counter[str] = field(default_factory=Counter)
    behaviour_fn: Counter[str] = field(default_factory=Counter)
    behaviour_fp: Counter[str] = field(default_factory=Counter)
    severity: dict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    interactions: int = 0

    def add(self, labels: dict[str, Any], prediction: dict[str, Any]) -> None:
        self.interactions += 1
        findings = [f for f in prediction.get("findings", []) if f.get("type")]
        self._entities(labels.get("entities", []), findings)
        wanted = set(labels.get("behaviours", []))
        got = set(prediction.get("behaviours") or [])
        for behaviour in wanted | got:
            if behaviour in wanted and behaviour in got:
                self.behaviour_tp[behaviour] += 1
            elif behaviour in wanted:
                self.behaviour_fn[behaviour] += 1
            else:
                self.behaviour_fp[behaviour] += 1
        self.severity[labels.get("severity", "none")][
            prediction.get("severity", "none")
        ] += 1

    def _entities(
        self, labels: list[dict[str, Any]], findings: list[dict[str, Any]]
    ) -> None:
        used: set[int] = set()
        for label in labels:
            span = (label["start"], label["end"])
            match = next(
                (
                    index
                    for index, finding in enumerate(findings)
                    if index not in used
                    and finding.get("segment") == label["segment"]
                    and finding["type"] == label["type"]
                    and overlap_ratio(span, (finding["start"], finding["end"]))
                    >= _MIN_OVERLAP
                ),
                None,
            )
            if label.get("form", "full") == "full":
                if match is None:
                    self.false_negatives[label["type"]] += 1
                else:
                    self.true_positives[label["type"]] += 1
                    used.add(match)
            elif match is not None:
                used.add(match)
                if findings[match].get("form", "full") == "full":
                    self.masked_as_full[label["type"]] += 1
        for index, finding in enumerate(findings):
            if index in used or finding.get("form", "full") != "full":
                continue
            touches_label = any(
                label["segment"] == finding.get("segment")
                and label["type"] == finding["type"]
                and overlap_ratio(
                    (label["start"], label["end"]), (finding["start"], finding["end"])
                )
                > 0
                for label in labels
            )
            if not touches_label:
                self.false_positives[finding["type"]] += 1


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def _prf(tp: int, fn: int, fp: int) -> tuple[float, float, float]:
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def render(scores: Scores, types: Iterable[str] = SCORED_TYPES) -> str:
    """Format the scores as the entity, behaviour and severity tables."""
    lines = [
        f"{'entity':22} {'TP':>5} {'FN':>5} {'FP':>5} {'prec':>6} {'recall':>6} "
        f"{'F1':>6} {'masked->full':>12}"
    ]
    totals = [0, 0, 0]
    for entity in types:
        tp, fn, fp = (
            scores.true_positives[entity],
            scores.false_negatives[entity],
            scores.false_positives[entity],
        )
        totals = [totals[0] + tp, totals[1] + fn, totals[2] + fp]
        if tp + fn + fp:
            p, r, f1 = _prf(tp, fn, fp)
            lines.append(
                f"{entity:22} {tp:5} {fn:5} {fp:5} {p:6.3f} {r:6.3f} {f1:6.3f} "
                f"{scores.masked_as_full[entity]:12}"
            )
    p, r, f1 = _prf(*totals)
    lines.append(
        f"{'ALL':22} {totals[0]:5} {totals[1]:5} {totals[2]:5} {p:6.3f} {r:6.3f} {f1:6.3f}"
    )
    lines += [
        "",
        f"{'behaviour':24} {'TP':>5} {'FN':>5} {'FP':>5} {'prec':>6} {'recall':>6}",
    ]
    behaviours = (
        set(scores.behaviour_tp) | set(scores.behaviour_fn) | set(scores.behaviour_fp)
    )
    for behaviour in sorted(behaviours):
        tp, fn, fp = (
            scores.behaviour_tp[behaviour],
            scores.behaviour_fn[behaviour],
            scores.behaviour_fp[behaviour],
        )
        p, r, _ = _prf(tp, fn, fp)
        lines.append(f"{behaviour:24} {tp:5} {fn:5} {fp:5} {p:6.3f} {r:6.3f}")
    confusion = scores.severity
    total = sum(sum(row.values()) for row in confusion.values())
    correct = sum(confusion[s][s] for s in confusion)
    high = sum(confusion["high"].values()) if "high" in confusion else 0
    calm = [s for s in ("none", "low") if s in confusion]
    calm_total = sum(sum(confusion[s].values()) for s in calm)
    false_high = sum(confusion[s]["high"] for s in calm)
    lines += [
        "",
        f"severity accuracy {_ratio(correct, total):.3f}  "
        f"high-risk recall {_ratio(confusion['high']['high'], high) if high else 1.0:.3f}  "
        f"false-high rate on none/low {false_high / calm_total if calm_total else 0.0:.3f}",
        "confusion (label -> predicted): "
        + json.dumps({k: dict(v) for k, v in confusion.items() if sum(v.values())}),
    ]
    return "\n".join(lines)


def evaluate_file(path: Path, detector: Detector, err: IO[str]) -> Scores:
    """Detect on every labelled interaction of a corpus file and score it."""
    scores = Scores()
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                interaction = interaction_from_dict(data)
            except (json.JSONDecodeError, ValidationError, RecursionError) as error:
                print(f"{path}:{number}: skipped: {type(error).__name__}", file=err)
                continue
            labels = data.get("labels")
            if not isinstance(labels, dict):
                print(f"{path}:{number}: skipped: no labels object", file=err)
                continue
            prediction = detector.detect(interaction).to_prediction()
            scores.add(labels, prediction)
    return scores
