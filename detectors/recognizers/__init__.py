"""Recognizers, one module per identifier or phrase family.

Every module in this package that defines `RECOGNIZERS` (a list of
`Recognizer` instances) is loaded by `load_recognizers`, so adding a
recognizer is adding a module.
"""

from __future__ import annotations

import importlib
import pkgutil

from detectors.recognizers.base import Candidate, Recognizer, Rule, SegmentView

__all__ = ["Candidate", "Recognizer", "Rule", "SegmentView", "load_recognizers"]


def load_recognizers() -> list[Recognizer]:
    """Import every recognizer module of this package, in name order."""
    found: list[Recognizer] = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        found.extend(getattr(module, "RECOGNIZERS", []))
    return found
