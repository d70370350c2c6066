"""Redline's detectors: normalisation, recognizers, policy and masking.

This package imports nothing from the rest of Redline; adapters and infra
import it for the shared types.
"""

from detectors.engine import Detector, default_detector
from detectors.types import Case, CaseEvent, Finding, Interaction, Report, Segment

__all__ = [
    "Case",
    "CaseEvent",
    "Detector",
    "Finding",
    "Interaction",
    "Report",
    "Segment",
    "default_detector",
]
