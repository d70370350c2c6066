"""Recognizers, one module per identifier or phrase family.

Every module in this package that defines `RECOGNIZERS` (a list of
`Recognizer` instances) is loaded by `load_recognizers`, so adding a
recognizer is adding a module.
"""

from __future__ import annotations

import importlib
import pkgutil

from detectors.recognizers.base import Candidate, Recognizer, Rule, SegmentView

__all__ = [
    "Candidate",
    "Recognizer",
    "Rule",
    "SegmentView",
    "catalogue",
    "load_recognizers",
]


def load_recognizers() -> list[Recognizer]:
    """Import every recognizer module of this package, in name order."""
    found: list[Recognizer] = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        found.extend(getattr(module, "RECOGNIZERS", []))
    return found


def catalogue() -> list[dict[str, str | int]]:
    """List the rules of every recognizer, in load order, for display.

    Each entry names the recognizer and the rule, the entity type and form
    the rule reports, its description and how many examples and
    counter-examples it carries.
    """
    return [
        {
            "recognizer": recognizer.name,
            "rule": rule.id,
            "type": rule.type,
            "form": rule.form,
            "description": rule.description,
            "examples": len(rule.examples),
            "counter_examples": len(rule.counter_examples),
        }
        for recognizer in load_recognizers()
        for rule in recognizer.rules
    ]
