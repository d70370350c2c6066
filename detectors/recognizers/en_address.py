"""US and UK street addresses.

A house number, a street name in title case and a street suffix (Road, Ave,
Close, ...) make the core. From the core the address grows right over an
optional unit (Apt 8B, Suite 200, #4), an optional town and either a US state
with a ZIP code or a UK postcode. The tail proves the address: a core with a
state and ZIP or a postcode is reported with high confidence, a core with a
unit with less, and a bare core only next to words such as "ship to" or "I
live at". "3 Main concerns" has no suffix and "12 Court dates" no street
name, so neither is a core.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from detectors.recognizers.base import (
    Candidate,
    Recognizer,
    Rule,
    SegmentView,
    keyword_pattern,
)

# Street suffixes that name a street only after a house number and a name.
STREET_SUFFIXES = (
    "Street",
    "St",
    "Road",
    "Rd",
    "Avenue",
    "Ave",
    "Av",
    "Boulevard",
    "Blvd",
    "Lane",
    "Ln",
    "Drive",
    "Dr",
    "Court",
    "Ct",
    "Way",
    "Place",
    "Pl",
    "Terrace",
    "Ter",
    "Parkway",
    "Pkwy",
    "Highway",
    "Hwy",
    "Circle",
    "Cir",
    "Square",
    "Sq",
    "Trail",
    "Trl",
    "Crescent",
    "Cres",
    "Close",
    "Gardens",
    "Grove",
    "Mews",
    "Row",
    "Walk",
    "Alley",
    "Pike",
    "Loop",
    "Expressway",
    "Freeway",
    "Plaza",
    "Crossing",
    "Path",
)
# Suffixes that are also common nouns ("3 Green Park"): a core that ends in
# one counts only with a state and ZIP or a postcode after it.
WEAK_SUFFIXES = (
    "Hill",
    "Green",
    "Park",
    "View",
    "Rise",
    "Vale",
    "Heights",
    "Ridge",
    "Point",
    "Creek",
)
# Abbreviations that may end in a full stop that belongs to the address.
_ABBREVIATIONS = frozenset(
    [
        "St",
        "Rd",
        "Ave",
        "Av",
        "Blvd",
        "Ln",
        "Dr",
        "Ct",
        "Pl",
        "Ter",
        "Pkwy",
        "Hwy",
        "Cir",
        "Sq",
        "Trl",
        "Cres",
        "N",
        "S",
        "E",
        "W",
        "NE",
        "NW",
        "SE",
        "SW",
    ]
)

US_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "DC",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
    "PR",
    "GU",
    "VI",
]

_WORD = r"[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:['\-][A-Z]?[a-z]+)?"
_ORDINAL = r"[0-9]{1,3}(?:st|nd|rd|th)"
_DIRECTION = (
    r"(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West"
    r"|Northeast|Northwest|Southeast|Southwest)\.?"
)
_SUFFIX = "|".join(sorted(STREET_SUFFIXES + WEAK_SUFFIXES, key=len, reverse=True))

# The core: house number, optional direction, one to three name words, suffix.
_CORE_PATTERN = rf"""
    (?<![\w$£€¥#.,/:-])                 # not inside a number, amount or code
    (?P<number>[1-9][0-9]{{0,5}}[A-Z]?(?:-[0-9]{{1,4}})?)
    \s+
    (?:{_DIRECTION}\s+)?
    (?P<name>(?:(?:{_WORD}|{_ORDINAL})\s+){{1,3}})
    (?P<suffix>{_SUFFIX})\b\.?
    (?:\s+{_DIRECTION}(?![\w]))?        # a trailing direction: Main St NW
    """
_CORE = re.compile(_CORE_PATTERN, re.VERBOSE)
# Chat users often type in lower case ("6821 1st ave"); such a core counts
# only with a state and ZIP or a postcode after it.
_CORE_ANY_CASE = re.compile(_CORE_PATTERN, re.VERBOSE | re.IGNORECASE)
# A PO box replaces the core, but only with a state and ZIP after it.
_PO_BOX = re.compile(
    r"(?<![\w])P\.?\s?O\.?\s+Box\s+[0-9]{1,6}(?![\w])",
    re.IGNORECASE,
)
# Tail pieces, each tried where the previous one ended.
_UNIT = re.compile(
    r"""
    ,?\s+
    (?:Apt|Apartment|Suite|Ste|Unit|Rm|Room|Fl|Floor|Bldg|Building|\#)\.?
    \s*\#?\s*
    [0-9A-Z][0-9A-Za-z-]{0,5}
    (?![\w])
    """,
    re.VERBOSE,
)
_TOWN_PATTERN = rf",?\s+{_WORD}(?:\s+{_WORD}){{0,2}}(?![\w])"
_STATE_ZIP_PATTERN = rf"""
    ,?\s+
    (?P<state>{"|".join(US_STATES)})
    (?:\s+(?P<zip>[0-9]{{5}}(?:-[0-9]{{4}})?))?
    (?![\w-])
    """
_TOWN = re.compile(_TOWN_PATTERN)
_TOWN_ANY_CASE = re.compile(_TOWN_PATTERN, re.IGNORECASE)
_STATE_ZIP = re.compile(_STATE_ZIP_PATTERN, re.VERBOSE)
_STATE_ZIP_ANY_CASE = re.compile(_STATE_ZIP_PATTERN, re.VERBOSE | re.IGNORECASE)
# UK postcode: outward code (area, district) and inward code (sector, unit).
# The inward unit letters never include C, I, K, M, O or V.
_POSTCODE = re.compile(
    r"""
    ,?\s+
    (?P<postcode>
        (?:[A-PR-UWYZ][0-9]{1,2}
          |[A-PR-UWYZ][A-HK-Y][0-9]{1,2}
          |[A-PR-UWYZ][0-9][A-HJKPSTUW]
          |[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRV-Y])
        \s?[0-9][ABD-HJLNP-UW-Z]{2}
    )
    (?![\w])
    """,
    re.VERBOSE | re.IGNORECASE,
)
# "Flat 3, " or "Apt 2, " written before the house number.
_UNIT_BEFORE = re.compile(
    r"(?:Flat|Apartment|Apt|Unit|Suite)\.?\s+[0-9A-Z][0-9A-Za-z]{0,4},?\s+$"
)

PERSONAL_CONTEXT = keyword_pattern(
    [
        "address",
        "ship to",
        "ship it to",
        "send it to",
        "deliver to",
        "delivered to",
        "mail it to",
        "mailing",
        "billing",
        "shipping",
        "i live at",
        "i live on",
        "live at",
        "reside at",
        "resides at",
        "residing at",
        "lives at",
        "living at",
        "moved to",
        "home is",
    ]
)
BUSINESS_CONTEXT = keyword_pattern(
    [
        "our office",
        "our store",
        "our address",
        "store at",
        "branch",
        "headquarters",
        "hq",
        "visit us",
        "located at",
        "restaurant",
        "hotel",
        "museum",
        "return center",
        "returns to",
        "warehouse",
    ]
)


@dataclass(frozen=True)
class StreetAddress:
    """An address found in a text, with what proved it."""

    start: int
    end: int
    parts: tuple[str, ...]

    @property
    def has_region(self) -> bool:
        """True when a US state with a ZIP code or a UK postcode ends it."""
        return "zip" in self.parts or "postcode" in self.parts


def find_street_addresses(text: str) -> Iterator[StreetAddress]:
    """Yield the street addresses of a folded text, in order.

    An address needs a state and ZIP or a postcode after it, or a unit, or
    title-case street words; context is left to the caller.
    """
    covered = 0
    for core in _cores(text):
        if core.start < covered:
            continue
        address = _grow(text, core)
        if address is not None:
            covered = address.end
            yield address


@dataclass(frozen=True)
class _Core:
    start: int
    end: int
    kind: str  # "street", "weak_street", "lower_case_street" or "po_box"


def _cores(text: str) -> list[_Core]:
    cores = []
    for match in _CORE.finditer(text):
        suffix = match.group("suffix")
        kind = "weak_street" if suffix in WEAK_SUFFIXES else "street"
        cores.append(_Core(match.start(), _end_of_core(text, match), kind))
    for match in _CORE_ANY_CASE.finditer(text):
        if not any(c.start < match.end() and match.start() < c.end for c in cores):
            end = _end_of_core(text, match)
            cores.append(_Core(match.start(), end, "lower_case_street"))
    for match in _PO_BOX.finditer(text):
        cores.append(_Core(match.start(), match.end(), "po_box"))
    return sorted(cores, key=lambda core: core.start)


def _end_of_core(text: str, match: re.Match[str]) -> int:
    """Return the core's end, leaving out a full stop that ends a sentence."""
    end = match.end()
    if text[end - 1] != ".":
        return end
    last_word = text[match.start() : end - 1].split()[-1]
    if last_word.capitalize() in _ABBREVIATIONS or last_word.upper() in _ABBREVIATIONS:
        return end
    return end - 1


def _grow(text: str, core: _Core) -> StreetAddress | None:
    parts = [core.kind]
    end = core.end
    unit = _UNIT.match(text, end)
    if unit:
        parts.append("unit")
        end = unit.end()
    end, region = _region(text, end, any_case=core.kind == "lower_case_street")
    parts.extend(region)
    if core.kind != "street" and "zip" not in parts and "postcode" not in parts:
        return None
    start = core.start
    before = _UNIT_BEFORE.search(text, max(0, start - 24), start)
    if before:
        start = before.start()
        parts.append("unit")
    return StreetAddress(start, end, tuple(parts))


def _region(text: str, end: int, any_case: bool) -> tuple[int, list[str]]:
    """Match the town, state and ZIP or postcode after `end`, if present.

    With `any_case`, a lower-case state counts only with a ZIP code, since
    "in", "or" and "me" are state codes too.
    """
    town = (_TOWN_ANY_CASE if any_case else _TOWN).match(text, end)
    starts: list[tuple[int, list[str]]] = [(end, [])]
    if town:
        starts.insert(0, (town.end(), ["town"]))
    state_zip = _STATE_ZIP_ANY_CASE if any_case else _STATE_ZIP
    for position, parts in starts:
        state = state_zip.match(text, position)
        has_zip = bool(state and state.group("zip"))
        if state and (has_zip or (parts and not any_case)):
            found = [*parts, "state"] + (["zip"] if has_zip else [])
            return state.end(), found
        postcode = _POSTCODE.match(text, position)
        if postcode:
            return postcode.end(), [*parts, "postcode"]
    return end, []


RULES = (
    Rule(
        "en_address.us_state_zip",
        "ADDRESS",
        "house number, street name and suffix, town, US state and ZIP code",
        examples=(
            "please ship to 3308 Alder Way, Fairview, OR 97024",
            "my address is 918 W Juniper Ave Apt 3C, Denver, CO 80204",
        ),
    ),
    Rule(
        "en_address.uk_postcode",
        "ADDRESS",
        "house number, street name and suffix, town and UK postcode",
        examples=(
            "send it to 27 Larkspur Close, Bristol BS7 9QT",
            "Flat 4, 12 Harrow Road, London W2 5PH",
        ),
    ),
    Rule(
        "en_address.unit_before",
        "ADDRESS",
        "a flat, apartment or suite written before the house number",
        examples=("Suite 210, 77 Harbor Blvd, Long Beach, CA 90802",),
    ),
    Rule(
        "en_address.po_box",
        "ADDRESS",
        "a PO box, only with a state and ZIP code after it",
        examples=("PO Box 8812, Austin, TX 78701",),
        counter_examples=("PO Box 8812",),
    ),
    Rule(
        "en_address.lower_case",
        "ADDRESS",
        "a street typed in lower case, only with a state and ZIP code after it",
        examples=("ship to 6821 1st ave, seattle, wa 98115",),
        counter_examples=("ship to 6821 1st ave",),
    ),
    Rule(
        "en_address.weak_suffix",
        "ADDRESS",
        "a street ending in a suffix that is also a common noun (Green, Park), "
        "only with a state and ZIP code or a postcode after it",
        examples=("12 Orchard Green, Leeds LS6 2QX",),
        counter_examples=("12 Orchard Green",),
    ),
    Rule(
        "en_address.bare_street",
        "ADDRESS",
        "a street without town or postcode, only after words such as ship to "
        "or I live at",
        examples=("I live at 55 Cedar Court",),
        counter_examples=(
            "55 Cedar Court",
            "3 Main concerns about the order",
            "12 Court dates were missed",
        ),
    ),
    Rule(
        "en_address.business",
        "ADDRESS",
        "an address after words such as our office or headquarters belongs "
        "to a business",
        examples=("our office moved, so ship to 3308 Alder Way, Fairview, OR 97024",),
        counter_examples=("our office at 500 Market Street, San Francisco, CA 94105",),
    ),
)


class EnglishAddressRecognizer(Recognizer):
    name = "en_address"
    types = ("ADDRESS",)
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        text = view.folded.text
        for address in find_street_addresses(text):
            confidence = self._confidence(view, address)
            yield Candidate(
                address.start,
                address.end,
                "ADDRESS",
                "full",
                " ".join(text[address.start : address.end].split()),
                confidence,
                self.name,
                "street address with " + ", ".join(address.parts),
                {"en_address", *address.parts},
            )

    @staticmethod
    def _confidence(view: SegmentView, address: StreetAddress) -> float:
        """Score by the tail; context decides for a bare street."""
        if address.has_region:
            confidence = 0.88 + 0.03 * ("unit" in address.parts)
        elif "state" in address.parts or "unit" in address.parts:
            confidence = 0.7
        else:
            confidence = 0.45
        if PERSONAL_CONTEXT.search(view.before(address.start, 24)):
            confidence += 0.15
        if BUSINESS_CONTEXT.search(view.before(address.start, 24)):
            confidence -= 0.45
        return round(max(min(confidence, 0.97), 0.05), 2)


RECOGNIZERS = [EnglishAddressRecognizer()]
