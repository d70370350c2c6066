"""Analyzers: rules that look across the segments of one interaction.

They run in the order of `default_analyzers()` after the per-segment
recognizers, and may add, drop or tag candidates.
"""

from __future__ import annotations

from detectors.analyzers.base import Analyzer, Candidates


def default_analyzers() -> list[Analyzer]:
    """Return every analyzer, in the order they must run."""
    from detectors.analyzers.answers import LastFourAnswerAnalyzer, SecretAnswerAnalyzer
    from detectors.analyzers.business_contacts import BusinessContactAnalyzer
    from detectors.analyzers.lone_names import LoneNameAnalyzer
    from detectors.analyzers.private_channel import PrivateChannelAnalyzer
    from detectors.analyzers.repeated_request import RepeatedRequestAnalyzer
    from detectors.analyzers.split_numbers import SplitNumberAnalyzer

    return [
        SplitNumberAnalyzer(),
        SecretAnswerAnalyzer(),
        LastFourAnswerAnalyzer(),
        PrivateChannelAnalyzer(),
        RepeatedRequestAnalyzer(),
        LoneNameAnalyzer(),
        BusinessContactAnalyzer(),
    ]


__all__ = ["Analyzer", "Candidates", "default_analyzers"]
