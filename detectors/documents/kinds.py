"""What kind of document an upload is, decided from its text.

An ID card, bank card or passport photo is a leak by itself, even when OCR
misreads its number or the number fails its checksum. The kind is decided
from the printed field labels, which survive OCR noise better than the
numbers do; a few labels are matched allowing one wrong character.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from detectors.documents.model import Document, TextLine
from detectors.types import Finding, Interaction

# Each group is one printed label: its name, then the spellings accepted
# (Simplified, Traditional, and the forms OCR often produces), lower case
# and without spaces.
_ID_FRONT_NUMBER = (
    "公民身份号码",
    ("公民身份号码", "公民身份證號碼", "公民身份號碼", "公民身份证号码", "身份号码"),
)
_ID_FRONT_FIELDS = (
    ("姓名", ("姓名",)),
    ("性别", ("性别", "性別")),
    ("民族", ("民族",)),
    ("出生", ("出生",)),
    ("住址", ("住址",)),
)
_ID_BACK = (
    ("签发机关", ("签发机关", "簽發機關", "签发机")),
    ("有效期限", ("有效期限",)),
    ("居民身份证", ("居民身份证", "居民身份證")),
    ("中华人民共和国", ("中华人民共和国", "中華人民共和國")),
)
_PASSPORT_WORDS = (
    ("护照", ("护照", "護照")),
    ("passport", ("passport",)),
)
_PASSPORT_FIELDS = (
    ("date of birth", ("dateofbirth", "出生日期")),
    ("date of issue", ("dateofissue", "签发日期", "簽發日期")),
    ("date of expiry", ("dateofexpiry", "有效期至")),
    ("nationality", ("nationality", "国籍", "國籍")),
    ("country code", ("countrycode", "国家码", "國家碼")),
    ("authority", ("authority",)),
)
_CONTRACT = (
    ("合同", ("合同",)),
    ("协议", ("协议", "協議")),
    ("甲方", ("甲方",)),
    ("乙方", ("乙方",)),
    ("签字", ("签字", "簽字", "签章", "盖章", "蓋章", "签署", "簽署")),
    ("agreement", ("agreement",)),
    ("contract", ("contract",)),
    ("party a", ("partya",)),
    ("party b", ("partyb",)),
    ("in witness whereof", ("inwitnesswhereof",)),
)
# Words printed on payment cards. "有效期" alone is too common elsewhere, so
# it counts only next to a card-shaped number.
_CARD_WORDS = (
    ("unionpay", ("unionpay", "银联", "銀聯")),
    ("visa", ("visa",)),
    ("mastercard", ("mastercard",)),
    ("maestro", ("maestro",)),
    ("valid thru", ("validthru", "goodthru", "validfrom", "month/year")),
    ("credit card", ("信用卡", "creditcard")),
    ("debit card", ("借记卡", "借記卡", "储蓄卡", "儲蓄卡", "debitcard")),
    ("cardholder", ("cardholder",)),
)
_BANK_WORDS = (
    ("bank", ("银行", "銀行", "bank", "信用社")),
    ("有效期", ("有效期", "expires")),
)

# The two lines of a passport's machine-readable zone (ICAO 9303, TD3): the
# first starts with P, a type letter or <, and the issuing state, and pads
# the names with <; the second contains the number, its check digit, the
# nationality, the birth date, a check digit and the sex.
_MRZ_FIRST = re.compile(r"^P[A-Z<][A-Z<]{3}[A-Z<]*<<[A-Z<]*$")
_MRZ_SECOND = re.compile(r"^[A-Z0-9<]{9}[0-9][A-Z<]{3}[0-9]{6}[0-9][MFX<]")
_ID_SHAPED = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9A-Z])")
_CARD_SHAPED = re.compile(r"(?<![0-9])[0-9]{12,19}(?![0-9])")
_DIGIT_RUN = re.compile(r"[0-9]+")

KIND_TYPES = {
    "resident_id_front": "CN_RESIDENT_ID",
    "resident_id_back": "CN_RESIDENT_ID",
    "bank_card": "BANK_CARD",
    "passport": "PASSPORT",
}


@dataclass(frozen=True)
class KindMatch:
    """The kind, the index of the line holding its deciding label, the labels."""

    kind: str
    line: int | None
    keywords: tuple[str, ...]


ID_NUMBER_LABELS = _ID_FRONT_NUMBER[1]
NAME_LABELS = ("姓名",)


def _compact(text: str) -> str:
    return "".join(text.split()).lower()


def line_has_label(line: TextLine, spellings: Sequence[str]) -> bool:
    """Tell whether a line contains one of the label spellings (see `_contains`)."""
    compact = _compact(line.text)
    return any(_contains(compact, s) for s in spellings)


def _contains(compact: str, spelling: str) -> bool:
    """Match a spelling exactly, or with one wrong character when it has four or more."""
    if spelling in compact:
        return True
    size = len(spelling)
    if size < 4 or not any("\u4e00" <= c <= "\u9fff" for c in spelling):
        return False
    for start in range(len(compact) - size + 1):
        window = compact[start : start + size]
        if sum(a != b for a, b in zip(window, spelling, strict=True)) <= 1:
            return True
    return False


class _Labels:
    """Where each label group appears in a document's lines."""

    def __init__(self, lines: Sequence[TextLine]) -> None:
        self.compact = [_compact(line.text) for line in lines]
        self.upper = [line.text.replace(" ", "").upper() for line in lines]

    def find(self, group: tuple[str, tuple[str, ...]]) -> int | None:
        """Return the index of the first line holding the group's label."""
        _, spellings = group
        for index, compact in enumerate(self.compact):
            if any(_contains(compact, s) for s in spellings):
                return index
        return None

    def found(
        self, groups: Sequence[tuple[str, tuple[str, ...]]]
    ) -> list[tuple[str, int]]:
        hits = []
        for group in groups:
            index = self.find(group)
            if index is not None:
                hits.append((group[0], index))
        return hits

    def first(self, pattern: re.Pattern[str]) -> int | None:
        for index, text in enumerate(self.upper):
            if pattern.search(text):
                return index
        return None

    def first_match(
        self, pattern: re.Pattern[str], accept: Callable[[str], bool]
    ) -> int | None:
        """Return the first line with a match of `pattern` that `accept` takes."""
        for index, text in enumerate(self.upper):
            if any(accept(m.group()) for m in pattern.finditer(text)):
                return index
        return None

    def longest_digits(self, minimum: int) -> int | None:
        """Return the line with the longest digit run of `minimum` digits or more."""
        best: tuple[int, int | None] = (minimum - 1, None)
        for index, text in enumerate(self.upper):
            for run in _DIGIT_RUN.findall(text):
                if len(run) > best[0]:
                    best = (len(run), index)
        return best[1]


def detect_kind(lines: Sequence[TextLine]) -> KindMatch:
    """Decide the kind of a document from its lines.

    The checks run from the most specific to the least: a passport's
    machine-readable zone, then contract wording (a contract may quote ID
    fields and mention a passport), then a passport label (a passport page
    also prints name, sex and birth labels like an ID card), then the ID
    card front and back, then a bank card.
    """
    labels = _Labels(lines)
    checks = (_passport_mrz, _contract, _passport, _id_front, _id_back, _bank_card)
    for check in checks:
        match = check(labels)
        if match is not None:
            return match
    return KindMatch("other", None, ())


def _passport_mrz(labels: _Labels) -> KindMatch | None:
    mrz = labels.first(_MRZ_FIRST)
    if mrz is None:
        mrz = labels.first(_MRZ_SECOND)
    if mrz is None:
        return None
    words = labels.found(_PASSPORT_WORDS)
    line = words[0][1] if words else mrz
    return KindMatch("passport", line, tuple(n for n, _ in words) + ("MRZ",))


def _passport(labels: _Labels) -> KindMatch | None:
    """Match a passport label, unless the page is an ID card front, which has none."""
    words = labels.found(_PASSPORT_WORDS)
    if not words or labels.find(_ID_FRONT_NUMBER) is not None:
        return None
    fields = labels.found(_PASSPORT_FIELDS)
    names = tuple(n for n, _ in words + fields)
    return KindMatch("passport", words[0][1], names)


def _contract(labels: _Labels) -> KindMatch | None:
    hits = labels.found(_CONTRACT)
    if len(hits) >= 2:
        return KindMatch("contract", hits[0][1], tuple(n for n, _ in hits))
    return None


def _id_front(labels: _Labels) -> KindMatch | None:
    """Match an ID card front by its labels, which OCR often garbles.

    The number label decides, or three field labels, or two next to an
    ID-shaped number, or one next to an ID-shaped number whose characters
    7 to 14 are a birth date. Without the number label, the kind's line is
    the one with the ID-shaped number, else the one with the longest digit
    run of 15 or more, so that a number failing its checksum is covered.
    """
    number_label = labels.find(_ID_FRONT_NUMBER)
    fields = labels.found(_ID_FRONT_FIELDS)
    shaped = labels.first(_ID_SHAPED)
    dated = labels.first_match(_ID_SHAPED, has_birth_date)
    names = tuple(n for n, _ in fields)
    if number_label is not None:
        return KindMatch("resident_id_front", number_label, ("公民身份号码",) + names)
    if (
        len(fields) >= 3
        or (len(fields) >= 2 and shaped is not None)
        or (fields and dated is not None)
    ):
        candidates = (shaped, labels.longest_digits(15), fields[0][1])
        line = next(index for index in candidates if index is not None)
        return KindMatch("resident_id_front", line, names)
    return None


def has_birth_date(number: str) -> bool:
    """Tell whether characters 7 to 14 of an ID-shaped number are a plausible date."""
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    return 1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31


def _id_back(labels: _Labels) -> KindMatch | None:
    hits = labels.found(_ID_BACK)
    names = [n for n, _ in hits]
    decisive = "签发机关" in names or "有效期限" in names
    if len(hits) >= 2 and decisive:
        line = next(i for n, i in hits if n in ("签发机关", "有效期限"))
        return KindMatch("resident_id_back", line, tuple(names))
    return None


def _bank_card(labels: _Labels) -> KindMatch | None:
    card_words = labels.found(_CARD_WORDS)
    bank_words = labels.found(_BANK_WORDS)
    number = labels.first(_CARD_SHAPED)
    names = tuple(n for n, _ in card_words + bank_words)
    if number is not None and names:
        return KindMatch("bank_card", number, names)
    if len(card_words) >= 2 or (card_words and bank_words):
        return KindMatch("bank_card", card_words[0][1], names)
    return None


def segment_id(document: Document, index: int) -> str:
    """Return the segment id ("p{page}l{n}") that `to_interaction` gives a line."""
    page = document.lines[index].page
    number = sum(1 for line in document.lines[: index + 1] if line.page == page)
    return f"p{page}l{number}"


def mask_line(text: str, keywords: Sequence[str]) -> str:
    """Return the line with every letter, digit and CJK character masked,
    except the kind's labels (field names are no personal data, and a
    name or address on the same line is)."""
    keep = [False] * len(text)
    lowered = text.lower()
    for keyword in keywords:
        for match in re.finditer(re.escape(keyword.lower()), lowered):
            for position in range(match.start(), match.end()):
                keep[position] = True
    return "".join(
        c if keep[i] or not (c.isalnum() or c == "<") else "*"
        for i, c in enumerate(text)
    )


def document_kind_finding(
    document: Document, interaction: Interaction
) -> Finding | None:
    """Return a `document_exposure` finding for an ID card, bank card or passport.

    The finding covers the line that contains the kind's deciding label.
    It is reported even when no recognizer proves the number (unreadable, or failing
    its checksum). Severity is "high" when the agent sent the document and
    "medium" otherwise.
    """
    entity_type = KIND_TYPES.get(document.kind)
    if entity_type is None or document.kind_line is None:
        return None
    segment = interaction.segment(segment_id(document, document.kind_line))
    if segment is None:
        return None
    masked = mask_line(segment.text, document.kind_keywords)
    labels = ", ".join(document.kind_keywords)
    return Finding(
        segment=segment.id,
        start=0,
        end=len(segment.text),
        type=entity_type,
        form="full",
        behaviour="document_exposure",
        severity="high" if segment.speaker == "agent" else "medium",
        rule=f"document_kind_{document.kind}",
        confidence=0.9,
        masked=masked,
        excerpt=masked,
        suggestion="Replace the upload with a redacted copy.",
        explanation=f"document kind {document.kind} from its labels: {labels}",
    )
