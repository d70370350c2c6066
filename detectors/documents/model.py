"""What extraction returns: words with boxes, lines built from them, documents.

Boxes are (x0, y0, x1, y1) with the origin at the top left: image pixels of
the upload as displayed (after its EXIF orientation) for images, and PDF
points in unrotated page space (what `Page.add_redact_annot` expects) for
PDFs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Box = tuple[float, float, float, float]

DOCUMENT_KINDS = (
    "resident_id_front",
    "resident_id_back",
    "bank_card",
    "passport",
    "contract",
    "other",
)


def union(boxes: list[Box] | tuple[Box, ...]) -> Box:
    """Return the smallest box that contains every box given."""
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def is_wide(char: str) -> bool:
    """Tell whether a character is a CJK ideograph, kana, hangul or full-width form."""
    code = ord(char)
    return (
        0x2E80 <= code <= 0x9FFF
        or 0xAC00 <= code <= 0xD7AF
        or 0xF900 <= code <= 0xFAFF
        or 0xFE30 <= code <= 0xFE4F
        or 0xFF00 <= code <= 0xFF60
        or 0x20000 <= code <= 0x3FFFF
    )


@dataclass(frozen=True)
class Affine:
    """A 2-D affine map: x' = a*x + b*y + c, y' = d*x + e*y + f."""

    a: float = 1.0
    b: float = 0.0
    c: float = 0.0
    d: float = 0.0
    e: float = 1.0
    f: float = 0.0

    def point(self, x: float, y: float) -> tuple[float, float]:
        return self.a * x + self.b * y + self.c, self.d * x + self.e * y + self.f

    def then(self, other: Affine) -> Affine:
        """Return the map that applies this one, then `other`."""
        return Affine(
            other.a * self.a + other.b * self.d,
            other.a * self.b + other.b * self.e,
            other.a * self.c + other.b * self.f + other.c,
            other.d * self.a + other.e * self.d,
            other.d * self.b + other.e * self.e,
            other.d * self.c + other.e * self.f + other.f,
        )

    def inverse(self) -> Affine:
        det = self.a * self.e - self.b * self.d
        a, b, d, e = self.e / det, -self.b / det, -self.d / det, self.a / det
        return Affine(
            a, b, -(a * self.c + b * self.f), d, e, -(d * self.c + e * self.f)
        )

    def box(self, box: Box) -> Box:
        """Return the bounding box of the image of `box`'s four corners."""
        x0, y0, x1, y1 = box
        corners = [self.point(x, y) for x in (x0, x1) for y in (y0, y1)]
        xs = [p[0] for p in corners]
        ys = [p[1] for p in corners]
        return (min(xs), min(ys), max(xs), max(ys))


@dataclass(frozen=True)
class Word:
    """One word as the OCR engine or the PDF text layer gave it.

    `confidence` runs from 0 to 100 (100 for PDF text). `char_boxes` contains
    one box per character of `text` when the engine reports them (RapidOCR
    does, Tesseract does not).
    """

    text: str
    box: Box
    confidence: float
    char_boxes: tuple[Box, ...] = ()

    def __repr__(self) -> str:
        # OCR text may be personal data, so the repr shows its length only.
        return f"Word(<{len(self.text)} chars>, box={self.box})"

    def sub_box(self, first: int, last: int) -> Box:
        """Return the box of characters `first` to `last` (inclusive) of the word.

        The exact character boxes are used when the engine gave them.
        Otherwise the box is estimated from character widths (a wide CJK
        character counts as two narrow ones) and widened by half a narrow
        character on each trimmed side, so an estimate errs towards covering
        too much rather than too little.
        """
        if first <= 0 and last >= len(self.text) - 1:
            return self.box
        if len(self.char_boxes) == len(self.text):
            return union(self.char_boxes[first : last + 1])
        weights = [2 if is_wide(c) else 1 for c in self.text]
        total = sum(weights)
        x0, y0, x1, y1 = self.box
        unit = (x1 - x0) / total
        left = x0 + unit * sum(weights[:first])
        right = x0 + unit * sum(weights[: last + 1])
        if first > 0:
            left -= unit / 2
        if last < len(self.text) - 1:
            right += unit / 2
        return (max(x0, left), y0, min(x1, right), y1)


@dataclass(frozen=True)
class TextLine:
    """One line of text as a detector should read it, with its words.

    `char_words[i]` is the index in `words` of the word that character `i`
    of `text` comes from, or -1 for a space the line builder put between
    words; `char_offsets[i]` is that character's index inside the word's
    text. Folding OCR look-alikes replaces characters one for one, so both
    maps stay exact.
    """

    text: str
    page: int
    box: Box
    words: list[Word]
    char_words: tuple[int, ...]
    char_offsets: tuple[int, ...]

    def __repr__(self) -> str:
        return (
            f"TextLine(page={self.page}, <{len(self.text)} chars>, "
            f"{len(self.words)} words, box={self.box})"
        )

    def word_indexes(self, start: int, end: int) -> list[int]:
        """Return the indexes of the words that characters [start, end) come from."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(
                f"span {start}:{end} is outside the line of length {len(self.text)}"
            )
        found: list[int] = []
        for index in self.char_words[start:end]:
            if index >= 0 and index not in found:
                found.append(index)
        return found

    def words_for_span(self, start: int, end: int) -> list[Word]:
        """Return the words that characters [start, end) of `text` come from.

        Only words holding at least one character of the span are returned,
        never a neighbour: a span that ends at a word's last character does
        not reach the next word.
        """
        return [self.words[i] for i in self.word_indexes(start, end)]

    def boxes_for_span(self, start: int, end: int) -> list[Box]:
        """Return one box per word of the span, trimmed to the span's characters.

        A word that the span covers whole gives its box; a word that it
        covers in part (a label and a number that OCR read as one word)
        gives the box of the covered characters, see `Word.sub_box`.
        """
        covered: dict[int, list[int]] = {}
        for position in range(start, end):
            index = self.char_words[position]
            if index >= 0:
                covered.setdefault(index, []).append(self.char_offsets[position])
        return [
            self.words[index].sub_box(min(offsets), max(offsets))
            for index, offsets in covered.items()
        ]


@dataclass
class Document:
    """The text of one upload and what kind of document it is.

    `status` is "inspected", or "not_inspected" with `reason` saying why
    (a limit, a corrupt file, a failed OCR run). `engine` names the OCR
    engine, or "pdf-text" when every line came from a PDF text layer.
    `kind_line` indexes the line whose keywords decided `kind`, and
    `kind_keywords` lists those keywords. `size` is the image's width and
    height as displayed; `rotation` is the clockwise quarter turn, in
    degrees, that made its text upright for OCR.
    """

    kind: str = "other"
    media: str = "image"
    lines: list[TextLine] = field(default_factory=list)
    status: str = "inspected"
    reason: str = ""
    engine: str = ""
    pages: int = 0
    size: tuple[int, int] | None = None
    rotation: int = 0
    kind_line: int | None = None
    kind_keywords: tuple[str, ...] = ()
    seconds: float = 0.0

    def __repr__(self) -> str:
        return (
            f"Document(kind={self.kind!r}, media={self.media!r}, "
            f"status={self.status!r}, reason={self.reason!r}, "
            f"engine={self.engine!r}, {len(self.lines)} lines)"
        )

    @property
    def inspected(self) -> bool:
        return self.status == "inspected"

    @property
    def text(self) -> str:
        """All lines joined by newlines."""
        return "\n".join(line.text for line in self.lines)
