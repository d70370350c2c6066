"""Measure the detectors on third-party data and print one report per set.

Usage:

    .venv/bin/python benchmarks/thirdparty_accuracy.py [SHARED] [--only SET ...]

SHARED is the shared folder (default: `../shared` from the repository root).
Each set is read from SHARED at run time and converted into interactions in
memory; nothing is written to disk. The report contains types, shapes and
counts only, never a value or a sentence from the data, because the
MultiPriv set may be used for evaluation only and the others are not ours to
copy. The output is Markdown.

Span scoring is `gateway.evaluate`'s: a labelled value is found when a
finding of the same type in the same segment overlaps it with intersection
over union of at least 0.5.
"""

from __future__ import annotations

import argparse
import datetime
import email
import email.message
import email.policy
import ipaddress
import json
import random
import re
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stdnum.cn import ric  # noqa: E402
from stdnum.exceptions import ValidationError as StdnumError  # noqa: E402

from detectors.engine import Detector  # noqa: E402
from detectors.types import Finding, Interaction, Report, Segment  # noqa: E402
from gateway.evaluate import Scores, evaluate_file, overlap_ratio, render  # noqa: E402

MIN_OVERLAP = 0.5
Span = tuple[int, int]
Entity = dict[str, Any]
Prediction = dict[str, Any]


# Building input


def make_interaction(
    interaction_id: str,
    channel: str,
    language: str,
    turns: Sequence[tuple[str, str]],
    times: Sequence[tuple[int, int]] | None = None,
) -> Interaction:
    """Build an interaction from (speaker, text) turns.

    The segments get the ids s1, s2 and so on, in turn order.
    """
    segments = []
    for index, (speaker, text) in enumerate(turns):
        start_ms, end_ms = times[index] if times else (None, None)
        segments.append(
            Segment(
                id=f"s{index + 1}",
                speaker=speaker,
                text=text,
                start_ms=start_ms,
                end_ms=end_ms,
            )
        )
    return Interaction(
        id=interaction_id, channel=channel, segments=segments, language=language
    )


def find_all(text: str, value: str, ignore_case: bool = False) -> list[Span]:
    """Return the spans of every non-overlapping occurrence of `value`."""
    if not value:
        return []
    haystack, needle = (text.lower(), value.lower()) if ignore_case else (text, value)
    spans, start = [], haystack.find(needle)
    while start >= 0:
        spans.append((start, start + len(needle)))
        start = haystack.find(needle, start + len(needle))
    return spans


def entity(segment: str, span: Span, entity_type: str) -> Entity:
    """Return one `full` label in the dev corpus format."""
    return {
        "segment": segment,
        "start": span[0],
        "end": span[1],
        "type": entity_type,
        "form": "full",
    }


def overlapping(findings: Iterable[Finding], segment: str, span: Span) -> list[Finding]:
    return [
        finding
        for finding in findings
        if finding.segment == segment
        and overlap_ratio(span, (finding.start, finding.end)) > 0
    ]


# Formatting


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
    ]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def code_block(text: str) -> str:
    return "```\n" + text + "\n```"


def entity_table(scores: Scores, types: Iterable[str]) -> str:
    """Return the entity table of `render`, without behaviours and severity.

    The third-party sets carry no behaviour labels, so render's behaviour and
    severity tables would count every predicted behaviour as wrong.
    """
    return code_block(render(scores, types).split("\n\n", 1)[0])


def recall_by_shape(
    outcomes: Iterable[tuple[str, str, bool]],
    entity_type: str,
    shape: Callable[[str], str],
    title: str,
) -> str:
    """Tabulate labels of one type by shape: how many, how many found."""
    counts: Counter[tuple[str, bool]] = Counter(
        (shape(value), found) for kind, value, found in outcomes if kind == entity_type
    )
    shapes = sorted({name for name, _ in counts})
    return markdown_table(
        (title, "labels", "found", "recall"),
        (
            (
                name,
                counts[(name, True)] + counts[(name, False)],
                counts[(name, True)],
                percent(
                    counts[(name, True)], counts[(name, True)] + counts[(name, False)]
                ),
            )
            for name in shapes
        ),
    )


# Scoring


@dataclass
class SpanDiagnosis:
    """Per-label outcomes, why labels were missed, what false positives hit.

    The matching mirrors `gateway.evaluate.Scores`: each finding serves at
    most one label, the first in label order. `outcomes` keeps each label's
    text in memory for shape tables; it is never printed.
    """

    outcomes: list[tuple[str, str, bool]] = field(default_factory=list)
    missed: Counter[tuple[str, str]] = field(default_factory=Counter)
    false_positives: Counter[tuple[str, str]] = field(default_factory=Counter)
    unscored_types: Counter[str] = field(default_factory=Counter)

    def add(
        self,
        interaction: Interaction,
        labels: list[Entity],
        findings: list[Prediction],
        scored: set[str],
        raw_labels: list[Entity],
    ) -> None:
        texts = {segment.id: segment.text for segment in interaction.segments}
        used: set[int] = set()
        for label in labels:
            span = (label["start"], label["end"])
            match = next(
                (
                    index
                    for index, finding in enumerate(findings)
                    if index not in used
                    and finding["segment"] == label["segment"]
                    and finding["type"] == label["type"]
                    and overlap_ratio(span, (finding["start"], finding["end"]))
                    >= MIN_OVERLAP
                ),
                None,
            )
            value = texts[label["segment"]][span[0] : span[1]]
            self.outcomes.append((label["type"], value, match is not None))
            if match is not None:
                used.add(match)
            else:
                self.missed[(label["type"], _miss_reason(label, findings))] += 1
        for index, finding in enumerate(findings):
            if index in used or finding["form"] != "full":
                continue
            if finding["type"] not in scored:
                if finding["type"] != "RISKY_PHRASE":
                    self.unscored_types[finding["type"]] += 1
                continue
            if any(_touches(finding, label, same_type=True) for label in labels):
                continue
            kinds = sorted(
                {label["type"] for label in raw_labels if _touches(finding, label)}
            )
            reason = "label " + ", ".join(kinds) if kinds else "no label"
            self.false_positives[(finding["type"], reason)] += 1

    def render(self) -> str:
        parts = []
        if self.missed:
            parts.append(
                markdown_table(
                    ("missed type", "what Redline reported over it", "count"),
                    ((*key, count) for key, count in sorted(self.missed.items())),
                )
            )
        if self.false_positives:
            parts.append(
                markdown_table(
                    ("false-positive type", "what the data labels there", "count"),
                    (
                        (*key, count)
                        for key, count in sorted(self.false_positives.items())
                    ),
                )
            )
        if self.unscored_types:
            parts.append(
                markdown_table(
                    ("other type reported (full form, not scored here)", "count"),
                    sorted(self.unscored_types.items()),
                )
            )
        return "\n\n".join(parts)


def _touches(finding: Prediction, label: Entity, same_type: bool = False) -> bool:
    return (
        label["segment"] == finding["segment"]
        and (not same_type or label["type"] == finding["type"])
        and overlap_ratio(
            (label["start"], label["end"]), (finding["start"], finding["end"])
        )
        > 0
    )


def _miss_reason(label: Entity, findings: list[Prediction]) -> str:
    over = [finding for finding in findings if _touches(finding, label)]
    if not over:
        return "nothing"
    if any(finding["type"] == label["type"] for finding in over):
        return "same type, overlap below 0.5"
    return "other type: " + ", ".join(
        sorted({f"{finding['type']} ({finding['form']})" for finding in over})
    )


@dataclass
class CaseSummary:
    """Counts of the cases the ledger would open for a batch of interactions."""

    interactions: int = 0
    severities: Counter[str] = field(default_factory=Counter)
    behaviours: Counter[str] = field(default_factory=Counter)
    causes: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def add(self, report: Report) -> None:
        self.interactions += 1
        self.severities[report.severity if report.raises_case else "none"] += 1
        self.behaviours.update(report.behaviours)
        speakers = {s.id: s.speaker for s in report.interaction.segments}
        for finding in report.findings:
            if finding.behaviour:
                key = (finding.type, finding.behaviour, speakers[finding.segment])
                self.causes[key] += 1

    def render(self) -> str:
        opened = self.interactions - self.severities["none"]
        lines = [
            f"Cases: {opened} of {self.interactions} interactions "
            f"({percent(opened, self.interactions)}) would open one; by severity "
            + ", ".join(
                f"{level} {self.severities[level]}"
                for level in ("high", "medium", "low", "none")
            )
            + "."
        ]
        if self.behaviours:
            lines += [
                "",
                markdown_table(
                    ("behaviour", "interactions"), self.behaviours.most_common()
                ),
            ]
        if self.causes:
            lines += [
                "",
                markdown_table(
                    ("finding type", "behaviour", "speaker", "findings"),
                    ((*key, count) for key, count in self.causes.most_common()),
                ),
            ]
        return "\n".join(lines)


@dataclass
class LabelledRun:
    """Scores, diagnosis and case summary of one span-labelled set."""

    types: tuple[str, ...]
    scores: Scores = field(default_factory=Scores)
    diagnosis: SpanDiagnosis = field(default_factory=SpanDiagnosis)
    cases: CaseSummary = field(default_factory=CaseSummary)

    def add(
        self,
        report: Report,
        labels: list[Entity],
        raw_labels: list[Entity] | None = None,
    ) -> None:
        prediction = report.to_prediction()
        self.scores.add({"entities": labels}, prediction)
        self.diagnosis.add(
            report.interaction,
            labels,
            prediction["findings"],
            set(self.types),
            labels if raw_labels is None else raw_labels,
        )
        self.cases.add(report)

    def render(self) -> str:
        parts = [entity_table(self.scores, self.types), self.diagnosis.render()]
        parts.append(self.cases.render())
        return "\n\n".join(part for part in parts if part)


# Shapes


def phone_validity(value: str, language: str) -> str:
    """Classify a labelled phone number by what phonenumbers 9.0 makes of it.

    The default regions are the ones the phone recognizer tries for the
    language. A national number that is valid only in another region cannot
    be placed without its country code.
    """
    text = value.strip()
    if text.startswith(("+", "00")):
        try:
            number = phonenumbers.parse("+" + text.lstrip("+0"), None)
        except phonenumbers.NumberParseException:
            return "country code, not a valid number"
        if phonenumbers.is_valid_number(number):
            return "country code, valid number"
        return "country code, not a valid number"
    defaults = ("US", "GB", "CN") if language == "en" else ("CN", "US", "GB")
    if _valid_in(text, defaults):
        return "national, valid in US, GB or CN"
    others = sorted(phonenumbers.SUPPORTED_REGIONS - set(defaults))
    if _valid_in(text, others):
        return "national, valid only in another country"
    return "not valid in any region"


def _valid_in(text: str, regions: Iterable[str]) -> bool:
    for region in regions:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


# Common street suffixes (USPS and Royal Mail usage) for describing shapes.
_STREET_WORDS = re.compile(
    r"\b(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|court|ct|boulevard|blvd"
    r"|way|place|pl|square|sq|close|crescent|terrace|grove|gardens|walk|row"
    r"|parade|passage|parkway|pkwy|highway|hwy|circle|cir|trail|plaza)\b\.?",
    re.IGNORECASE,
)


def english_address_shape(value: str) -> str:
    """Describe an English-data address label in a few words."""
    text = " ".join(value.split())
    if re.fullmatch(r"[0-9]+", text):
        return "a number alone (house number or ZIP)"
    if re.fullmatch(r"(?i)(?:apt|suite|unit|flat)\.?\s*\S+", text):
        return "a unit alone (Apt, Suite)"
    if re.search(r"\b(?:APO|FPO|DPO)\b", text):
        return "US military (PSC or Unit, Box, APO)"
    if re.match(r"[0-9]", text):
        if not _STREET_WORDS.search(text):
            return "number first, no English street suffix"
        if re.fullmatch(r"[0-9]+[A-Za-z]?\s[^0-9,]*", text):
            return "number, street and suffix only"
        return "number, street and suffix, then unit, town or code"
    if re.match(r"[^0-9]+\s[0-9]+", text):
        return "street name first, house number after"
    return "no house number"


def iban_layout(value: str) -> str:
    if value.isalnum():
        return "compact"
    if re.fullmatch(
        r"[A-Z]{2}[0-9]{2}(?: [0-9A-Za-z]{4})*(?: [0-9A-Za-z]{1,4})?", value
    ):
        return "groups of four"
    return "other grouping or punctuation"


# 1. dev corpus


def dev_corpus(shared: Path, detector: Detector) -> str:
    path = shared / "eval" / "dev-conversations.jsonl"
    return code_block(render(evaluate_file(path, detector, sys.stderr)))


# 2. presidio-research

# Presidio entity names that have a Redline type. The others are not scored.
PRESIDIO_TYPES = {
    "PERSON": "PERSON_NAME",
    "STREET_ADDRESS": "ADDRESS",
    "ADDRESS": "ADDRESS",
    "CREDIT_CARD": "BANK_CARD",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "IBAN_CODE": "BANK_ACCOUNT",
    "US_SSN": "US_SSN",
    "IP_ADDRESS": "IP_ADDRESS",
}
PRESIDIO_SCORED = (
    "BANK_CARD",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "ADDRESS",
    "US_SSN",
    "BANK_ACCOUNT",
    "IP_ADDRESS",
    "DATE_OF_BIRTH",
    "PERSON_NAME",
)
# A DATE_TIME label counts as a birth date when one of these words ends
# within this many characters before it ("born on", "date of birth").
_BIRTH_CUE = re.compile(r"(?i)\b(?:born|birth|dob|birthday)\b")
_BIRTH_WINDOW = 24


def presidio_research(shared: Path, detector: Detector) -> str:
    folder = shared / "thirdparty" / "presidio-research"
    parts = [
        "Each sentence is one customer chat message (language en). Mapped labels: "
        + ", ".join(f"{k} -> {v}" for k, v in PRESIDIO_TYPES.items())
        + f". DATE_TIME counts as DATE_OF_BIRTH only when born, birth, DOB or "
        f"birthday ends within {_BIRTH_WINDOW} characters before it. PERSON_NAME "
        "is not scored on the dev corpus and is listed here for information."
    ]
    for name in ("synth_dataset_v2.json", "generated_small.json"):
        records = json.loads((folder / name).read_text(encoding="utf-8"))
        run = LabelledRun(PRESIDIO_SCORED)
        unmapped: Counter[str] = Counter()
        for number, record in enumerate(records):
            text = record["full_text"]
            interaction = make_interaction(
                f"presidio-{number}", "chat", "en", [("customer", text)]
            )
            labels, raw = [], []
            for span in record["spans"]:
                bounds = (span["start_position"], span["end_position"])
                raw.append(entity("s1", bounds, span["entity_type"]))
                mapped = PRESIDIO_TYPES.get(span["entity_type"])
                before = text[max(0, bounds[0] - _BIRTH_WINDOW) : bounds[0]]
                if span["entity_type"] == "DATE_TIME" and _BIRTH_CUE.search(before):
                    mapped = "DATE_OF_BIRTH"
                if mapped:
                    labels.append(entity("s1", bounds, mapped))
                else:
                    unmapped[span["entity_type"]] += 1
            run.add(detector.detect(interaction), labels, raw)
        outcomes = run.diagnosis.outcomes
        parts.append(
            f"### {name}: {len(records)} sentences\n\n"
            "Unmapped labels (not scored): "
            + ", ".join(f"{kind} {count}" for kind, count in unmapped.most_common())
            + "\n\n"
            + run.render()
            + "\n\nADDRESS labels by shape:\n\n"
            + recall_by_shape(outcomes, "ADDRESS", english_address_shape, "shape")
            + "\n\nPHONE_NUMBER labels by validity in phonenumbers:\n\n"
            + recall_by_shape(
                outcomes,
                "PHONE_NUMBER",
                lambda value: phone_validity(value, "en"),
                "validity",
            )
        )
    return "\n\n".join(parts)


# 3. python-stdnum

# Neutral carrier sentences for bare values: (language, template).
CARRIERS = (("zh", "号码是{value}。"), ("en", "number {value}."))
_CALL = re.compile(r"^(?P<function>\w+)\('(?P<value>[^']*)'(?P<rest>[^)]*)\)$")


@dataclass
class ValueGroup:
    """Bare values with the type Redline should, or must not, report on them."""

    name: str
    values: list[str]
    expected: str | None = None
    forbidden: str | None = None


def _call_values(module: dict[str, Any]) -> list[str]:
    """Return the first argument of each doctest call, in order, without repeats."""
    values = []
    for call in module["calls"]:
        match = _CALL.match(call["call"])
        if match and "alphabet" not in match["rest"]:
            values.append(match["value"])
    return list(dict.fromkeys(values))


def _resident_id_category(value: str) -> str:
    """Classify a value by GB 11643 check character, birth date and stdnum."""
    compact = value.upper()
    if len(compact) != 18 or not compact[:17].isdigit():
        return "bad format"
    if ric.calc_check_digit(compact) != compact[17]:
        return "bad check character"
    try:
        ric.get_birth_date(compact)
    except StdnumError:
        return "bad birth date"
    try:
        ric.validate(compact)
    except StdnumError:
        return "valid, rejected by stdnum for the region code only"
    return "valid, stdnum validate accepts"


def _iban_block_name(block: dict[str, Any]) -> str:
    description = block["description"].lower()
    if block["kind"] == "valid":
        if "country-specific" in description:
            return "IBAN valid, fails stdnum's national check"
        return "IBAN valid, registry samples"
    if "length" in description:
        return "IBAN invalid: wrong length"
    if "checksum" in description:
        return "IBAN invalid: broken check digits or mangled"
    return "IBAN invalid: misplaced letters or digits, unknown country"


def _stdnum_groups(modules: dict[str, Any]) -> list[ValueGroup]:
    """Group the doctest values by what Redline should report on them."""
    groups = []

    categories: dict[str, list[str]] = {}
    for value in _call_values(modules["cn_ric"]):
        categories.setdefault(_resident_id_category(value), []).append(value)
    for category, values in sorted(categories.items()):
        if category.startswith("valid"):
            groups.append(
                ValueGroup(f"resident ID {category}", values, "CN_RESIDENT_ID")
            )
        else:
            groups.append(
                ValueGroup(
                    f"resident ID, {category}", values, forbidden="CN_RESIDENT_ID"
                )
            )

    luhn = [value for value in _call_values(modules["luhn"]) if value.isdigit()]
    groups.append(ValueGroup("Luhn test strings", luhn, forbidden="BANK_CARD"))
    imei = _call_values(modules["imei"])
    groups.append(ValueGroup("IMEI and IMEISV numbers", imei, forbidden="BANK_CARD"))

    for block in modules["iban"]["blocks"]:
        values = [value for value in block["values"] if value]
        if block["kind"] == "valid":
            groups.append(ValueGroup(_iban_block_name(block), values, "BANK_ACCOUNT"))
        else:
            groups.append(
                ValueGroup(_iban_block_name(block), values, forbidden="BANK_ACCOUNT")
            )
    groups.append(
        ValueGroup(
            "IBAN invalid: too short, unknown country",
            _call_values(modules["iban"]),
            forbidden="BANK_ACCOUNT",
        )
    )

    codes = [
        value for block in modules["cn_uscc"]["blocks"] for value in block["values"]
    ]
    codes += _call_values(modules["cn_uscc"])
    groups.append(
        ValueGroup(
            "company codes (USCC), valid and invalid",
            list(dict.fromkeys(codes)),
            forbidden="CN_RESIDENT_ID",
        )
    )
    return groups


def _findings_over_value(
    detector: Detector, language: str, value: str
) -> list[Finding]:
    template = dict(CARRIERS)[language]
    text = template.format(value=value)
    start = text.index(value)
    interaction = make_interaction("stdnum", "chat", language, [("customer", text)])
    report = detector.detect(interaction)
    return overlapping(report.findings, "s1", (start, start + len(value)))


def stdnum_vectors(shared: Path, detector: Detector) -> str:
    path = shared / "thirdparty" / "python-stdnum" / "stdnum_test_vectors.json"
    modules = json.loads(path.read_text(encoding="utf-8"))["modules"]
    summary, detail = [], []
    iban_outcomes: list[tuple[str, str, bool]] = []
    for group in _stdnum_groups(modules):
        as_expected: Counter[str] = Counter()
        reported: Counter[str] = Counter()
        for value in group.values:
            for language, _template in CARRIERS:
                findings = _findings_over_value(detector, language, value)
                full = {f.type for f in findings if f.form == "full"}
                reported[
                    ", ".join(sorted({f"{f.type} ({f.form})" for f in findings}))
                    or "nothing"
                ] += 1
                if group.expected:
                    ok = group.expected in full
                    if group.expected == "BANK_ACCOUNT" and language == "en":
                        iban_outcomes.append(("IBAN", value, ok))
                else:
                    ok = group.forbidden not in full
                as_expected[language] += ok
        n = len(group.values)
        expectation = (
            f"found as {group.expected}"
            if group.expected
            else f"not full {group.forbidden}"
        )
        summary.append(
            (
                group.name,
                n,
                expectation,
                f"{as_expected['zh']}/{n}",
                f"{as_expected['en']}/{n}",
            )
        )
        detail += [
            (group.name, kinds, count) for kinds, count in reported.most_common()
        ]
    return (
        "Each value sits in a carrier sentence of our own, `号码是{value}。` "
        "(language zh) or `number {value}.` (language en), as one customer "
        "message. Resident IDs are grouped by our own check: GB 11643 check "
        "character, a real birth date, and whether python-stdnum's `validate` "
        "accepts the region code.\n\n"
        + markdown_table(
            ("values", "n", "expected", "as expected, zh", "as expected, en"), summary
        )
        + "\n\nWhat Redline reported over each value (both carriers):\n\n"
        + markdown_table(("values", "types reported over the value", "count"), detail)
        + "\n\nValid IBANs (both valid blocks, en carrier) by layout:\n\n"
        + recall_by_shape(iban_outcomes, "IBAN", iban_layout, "layout")
    )


# 4. presidio tables

# Presidio test files whose entity Redline covers, with the Redline type.
PRESIDIO_TABLES = {
    "test_credit_card_recognizer.py": "BANK_CARD",
    "test_email_recognizer.py": "EMAIL_ADDRESS",
    "test_phone_recognizer.py": "PHONE_NUMBER",
    "test_iban_recognizer.py": "BANK_ACCOUNT",
    "test_ip_recognizer.py": "IP_ADDRESS",
    "test_us_ssn_recognizer.py": "US_SSN",
    "test_us_bank_recognizer.py": "BANK_ACCOUNT",
    "test_us_passport_recognizer.py": "PASSPORT",
    "test_uk_passport_recognizer.py": "PASSPORT",
    "test_in_passport_recognizer.py": "PASSPORT",
    "test_kr_passport_recognizer.py": "PASSPORT",
    "test_de_passport_recognizer.py": "PASSPORT",
    "test_es_passport_recognizer.py": "PASSPORT",
    "test_it_passport_recognizer.py": "PASSPORT",
}
# Presidio's PhoneRecognizer (presidio-analyzer, phone_recognizer.py) uses
# phonenumbers leniency 1 (VALID) unless a test sets another. Cases written
# for other leniencies expect other spans, so they are left out.
_DEFAULT_LENIENCY = 1


def _expected_spans(case: dict[str, Any]) -> list[Span]:
    if not case.get("expected_len"):
        return []
    for key in ("expected_res", "expected_positions"):
        if key in case:
            return [(start, end) for start, end in case[key]]
    start, end = case["expected_position"]
    return [(start, end)]


def _ip_scope(text: str) -> str:
    value = text.strip("[]").split("%", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return "not an address"
    if address.is_global and not (address.is_reserved or address.is_multicast):
        return "public unicast"
    return "private, loopback, reserved, documentation or multicast"


def _match_spans(expected: list[Span], found: list[Span]) -> list[bool]:
    """Return, for each expected span, whether a found span matches it."""
    used: set[int] = set()
    matched = []
    for span in expected:
        index = next(
            (
                index
                for index, other in enumerate(found)
                if index not in used and overlap_ratio(span, other) >= MIN_OVERLAP
            ),
            None,
        )
        if index is not None:
            used.add(index)
        matched.append(index is not None)
    return matched


def presidio_tables(shared: Path, detector: Detector) -> str:
    path = shared / "thirdparty" / "presidio" / "presidio_recognizer_test_vectors.json"
    files = json.loads(path.read_text(encoding="utf-8"))["files"]
    rows, skipped = [], []
    ip_scopes: Counter[tuple[str, bool]] = Counter()
    for file_name, tests in files.items():
        entity_type = PRESIDIO_TABLES.get(file_name)
        if entity_type is None:
            skipped.append(file_name.removeprefix("test_").removesuffix(".py"))
            continue
        counts: Counter[str] = Counter()
        for test in tests:
            if "text" not in test["params"] and "iban" not in test["params"]:
                continue  # a table for a checksum function, not for text
            for case in test["cases"]:
                if case.get("leniency", _DEFAULT_LENIENCY) != _DEFAULT_LENIENCY:
                    continue
                text = case.get("text", case.get("iban"))
                expected = _expected_spans(case)
                interaction = make_interaction(
                    "presidio", "chat", "en", [("customer", text)]
                )
                found = [
                    (f.start, f.end)
                    for f in detector.detect(interaction).findings
                    if f.type == entity_type
                ]
                matched = _match_spans(expected, found)
                if entity_type == "IP_ADDRESS":
                    for (start, end), ok in zip(expected, matched, strict=True):
                        ip_scopes[(_ip_scope(text[start:end]), ok)] += 1
                counts["cases"] += 1
                counts["expected"] += len(expected)
                counts["found"] += sum(matched)
                counts["extra"] += len(found) - sum(matched)
                counts["negatives"] += not expected
                counts["negatives hit"] += not expected and bool(found)
                counts["agree"] += sum(matched) == len(expected) == len(found)
        rows.append(
            (
                file_name.removeprefix("test_").removesuffix("_recognizer.py"),
                entity_type,
                counts["cases"],
                f"{counts['found']}/{counts['expected']}",
                counts["extra"],
                f"{counts['negatives hit']}/{counts['negatives']}",
                f"{counts['agree']}/{counts['cases']} "
                f"({percent(counts['agree'], counts['cases'])})",
            )
        )
    scopes = sorted({scope for scope, _ in ip_scopes})
    return (
        "Each case text is one customer message (language en), run as Presidio "
        "wrote it, mostly a bare value with no context words. Phone cases "
        "written for a non-default leniency are left out. A case agrees when "
        "every expected span is found (IoU at least 0.5) and nothing else of "
        "the type is.\n\n"
        + markdown_table(
            (
                "Presidio table",
                "Redline type",
                "cases",
                "expected spans found",
                "extra spans",
                "negatives with a finding",
                "cases in full agreement",
            ),
            rows,
        )
        + "\n\nExpected IP spans by scope (Redline reports globally routable "
        "addresses only):\n\n"
        + markdown_table(
            ("scope", "expected spans", "found"),
            (
                (
                    scope,
                    ip_scopes[(scope, True)] + ip_scopes[(scope, False)],
                    ip_scopes[(scope, True)],
                )
                for scope in scopes
            ),
        )
        + "\n\nNot covered by Redline, not run: "
        + ", ".join(skipped)
    )


# 5. MultiPriv

_MULTIPRIV_FIELDS = (
    ("name", "PERSON_NAME"),
    ("location", "ADDRESS"),
    ("idCardNumbers", "CN_RESIDENT_ID"),
    ("phoneNumbers", "PHONE_NUMBER"),
    ("emailAddress", "EMAIL_ADDRESS"),
)
_MULTIPRIV_TYPES = (
    "CN_RESIDENT_ID",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "ADDRESS",
    "PERSON_NAME",
)


def multipriv(shared: Path, detector: Detector) -> str:
    # NOTE: the MultiPriv licence (CC BY-NC-SA 4.0) allows evaluation only,
    # so nothing from it may be printed or kept. Only counts leave here.
    folder = shared / "thirdparty" / "multipriv" / "LLM"
    return (
        _multipriv_zh(folder / "data_person_1000_zh.json", detector)
        + "\n\n"
        + _multipriv_en(folder / "data_person_1000.json", detector)
    )


def _checksum_ok(value: str) -> bool:
    return (
        len(value) == 18
        and value[:17].isdigit()
        and ric.calc_check_digit(value) == value[17].upper()
    )


def _multipriv_labels(
    record: dict[str, Any], text: str
) -> tuple[list[Entity], Span | None]:
    """Label every occurrence of the record's values, and return the ID's span.

    Some English records contain an e-mail address with a space where the
    paragraph has none or a dot, so a value not found as given is searched
    for in those two forms too.
    """
    labels, id_span = [], None
    for key, entity_type in _MULTIPRIV_FIELDS:
        value = str(record[key])
        spans = (
            find_all(text, value)
            or find_all(text, value.replace(" ", ""))
            or find_all(text, value.replace(" ", "."))
        )
        for span in spans:
            labels.append(entity("s1", span, entity_type))
            if entity_type == "CN_RESIDENT_ID":
                id_span = span
    return labels, id_span


def _id_group(value: str) -> str:
    if not _checksum_ok(value):
        return "check character fails"
    try:
        ric.validate(value)
    except StdnumError:
        return "check character passes, stdnum rejects region or date"
    return "check character passes, stdnum accepts"


def _outcome_over(findings: Sequence[Finding], span: Span) -> str:
    over = overlapping(findings, "s1", span)
    if not over:
        return "nothing"
    return ", ".join(
        sorted({f"{f.type} {f.form} -> {f.behaviour or 'no case'}" for f in over})
    )


def _multipriv_zh(path: Path, detector: Detector) -> str:
    records = json.loads(path.read_text(encoding="utf-8"))
    every = LabelledRun(_MULTIPRIV_TYPES)
    valid_only = Scores()
    id_outcomes: Counter[tuple[str, str]] = Counter()
    id_totals: Counter[str] = Counter()
    for number, record in enumerate(records):
        text = record["naturalParagraph"]
        interaction = make_interaction(
            f"multipriv-{number}", "chat", "zh", [("customer", text)]
        )
        report = detector.detect(interaction)
        labels, id_span = _multipriv_labels(record, text)
        every.add(report, labels)
        id_value = str(record["idCardNumbers"])
        checksum_valid_labels = [
            label
            for label in labels
            if label["type"] != "CN_RESIDENT_ID" or _checksum_ok(id_value)
        ]
        valid_only.add({"entities": checksum_valid_labels}, report.to_prediction())
        if id_span is not None:
            group = _id_group(id_value)
            id_totals[group] += 1
            id_outcomes[(group, _outcome_over(report.findings, id_span))] += 1
    return (
        f"### Chinese paragraphs: {len(records)}, one customer message each\n\n"
        "All labels:\n\n"
        + every.render()
        + "\n\nThe same run with the labels of checksum-failing IDs removed (a "
        "finding on one would still count as a false positive):\n\n"
        + entity_table(valid_only, _MULTIPRIV_TYPES)
        + "\n\nResident ID labels by check character, and what Redline reported "
        "over the 18 characters:\n\n"
        + markdown_table(
            ("ID label group", "Redline", "count", "share of group"),
            (
                (group, outcome, count, percent(count, id_totals[group]))
                for (group, outcome), count in sorted(id_outcomes.items())
            ),
        )
        + "\n\nFor comparison, 1000 ID-shaped numbers of our own with a wrong "
        "check character (province prefix, real birth date), each in a "
        "sentence with an ID keyword and in one without:\n\n"
        + synthetic_id_table(detector)
    )


# First two digits of mainland resident IDs (GB/T 2260 provinces).
_ID_PROVINCES = (
    *range(11, 16),
    *range(21, 24),
    *range(31, 38),
    *range(41, 47),
    *range(50, 55),
    *range(61, 66),
)
# Carriers for the synthetic IDs: with an ID keyword, and with none.
_ID_CARRIERS = (
    ("ID keyword", "我的身份证号码是{value}。"),
    ("no keyword", "号码是{value}。"),
)


def synthetic_failing_ids(count: int, seed: int = 11643) -> list[str]:
    """Make ID-shaped numbers whose check character is wrong.

    Each has a province prefix, a real birth date from 1950 to 2004, a
    random sequence and a check character other than the GB 11643 one.
    """
    rng = random.Random(seed)
    first, end = datetime.date(1950, 1, 1), datetime.date(2005, 1, 1)
    numbers = []
    for _ in range(count):
        born = first + datetime.timedelta(days=rng.randrange((end - first).days))
        body = (
            f"{rng.choice(_ID_PROVINCES)}{rng.randint(1, 20):02d}"
            f"{rng.randint(1, 30):02d}{born:%Y%m%d}{rng.randint(0, 999):03d}"
        )
        # calc_check_digit reads the first 17 characters of an 18-character number.
        right = ric.calc_check_digit(body + "0")
        numbers.append(body + rng.choice([c for c in "0123456789X" if c != right]))
    return numbers


def synthetic_id_table(detector: Detector, count: int = 1000) -> str:
    """Tabulate what Redline reports over checksum-failing ID-shaped numbers."""
    outcomes: Counter[tuple[str, str]] = Counter()
    for value in synthetic_failing_ids(count):
        for carrier, template in _ID_CARRIERS:
            text = template.format(value=value)
            start = text.index(value)
            interaction = make_interaction(
                "synthetic-id", "chat", "zh", [("customer", text)]
            )
            report = detector.detect(interaction)
            outcomes[
                (carrier, _outcome_over(report.findings, (start, start + 18)))
            ] += 1
    return markdown_table(
        ("carrier", "Redline", "count", "share"),
        ((*key, n, percent(n, count)) for key, n in sorted(outcomes.items())),
    )


def _multipriv_en(path: Path, detector: Detector) -> str:
    records = json.loads(path.read_text(encoding="utf-8"))
    run = LabelledRun(("PHONE_NUMBER", "EMAIL_ADDRESS", "ADDRESS", "PERSON_NAME"))
    id_outcomes: Counter[tuple[str, str]] = Counter()
    for number, record in enumerate(records):
        text = record["naturalParagraph"]
        interaction = make_interaction(
            f"multipriv-en-{number}", "chat", "en", [("customer", text)]
        )
        report = detector.detect(interaction)
        labels, id_span = _multipriv_labels(record, text)
        run.add(
            report, [label for label in labels if label["type"] != "CN_RESIDENT_ID"]
        )
        if id_span is not None:
            checksum = _checksum_ok(str(record["idCardNumbers"]))
            group = "check character passes" if checksum else "check character fails"
            id_outcomes[(group, _outcome_over(report.findings, id_span))] += 1
    return (
        f"### English paragraphs: {len(records)}, one customer message each\n\n"
        "The phone numbers come in international formats. The 18-digit ID-like "
        "numbers are not scored, because the records give many nationalities."
        "\n\n"
        + run.render()
        + "\n\nPHONE_NUMBER labels by validity in phonenumbers:\n\n"
        + recall_by_shape(
            run.diagnosis.outcomes,
            "PHONE_NUMBER",
            lambda value: phone_validity(value, "en"),
            "validity",
        )
        + "\n\n18-digit ID-like numbers:\n\n"
        + markdown_table(
            ("group", "Redline", "count"),
            ((*key, count) for key, count in sorted(id_outcomes.items())),
        )
    )


# 6. dialogues

_CROSSWOZ_SLOTS = {"电话": "PHONE_NUMBER", "地址": "ADDRESS"}
_CROSSWOZ_ROLES = {"usr": "customer", "sys": "agent"}


def chinese_phone_shape(value: str) -> str:
    digits = re.sub(r"[^0-9]", "", value)
    if re.fullmatch(r"(?:400|800)[0-9]{7}", digits):
        return "400 or 800 service number"
    if re.fullmatch(r"1[3-9][0-9]{9}", digits):
        return "mobile"
    if re.fullmatch(r"0[0-9]{9,11}", digits):
        return "area code and number" + (", hyphen" if "-" in value else "")
    if re.fullmatch(r"[0-9]{7,8}", digits):
        return "local number, no area code"
    return "other"


def crosswoz(shared: Path, detector: Detector) -> str:
    with zipfile.ZipFile(
        shared / "thirdparty" / "crosswoz" / "test.json.zip"
    ) as archive:
        dialogues = json.loads(archive.read("test.json"))
    run = LabelledRun(("PHONE_NUMBER", "ADDRESS"))
    for dialogue_id, dialogue in dialogues.items():
        messages = dialogue["messages"]
        turns = [(_CROSSWOZ_ROLES[m["role"]], m["content"]) for m in messages]
        labels = []
        for index, message in enumerate(messages):
            for intent, _domain, slot, value in message["dialog_act"]:
                if intent != "Inform" or slot not in _CROSSWOZ_SLOTS:
                    continue
                # A slot may hold two numbers or two address parts.
                for part in re.split(r"[\s,，、]+", value):
                    for span in find_all(message["content"], part)[:1]:
                        labels.append(
                            entity(f"s{index + 1}", span, _CROSSWOZ_SLOTS[slot])
                        )
        interaction = make_interaction(f"crosswoz-{dialogue_id}", "chat", "zh", turns)
        run.add(detector.detect(interaction), labels)
    return (
        f"{len(dialogues)} dialogues (user as customer, system as agent). Labels "
        "are the Inform values of the phone and address slots. They are hotel, "
        "restaurant and sight data, not personal data: recognising them is "
        "right, a case on them is a false alarm.\n\n"
        + run.render()
        + "\n\nVenue phone numbers by shape:\n\n"
        + recall_by_shape(
            run.diagnosis.outcomes, "PHONE_NUMBER", chinese_phone_shape, "shape"
        )
    )


def multiwoz(shared: Path, detector: Detector) -> str:
    folder = shared / "thirdparty" / "multiwoz"
    run = LabelledRun(("PHONE_NUMBER", "ADDRESS"))
    for kind in ("restaurant", "hotel", "attraction", "hospital", "police"):
        venues = json.loads((folder / f"{kind}_db.json").read_text(encoding="utf-8"))
        for number, venue in enumerate(venues):
            turns, labels = _venue_turns(venue)
            if labels:
                interaction = make_interaction(
                    f"multiwoz-{kind}-{number}", "chat", "en", turns
                )
                run.add(detector.detect(interaction), labels)
    return (
        f"{run.cases.interactions} venue records, each written as a two-turn chat "
        "of our own: the customer asks for the venue's address and phone number, "
        "the agent answers with the record's address, postcode and phone number. "
        "All of it is business data.\n\n"
        + run.render()
        + "\n\nVenue addresses by shape:\n\n"
        + recall_by_shape(
            run.diagnosis.outcomes, "ADDRESS", english_address_shape, "shape"
        )
        + "\n\nVenue phone numbers by validity in phonenumbers:\n\n"
        + recall_by_shape(
            run.diagnosis.outcomes,
            "PHONE_NUMBER",
            lambda value: phone_validity(value, "en"),
            "validity",
        )
    )


def _venue_turns(venue: dict[str, Any]) -> tuple[list[tuple[str, str]], list[Entity]]:
    """Write the agent's reply from a venue record, with labels for its values."""
    reply, labels = "", []
    address = venue.get("address", "")
    if address:
        postcode = venue.get("postcode", "")
        written = f"{address}, {postcode}" if postcode else address
        reply = "The address is "
        labels.append(entity("s2", (len(reply), len(reply) + len(written)), "ADDRESS"))
        reply += written + ". "
    phone = venue.get("phone", "")
    if phone and phone != "?":
        reply += "You can call them on "
        labels.append(
            entity("s2", (len(reply), len(reply) + len(phone)), "PHONE_NUMBER")
        )
        reply += phone + "."
    question = "Could you give me their address and phone number, please?"
    return [("customer", question), ("agent", reply.strip())], labels


_ABCD_ROLES = {"agent": "agent", "customer": "customer", "action": "system"}


def abcd(shared: Path, detector: Detector) -> str:
    path = shared / "thirdparty" / "abcd" / "abcd_sample.json"
    conversations = json.loads(path.read_text(encoding="utf-8"))
    run = LabelledRun(("PHONE_NUMBER", "EMAIL_ADDRESS", "ADDRESS", "PERSON_NAME"))
    negatives: Counter[tuple[str, str]] = Counter()
    for conversation in conversations:
        turns = [(_ABCD_ROLES[role], text) for role, text in conversation["original"]]
        interaction = make_interaction(
            f"abcd-{conversation['convo_id']}", "chat", "en", turns
        )
        labels = _abcd_labels(conversation["scenario"], turns)
        report = detector.detect(interaction)
        run.add(report, labels)
        scenario = conversation["scenario"]
        for key, value in (
            ("username", scenario["personal"].get("username")),
            ("order id", scenario["order"].get("order_id")),
        ):
            for index, (_speaker, text) in enumerate(turns):
                segment = f"s{index + 1}"
                for span in find_all(text, value or ""):
                    if any(
                        label["segment"] == segment
                        and overlap_ratio(span, (label["start"], label["end"])) > 0
                        for label in labels
                    ):
                        continue  # the username inside the e-mail address
                    over = overlapping(report.findings, segment, span)
                    negatives[
                        (key, ", ".join(sorted({f.type for f in over})) or "nothing")
                    ] += 1
    return (
        f"{len(conversations)} chats (agent, customer, and the platform's action "
        "lines as system). Labels come from a case-insensitive search for the "
        "scenario's name, e-mail, phone and address in every turn.\n\n"
        + run.render()
        + "\n\nUsernames and order ids (no Redline type covers them):\n\n"
        + markdown_table(
            ("value", "what Redline reported over it", "occurrences"),
            ((*key, count) for key, count in sorted(negatives.items())),
        )
    )


def _abcd_labels(
    scenario: dict[str, Any], turns: list[tuple[str, str]]
) -> list[Entity]:
    personal, order = scenario["personal"], scenario["order"]
    searched = (
        (personal.get("customer_name"), "PERSON_NAME"),
        (personal.get("email"), "EMAIL_ADDRESS"),
        (personal.get("phone"), "PHONE_NUMBER"),
        (order.get("full_address"), "ADDRESS"),
        (order.get("street_address"), "ADDRESS"),
    )
    labels: list[Entity] = []
    for index, (_speaker, text) in enumerate(turns):
        segment = f"s{index + 1}"
        for value, entity_type in searched:
            for span in find_all(text, value or "", ignore_case=True):
                inside = any(
                    label["segment"] == segment
                    and overlap_ratio(span, (label["start"], label["end"])) > 0
                    for label in labels
                )
                if not inside:  # a street address inside the full address
                    labels.append(entity(segment, span, entity_type))
    return labels


# 7. transcripts

_PLACEHOLDER = re.compile(r"\[([A-Z_]+)\]|\{\{([A-Z_]+)\}\}")


def _literal_pattern(text: str) -> str:
    """Return a pattern that matches `text`, with `\\s+` for each run of whitespace."""
    if not text:
        return ""
    words = [re.escape(word) for word in text.split()]
    lead = r"\s+" if text[0].isspace() else ""
    trail = r"\s+" if text[-1].isspace() and words else ""
    return lead + r"\s+".join(words) + trail


def placeholder_spans(original: str, redacted: str) -> list[tuple[Span, str]] | None:
    """Return the spans of `original` behind each placeholder of `redacted`.

    The redacted text is turned into a pattern (literal text, and a lazy
    group for each `[PII]` or `{{TAG}}`) that must match all of `original`.
    Returns None when it does not.
    """
    pattern, tags, last = "", [], 0
    for match in _PLACEHOLDER.finditer(redacted):
        pattern += _literal_pattern(redacted[last : match.start()]) + "(.+?)"
        tags.append(match.group(1) or match.group(2))
        last = match.end()
    pattern += _literal_pattern(redacted[last:])
    aligned = re.fullmatch(pattern, original, re.DOTALL)
    if aligned is None:
        return None
    return [(aligned.span(index + 1), tag) for index, tag in enumerate(tags)]


@dataclass
class VendorComparison:
    """Redline's findings set against the spans a vendor redacted."""

    detector: Detector
    rows: list[tuple[str, ...]] = field(default_factory=list)

    def add(
        self,
        source: str,
        interaction: Interaction,
        vendor: dict[str, list[tuple[Span, str]]] | None,
    ) -> None:
        report = self.detector.detect(interaction)
        if vendor is None:
            self.rows.append((source, "-", "redacted text did not align", "-"))
            vendor = {}
        for segment in interaction.segments:
            where = f"{segment.id} ({segment.speaker})"
            redacted = vendor.get(segment.id, [])
            for span, tag in redacted:
                over = overlapping(report.findings, segment.id, span)
                found = ", ".join(sorted({f"{f.type} {f.form}" for f in over}))
                self.rows.append((source, where, f"{tag}", found or "nothing"))
            for finding in report.findings:
                if finding.segment != segment.id or any(
                    overlap_ratio(span, (finding.start, finding.end)) > 0
                    for span, _ in redacted
                ):
                    continue
                self.rows.append(
                    (
                        source,
                        where,
                        "not redacted",
                        f"{finding.type} {finding.form} -> "
                        f"{finding.behaviour or 'no case'}",
                    )
                )
        case = report.severity if report.raises_case else "none"
        behaviours = f" ({', '.join(report.behaviours)})" if report.behaviours else ""
        self.rows.append(
            (
                source,
                f"all {len(interaction.segments)} segments",
                "-",
                f"case: {case}{behaviours}",
            )
        )


def transcripts(shared: Path, detector: Detector) -> str:
    comparison = VendorComparison(detector)
    _contact_lens(shared / "thirdparty" / "aws-contact-lens", comparison)
    _vcon_call(shared / "thirdparty" / "vcon", comparison)
    _vcon_email(shared / "thirdparty" / "vcon", comparison)
    return (
        "Contact Lens: one voice segment per turn with its participant's role; "
        "the vendor's spans are the `[PII]` placeholders of the redacted twin, "
        "aligned back to the original turn. vCon call: one voice segment per "
        "Deepgram paragraph; Deepgram put every word on speaker 0, so every "
        "segment is marked customer; the vendor's spans are the placeholders "
        "of the third-party `transcript-redacted` analysis. vCon e-mail: the "
        "text/plain body of each message (the first party as agent, the other "
        "as customer). Nobody redacted those.\n\n"
        + markdown_table(
            ("source", "segment", "vendor redacted as", "Redline over it"),
            comparison.rows,
        )
    )


def _contact_lens(folder: Path, comparison: VendorComparison) -> None:
    def load(name: str) -> dict[str, Any]:
        return json.loads((folder / name).read_text(encoding="utf-8"))

    original = load("contact_lens_voice_analyzed_example.json")["Transcript"]
    redacted = load("contact_lens_voice_redacted_example.json")["Transcript"]
    turns, times = [], []
    vendor: dict[str, list[tuple[Span, str]]] | None = {}
    for index, (turn, twin) in enumerate(zip(original, redacted, strict=True)):
        turns.append((turn["ParticipantId"].lower(), turn["Content"]))
        times.append((turn["BeginOffsetMillis"], turn["EndOffsetMillis"]))
        spans = placeholder_spans(turn["Content"], twin["Content"])
        if spans is None:
            vendor = None
        elif spans and vendor is not None:
            vendor[f"s{index + 1}"] = spans
    interaction = make_interaction("contact-lens", "voice", "en", turns, times)
    comparison.add("Contact Lens", interaction, vendor)


def _vcon_call(folder: Path, comparison: VendorComparison) -> None:
    path = folder / "ab_call_ext_rec_with_redact.vcon"
    vcon = json.loads(path.read_text(encoding="utf-8"))
    analyses = {analysis["type"]: analysis for analysis in vcon["analysis"]}
    channel = analyses["transcript"]["body"]["results"]["channels"][0]
    paragraphs = channel["alternatives"][0]["paragraphs"]["paragraphs"]
    texts = [
        " ".join(sentence["text"] for sentence in paragraph["sentences"])
        for paragraph in paragraphs
    ]
    times = [(int(p["start"] * 1000), int(p["end"] * 1000)) for p in paragraphs]
    redacted = " ".join(
        chunk["text"] for chunk in analyses["transcript-redacted"]["body"]
    )

    # Align the whole call at once, because the vendor split it differently.
    starts, position = [], 0
    for text in texts:
        starts.append(position)
        position += len(text) + 1
    spans = placeholder_spans(" ".join(texts), redacted)
    vendor: dict[str, list[tuple[Span, str]]] | None = None
    if spans is not None:
        vendor = {}
        for (start, end), tag in spans:
            index = max(i for i, offset in enumerate(starts) if offset <= start)
            local = (start - starts[index], end - starts[index])
            vendor.setdefault(f"s{index + 1}", []).append((local, tag))

    interaction = make_interaction(
        "vcon-call", "voice", "en", [("customer", text) for text in texts], times
    )
    comparison.add("vCon call", interaction, vendor)


def _plain_body(message: email.message.Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8", "replace")
    return ""


def _vcon_email(folder: Path, comparison: VendorComparison) -> None:
    path = folder / "ab_email_acct_prob_thread.vcon"
    vcon = json.loads(path.read_text(encoding="utf-8"))
    roles = {0: "agent", 1: "customer"}  # party 0 writes for the support side
    turns = []
    for dialog in vcon["dialog"]:
        # The body is a MIME body without headers, and mediatype gives its type.
        mediatype = " ".join(dialog["mediatype"].split())
        message = email.message_from_string(
            f"Content-Type: {mediatype}\n\n{dialog['body']}",
            policy=email.policy.compat32,
        )
        turns.append((roles[dialog["parties"][0]], _plain_body(message)))
    for name in ("email_acct_prob_alice_reply.txt", "email_prob_followup_alice.txt"):
        message = email.message_from_string((folder / name).read_text(encoding="utf-8"))
        turns.append(("customer", _plain_body(message)))
    interaction = make_interaction("vcon-email", "email", "en", turns)
    comparison.add("vCon e-mail", interaction, {})


# Main

SETS: dict[str, tuple[str, Callable[[Path, Detector], str]]] = {
    "dev": ("Dev corpus (eval/dev-conversations.jsonl)", dev_corpus),
    "presidio-research": ("presidio-research labelled sentences", presidio_research),
    "stdnum": ("python-stdnum test vectors", stdnum_vectors),
    "presidio": ("Presidio recognizer test tables", presidio_tables),
    "multipriv": ("MultiPriv paragraphs (evaluation only)", multipriv),
    "crosswoz": ("CrossWOZ dialogues (negatives)", crosswoz),
    "multiwoz": ("MultiWOZ venue records (negatives)", multiwoz),
    "abcd": ("ABCD support chats (positives)", abcd),
    "transcripts": ("Contact Lens and vCon transcripts", transcripts),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n", 1)[0])
    parser.add_argument(
        "shared",
        nargs="?",
        type=Path,
        default=ROOT.parent / "shared",
        help="the shared folder holding eval/ and thirdparty/ (default: ../shared)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(SETS),
        metavar="SET",
        help=f"run only these sets, from: {', '.join(SETS)} (default: all)",
    )
    args = parser.parse_args(argv)
    if not (args.shared / "thirdparty").is_dir():
        parser.error(
            f"{args.shared}/thirdparty is not a folder; pass the shared folder"
        )

    started = time.perf_counter()
    detector = Detector()
    for number, (key, (title, measure)) in enumerate(SETS.items(), start=1):
        if args.only and key not in args.only:
            continue
        began = time.perf_counter()
        try:
            body = measure(args.shared, detector)
        except FileNotFoundError as error:
            body = f"Skipped: {error.filename} not found."
        elapsed = time.perf_counter() - began
        print(f"## {number}. {title}\n\n{body}\n\nTime: {elapsed:.2f} s\n", flush=True)
    print(f"Total time: {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
