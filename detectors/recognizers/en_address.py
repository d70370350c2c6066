"""US, UK and continental European street addresses.

A house number, a street name in title case and a street suffix (Road, Ave,
Close, ...) make the core. From the core the address grows right over an
optional unit (Apt 8B, Suite 200, #4), an optional town, either a US state
with a ZIP code or a UK postcode, and an optional country. The tail proves
the address: a core with a state and ZIP or a postcode is reported with high
confidence, a core with a unit with less, and a bare core only next to words
such as "ship to" or "I live at". A suffix that is also a common noun (Green,
Ferry, Meadows) needs a state and ZIP, a postcode, or such words right before
the house number. "3 Main concerns" has no suffix and "12 Court dates" no
street name, so neither is a core.

Continental layouts put the street word first or glue it to the name, and
the house number after the street: Hauptstraße 12, Rue de Rivoli 45, Calle
Mayor 10, Keizersgracht 123, and also 45 rue de Rivoli. Such a street counts
with a postcode and a city after it (10115 Berlin, 1015 CJ Amsterdam), or
right after a lead-in such as "I live at".
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

# Street suffixes that only name a street, each line a word and its
# abbreviations. The US words and abbreviations follow the USPS street
# suffix list (Publication 28, appendix C1). A core that ends in one of these
# is a street even with no town after it.
_STREET_WORD_TABLE = """
Street St
Streets Sts
Road Rd
Roads Rds
Avenue Ave Av Avn
Boulevard Blvd
Lane Ln
Drive Dr
Drives Drs
Court Ct
Courts Cts
Way Wy
Place Pl
Terrace Ter Terr
Parkway Pkwy
Parkways Pkwys
Highway Hwy
Circle Cir
Circles Cirs
Square Sq
Squares Sqs
Trail Trl
Crescent Cres
Close
Gardens Gdns
Grove Grv
Mews
Row
Walk
Walks
Alley Aly
Pike
Loop
Expressway Expy
Freeway Fwy
Motorway Mtwy
Turnpike Tpke
Causeway Cswy
Bypass Byp
Skyway Skwy
Throughway Trwy
Trafficway Trfy
Stravenue Stra
Overpass Opas
Underpass Upas
Plaza Plz
Crossing Xing
Crossroad Xrd
Crossroads Xrds
Path
Parade Pde
Passage Psge
Wynd
Embankment
"""
# Suffixes that are also common nouns ("3 Green Park", "2 Summit tickets"):
# a core that ends in one counts only with a state and ZIP code or a
# postcode after it, or right after a lead-in such as "I live at". The US
# words are the rest of the USPS list. Two-letter abbreviations that are
# also words, initials or state codes (Is, Un, Pr, Mt, Br) are left out.
_COMMON_NOUN_STREET_WORD_TABLE = """
Annex Anx
Arcade
Bayou Byu
Beach Bch
Bend Bnd
Bluff Blf
Bluffs Blfs
Bottom Btm
Branch
Bridge Brg
Brook Brk
Brooks Brks
Burg
Burgs
Camp
Canyon Cyn
Cape Cpe
Center Ctr
Centers Ctrs
Centre
Chase
Cliff Clf
Cliffs Clfs
Club Clb
Common Cmn
Commons Cmns
Corner
Corners Cors
Course Crse
Cove Cv
Coves Cvs
Creek Crk
Crest Crst
Croft
Curve Curv
Dale
Dam
Divide
Drove
Estate
Estates Ests
Extension Ext
Extensions Exts
Fall
Falls Fls
Ferry Fry
Field Fld
Fields Flds
Flat Flt
Flats Flts
Ford Frd
Fords Frds
Forest Frst
Forge Frg
Forges Frgs
Fork Frk
Forks Frks
Garden Gdn
Gate
Gateway Gtwy
Glen Gln
Glens Glns
Green Grn
Greens Grns
Groves Grvs
Harbor Hbr
Harbors Hbrs
Harbour
Haven Hvn
Heights Hts
Hill
Hills Hls
Hollow Holw
Inlet Inlt
Island
Islands
Isle
Junction Jct
Junctions Jcts
Key
Keys Kys
Knoll Knl
Knolls Knls
Lake
Lakes Lks
Land
Landing Lndg
Light Lgt
Lights Lgts
Loaf
Lock Lck
Locks Lcks
Lodge Ldg
Mall
Manor Mnr
Manors Mnrs
Meadow Mdw
Meadows Mdws
Mill
Mills Mls
Mission Msn
Mount
Mountain Mtn
Mountains Mtns
Neck Nck
Orchard Orch
Oval
Park
Parks
Pass
Pine Pne
Pines Pnes
Plain Pln
Plains Plns
Point Pt
Points Pts
Port Prt
Ports Prts
Prairie
Quay
Radial Radl
Ramp
Ranch Rnch
Rapid Rpd
Rapids Rpds
Rest Rst
Ridge Rdg
Ridges Rdgs
Rise
River Riv
Route Rte
Run
Shoal Shl
Shoals Shls
Shore Shr
Shores Shrs
Spring Spg
Springs Spgs
Spur
Spurs
Station Sta
Stream Strm
Summit Smt
Trace Trce
Track Trak
Trailer Trlr
Tunnel Tunl
Union
Unions Uns
Vale
Valley Vly
Valleys Vlys
View Vw
Views Vws
Village Vlg
Villages Vlgs
Ville
Vista Vis
Wall
Ways
Well
Wells Wls
Wharf
Yard
"""


def _table_words(table: str, column: slice) -> tuple[str, ...]:
    return tuple(word for line in table.splitlines() for word in line.split()[column])


STREET_SUFFIXES = _table_words(_STREET_WORD_TABLE, slice(None))
WEAK_SUFFIXES = _table_words(_COMMON_NOUN_STREET_WORD_TABLE, slice(None))
_DIRECTION_ABBREVIATIONS = ("N", "S", "E", "W", "NE", "NW", "SE", "SW")
# Abbreviations that may end in a full stop that belongs to the address.
_ABBREVIATIONS = frozenset(
    _table_words(_STREET_WORD_TABLE, slice(1, None))
    + _table_words(_COMMON_NOUN_STREET_WORD_TABLE, slice(1, None))
    + _DIRECTION_ABBREVIATIONS
)

# Continental street words written after the name, glued to it (Hauptstraße,
# Kerkstraat, Nørregade) or as a word of their own (Berliner Straße):
# German, Dutch, Scandinavian and Finnish. Matched in any case.
CONTINENTAL_SUFFIXES = (
    "straße",
    "strasse",
    "str.",
    "weg",
    "platz",
    "gasse",
    "allee",
    "ring",
    "damm",
    "ufer",
    "chaussee",
    "straat",
    "laan",
    "plein",
    "gracht",
    "kade",
    "singel",
    "dijk",
    "steeg",
    "gade",
    "vej",
    "gata",
    "gatan",
    "vägen",
    "veien",
    "vegen",
    "katu",
    "tie",
)
# Continental street words written before the name (Rue de Rivoli, Via Roma,
# Calle Mayor): French, Spanish, Catalan, Italian, Portuguese and Polish.
CONTINENTAL_PREFIXES = (
    "rue",
    "avenue",
    "av.",
    "boulevard",
    "bd",
    "place",
    "chemin",
    "allée",
    "impasse",
    "quai",
    "route",
    "cours",
    "calle",
    "c/",
    "avenida",
    "avda.",
    "plaza",
    "paseo",
    "camino",
    "carretera",
    "ronda",
    "carrer",
    "passeig",
    "plaça",
    "via",
    "viale",
    "piazza",
    "piazzale",
    "corso",
    "vicolo",
    "largo",
    "strada",
    "rua",
    "travessa",
    "praça",
    "estrada",
    "ul.",
    "ulica",
    "aleja",
    "plac",
)
# Lower-case words inside a continental street or town name: Rue de la Paix,
# Frankfurt am Main.
_NAME_PARTICLES = frozenset(
    [
        "de",
        "du",
        "des",
        "la",
        "le",
        "les",
        "del",
        "della",
        "delle",
        "dello",
        "dei",
        "degli",
        "di",
        "da",
        "do",
        "dos",
        "das",
        "van",
        "von",
        "der",
        "den",
        "het",
        "y",
        "am",
        "an",
        "im",
        "sur",
        "sous",
        "aan",
        "bei",
    ]
)
# Country names that may end an address after its town and code.
COUNTRIES = (
    "United States of America",
    "United States",
    "USA",
    "U.S.A.",
    "United Kingdom",
    "UK",
    "U.K.",
    "England",
    "Scotland",
    "Wales",
    "Northern Ireland",
    "Ireland",
    "Germany",
    "Deutschland",
    "France",
    "The Netherlands",
    "Netherlands",
    "Nederland",
    "Belgium",
    "Belgique",
    "België",
    "Luxembourg",
    "Switzerland",
    "Schweiz",
    "Suisse",
    "Austria",
    "Österreich",
    "Spain",
    "España",
    "Italy",
    "Italia",
    "Portugal",
    "Denmark",
    "Danmark",
    "Sweden",
    "Sverige",
    "Norway",
    "Norge",
    "Finland",
    "Suomi",
    "Poland",
    "Polska",
    "Canada",
    "Australia",
    "New Zealand",
    "South Africa",
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

_APOSTROPHES = "'\u2019"
_WORD = rf"[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:[{_APOSTROPHES}\-][A-Z]?[a-z]+)?"
_ORDINAL = r"[0-9]{1,3}(?:st|nd|rd|th)"
# A name word: a word, an ordinal, a lettered street (C Street, but not the
# pronoun I), or St., Mt. or Ft. before a word (9 St. John's Road).
_NAME_WORD = rf"(?:(?:St|Mt|Ft)\.?(?=\s+[A-Z])|{_WORD}|{_ORDINAL}|[A-HJ-Z](?=\s))"
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
    (?P<name>(?:{_NAME_WORD}\s+){{1,3}})
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

# Continental cores. Letters are any Unicode letters (Straße, Allée, Nørre),
# so capitals are checked in code, not in the pattern.
_LETTERS = r"[^\W\d_]"
_NAME = rf"{_LETTERS}+(?:[-{_APOSTROPHES}]{_LETTERS}+)*"
_HOUSE_NUMBER = r"[1-9][0-9]{0,3}(?:\s?[a-zA-Z](?![\w]))?(?:[-/][0-9]{1,4}[a-zA-Z]?)?"


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# Street first, number after: Hauptstraße 12, Berliner Str. 5, Via Roma 15,
# Calle Mayor, 10.
_CONTINENTAL_STREET_FIRST = re.compile(
    rf"""
    (?<![\w/.-])
    (?P<street>
        (?P<prefix>(?i:{_alternation(CONTINENTAL_PREFIXES)}))
        (?P<name>(?:\s+{_NAME}){{1,5}}?)
      | (?P<words>(?:{_NAME}[\s-]+){{0,2}}?)
        (?P<glued>{_LETTERS}*)
        (?i:{_alternation(CONTINENTAL_SUFFIXES)})
    )
    (?<=\.|[^\W\d_])                    # the street ends in a letter or a dot
    ,?\s+
    (?P<number>{_HOUSE_NUMBER})
    (?![\w])
    """,
    re.VERBOSE,
)
# Number first, then a street word before the name: 45 rue de Rivoli.
_CONTINENTAL_NUMBER_FIRST = re.compile(
    rf"""
    (?<![\w$£€¥#.,/:-])
    (?P<number>{_HOUSE_NUMBER})
    ,?\s+
    (?P<prefix>(?i:{_alternation(CONTINENTAL_PREFIXES)}))
    (?P<name>(?:\s+{_NAME}){{1,5}})
    (?![\w])
    """,
    re.VERBOSE,
)
_HOUSE_NUMBER_AFTER = re.compile(rf",?\s+{_HOUSE_NUMBER}(?![\w])")
# Postcode and city of a continental address: 10115 Berlin, D-10115 Berlin,
# 1015 CJ Amsterdam. The city is trimmed in code.
_CONTINENTAL_POSTCODE = re.compile(
    rf"""
    ,?\s+
    (?P<postcode>
        (?:[A-Z]{{1,2}}-)?[0-9]{{4,5}}
        (?:\s?(?i:[a-z]{{2}})(?![\w]))?  # the letters of a Dutch postcode
    )
    \s+
    (?P<city>{_NAME}(?:[ -]+{_NAME}){{0,3}})
    """,
    re.VERBOSE,
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
_COUNTRY_PATTERN = rf",?\s+(?:{_alternation(COUNTRIES)})(?![\w])"
_COUNTRY = re.compile(_COUNTRY_PATTERN)
# A town and a country with no code between: 12 Oak Street, Leeds, England.
_TOWN_COUNTRY = re.compile(rf",?\s+{_WORD}(?:\s+{_WORD}){{0,2}}?{_COUNTRY_PATTERN}")
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
        "lives on",
        "living at",
        "moved to",
        "home is",
    ]
)
# A personal context word that ends right before the address, with at most
# "is" or a colon between: "I live at 12 ...", "my address is 12 ...".
_LEAD_IN = re.compile(rf"(?:{PERSONAL_CONTEXT.pattern})(?:\s+(?:is|now))?\s*[:,]?\s*$")
# NOTE: only these words in the 24 characters before an address mark it as a
# business, so a venue address given without one ("the address is 4 Kings
# Parade, CB2 1SJ") is reported like a home address.
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
        """True when a US state with a ZIP code or a postcode ends it."""
        return "zip" in self.parts or "postcode" in self.parts


def find_street_addresses(text: str) -> Iterator[StreetAddress]:
    """Yield the street addresses of a folded text, in order.

    An address needs a state and ZIP or a postcode after it, or a unit, or
    title-case street words. A street that ends in a common noun, and a
    continental street without a postcode and city, needs a lead-in such as
    "I live at" right before it. Other context is left to the caller.
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
    # "street", "weak_street", "lower_case_street", "po_box",
    # "continental_street" or "lower_case_continental_street"
    kind: str


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
    cores.extend(_continental_cores(text))
    return sorted(cores, key=lambda core: core.start)


def _continental_cores(text: str) -> Iterator[_Core]:
    for match in _CONTINENTAL_STREET_FIRST.finditer(text):
        core = _street_first_core(match)
        if core is not None:
            yield core
    for match in _CONTINENTAL_NUMBER_FIRST.finditer(text):
        core = _number_first_core(match)
        if core is not None:
            yield core


def _street_first_core(match: re.Match[str]) -> _Core | None:
    """Check the name of Hauptstraße 12 or Via Roma 15 and type the core.

    The pattern may take words before a street word that are no part of it
    ("live at Hauptstraße 12"), so the core starts at the first capitalised
    word. A capitalised particle stays (Am Birkenweg 3).
    """
    start = match.start()
    if match.group("prefix"):
        names = match.group("name").split()
    else:
        words = list(re.finditer(_NAME, match.group("words")))
        while words and not words[0].group()[:1].isupper():
            words.pop(0)
        if words:
            start = match.start("words") + words[0].start()
        else:
            start = match.start("glued")
        names = [word.group() for word in words] + [match.group("glued")]
    if not _is_street_name(names):
        return None
    return _Core(start, match.end(), _continental_kind(names))


def _number_first_core(match: re.Match[str]) -> _Core | None:
    """Check the name of 45 rue de Rivoli and end the core after it.

    In title case the name ends at its last capitalised word, so the words
    of the sentence after it stay out ("45 Rue de Rivoli and more").
    """
    words = list(re.finditer(_NAME, match.group("name")))
    names = [word.group() for word in words]
    end = match.end()
    capitalised = [w for w in words if w.group()[:1].isupper()]
    if capitalised:
        end = match.start("name") + capitalised[-1].end()
        names = names[: words.index(capitalised[-1]) + 1]
    if not _is_street_name(names):
        return None
    if _HOUSE_NUMBER_AFTER.match(match.string, end):
        return None  # "6138 Via Roma 131": the street comes first after all
    return _Core(match.start(), end, _continental_kind(names))


def _continental_kind(names: list[str]) -> str:
    if all(_is_title_case(name) for name in names if name):
        return "continental_street"
    return "lower_case_continental_street"


def _is_street_name(names: list[str]) -> bool:
    """Return whether the words after a prefix or before a suffix make a name.

    A street word alone ("Straße 5") has no name. Particles may sit inside
    the name but not end it ("Rue de 5" is not a street).
    """
    words = [name for name in names if name]
    if not words:
        return False
    return words[-1].lower() not in _NAME_PARTICLES


def _is_title_case(name: str) -> bool:
    """Return whether a name word is a particle or starts with a capital.

    An elided particle (d'Ouchy, l'Église) is skipped before the check.
    """
    if name.lower() in _NAME_PARTICLES:
        return True
    bare = re.sub(rf"^(?:d|l|dell)[{_APOSTROPHES}]", "", name, flags=re.IGNORECASE)
    return bare[:1].isupper()


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
    for _ in range(2):  # Suite 210, Apt 4
        unit = _UNIT.match(text, end)
        if unit is None:
            break
        parts.append("unit")
        end = unit.end()
    any_case = core.kind.startswith("lower_case")
    if core.kind.endswith("continental_street"):
        end, region = _continental_region(text, end, any_case)
    else:
        end, region = _region(text, end, any_case)
    parts.extend(region)
    if not _is_proven(text, core, parts):
        return None
    country = (_COUNTRY if region else _TOWN_COUNTRY).match(text, end)
    if country:
        end = country.end()
        parts.extend(["country"] if region else ["town", "country"])
    start = core.start
    before = _UNIT_BEFORE.search(text, max(0, start - 24), start)
    if before:
        start = before.start()
        parts.append("unit")
    return StreetAddress(start, end, tuple(parts))


def _is_proven(text: str, core: _Core, parts: list[str]) -> bool:
    """Return whether the tail, or for some cores a lead-in, proves the core.

    A bare "street" core passes here and is scored on its context later.
    """
    if core.kind == "street" or "zip" in parts or "postcode" in parts:
        return True
    if core.kind in ("weak_street", "continental_street"):
        return (
            _LEAD_IN.search(text[max(0, core.start - 40) : core.start].lower())
            is not None
        )
    return False


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


def _continental_region(text: str, end: int, any_case: bool) -> tuple[int, list[str]]:
    """Match a postcode and a city after `end`, if present.

    The city is one word, or with `any_case` false up to four capitalised
    words and the particles between them (Frankfurt am Main).

    NOTE: with `any_case` a lower-case city keeps only its first word, so
    "frankfurt am main" ends the span after "frankfurt".
    """
    match = _CONTINENTAL_POSTCODE.match(text, end)
    if not match:
        return end, []
    words = [w.group() for w in re.finditer(r"\S+", match.group("city"))]
    if not any_case and not words[0][:1].isupper():
        return end, []
    city_end = match.start("city") + len(words[0])
    if not any_case:
        position = city_end
        for word in words[1:]:
            position = text.index(word, position) + len(word)
            if word.lower() in _NAME_PARTICLES:
                continue
            if not word[:1].isupper():
                break
            city_end = position
    return city_end, ["postcode", "town"]


RULES = (
    Rule(
        "en_address.us_state_zip",
        "ADDRESS",
        "house number, street name and suffix, town, US state and ZIP code",
        examples=(
            "please ship to 3308 Alder Way, Fairview, OR 97024",
            "my address is 918 W Juniper Ave Apt 3C, Denver, CO 80204",
            "send it to 612 K Street Northwest, Washington, DC 20001",
        ),
    ),
    Rule(
        "en_address.uk_postcode",
        "ADDRESS",
        "house number, street name and suffix, town and UK postcode",
        examples=(
            "send it to 27 Larkspur Close, Bristol BS7 9QT",
            "Flat 4, 12 Harrow Road, London W2 5PH",
            "post it to 14 Abbot's Parade, York YO1 7XL",
            "ship to 7 St. Anne’s Mews, Exeter EX4 4QA",
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
        "a street typed in lower case, only with a state and ZIP code or a "
        "postcode after it",
        examples=(
            "ship to 6821 1st ave, seattle, wa 98115",
            "my address is 31 hazel passage, cb3 9pq",
        ),
        counter_examples=("ship to 6821 1st ave", "i live at 31 hazel passage"),
    ),
    Rule(
        "en_address.weak_suffix",
        "ADDRESS",
        "a street ending in a suffix that is also a common noun (Green, "
        "Ferry, Meadows), only with a state and ZIP code or a postcode after "
        "it, or right after a lead-in such as I live at",
        examples=(
            "12 Orchard Green, Leeds LS6 2QX",
            "I live at 221 Heron Ferry, Tulsa OK 74103",
            "she resides at 86 Linden Meadows",
        ),
        counter_examples=(
            "12 Orchard Green",
            "I ordered 12 Green Park tickets",
            "we have 5 Summit passes, and I live in town",
        ),
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
        "en_address.continental",
        "ADDRESS",
        "a continental street with the house number after it (Lindenstraße "
        "23, Via Garibaldi 8) or before a French street word (18 rue des "
        "Lilas), then a 4 or 5 digit postcode and a city",
        examples=(
            "Lindenstraße 23, 50674 Köln",
            "please send it to Via Garibaldi 8, 20121 Milano",
            "Kerkstraat 41, 3512 BT Utrecht",
            "Calle de Toledo 62, 28005 Madrid, Spain",
            "18 rue des Lilas, 69003 Lyon",
            "lindenstraße 23, 50674 köln",
        ),
        counter_examples=(
            "Lindenstraße 23",
            "18 rue des Lilas",
            "Straße 5, 50674 Köln",
            "Room 5, 10115 guests were there",
        ),
    ),
    Rule(
        "en_address.continental_lead_in",
        "ADDRESS",
        "a continental street and house number without a postcode, only "
        "right after a lead-in such as I live at",
        examples=("I live at Birkenweg 7", "my address is Rue Cler 31"),
        counter_examples=("Birkenweg 7 is closed", "ship it via Express 2"),
    ),
    Rule(
        "en_address.business",
        "ADDRESS",
        "an address after words such as our office or headquarters belongs "
        "to a business",
        examples=("our office moved, so ship to 3308 Alder Way, Fairview, OR 97024",),
        counter_examples=(
            "our office at 500 Market Street, San Francisco, CA 94105",
            "our store is located at Lindenstraße 23, 50674 Köln",
        ),
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
