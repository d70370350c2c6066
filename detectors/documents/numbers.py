"""A second Tesseract pass that reads the rows holding numbers again.

The first pass reads a whole card with the Chinese and English models at one
scale, and long digit runs suffer most. A watermark over a few digits, a
layout that cuts a number short, or digits too small give wrong or missing
digits. This pass picks the rows whose digits could make an identifier, or
that contain a number label or letters read with low confidence. It cuts
each as a strip across the whole image from the upload itself, scaled so
that its digits are `NUMBER_HEIGHT` pixels tall and turned dark-on-light.
The stacked strips are read in one call with the English model alone,
which also loads faster.

RapidOCR reads its first pass's unsure number rows again the same way, with
itself as the reader. Its strips are first lifted off their background
(`lift_faint_ink`). Digits under a semi-transparent white watermark are
mid-grey, and the mark's letters over the background almost white. So
turning everything within 15% of the background white removes the letters
and leaves the digits.

A number read there replaces the first pass's words in its place when it
ranks at least as high (see `_Quality`: checksum-valid first, then shaped
exactly like an identifier, then without stray symbols, then confidence).
Everything else the first pass read is kept.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from PIL import Image, ImageOps, ImageStat
from stdnum import luhn

from detectors.documents.kinds import has_birth_date
from detectors.documents.limits import Deadline
from detectors.documents.model import Affine, Box, is_wide, union
from detectors.documents.ocr import OcrWord, TesseractEngine
from detectors.recognizers.cn_resident_id import is_resident_id
from detectors.recognizers.payment_card import card_brand

NUMBER_LANGUAGES = "eng"
# Sauvola's local threshold instead of one Otsu threshold for the whole
# image: the stacked strips have different backgrounds.
NUMBER_OPTIONS = "-c thresholding_method=2"
# The height, in pixels, that a strip's digits are scaled to. On a crop of
# the watermarked ID photo in docs/ocr.md Tesseract read every digit at 42
# to 60 pixels and misread one at 36 and at 84.
NUMBER_HEIGHT = 56
# Space kept above and below a line in its strip, in line heights, and
# how far above and below its box a word still counts as on the line.
STRIP_PADDING = 0.5
CORE_MARGIN = 0.25
STRIP_GAP = 24
# The reach of a narrow strip past its row's words, in line heights.
STRIP_REACH = 1.0
MAX_STRIPS = 8
MAX_STRIP_WIDTH = 4000
MIN_SCALE, MAX_SCALE = 0.5, 4.0
# A row is read again when it has a run of MIN_RUN digits or MIN_ROW_DIGITS
# digits in all. A passport number has 8 after its letter, while a date's 8
# come in groups. A phone or card number in groups has 11 or more.
MIN_RUN = 7
MIN_ROW_DIGITS = 11
# A line of at least this many letters and digits read with a mean
# confidence below GARBLED_CONFIDENCE may be a number read as letters.
GARBLED_LETTERS = 6
GARBLED_CONFIDENCE = 50
# Digits read with this confidence or more, forming a valid number, are
# not read again.
CONFIDENT_DIGITS = 85
# Labels after which a number is printed, compared lower case without spaces.
NUMBER_LABELS = (
    "号码",
    "身份证",
    "护照号",
    "passportno",
    "卡号",
    "cardno",
)
# Strips darker than this median grey are light text on a dark card.
DARK_STRIP = 110
# For an engine that reads strips as they are (RapidOCR), pixels at this
# share of a strip's median grey or lighter turn white, and darker ones are
# made lighter in proportion. On the watermarked rendered card the digits
# under the mark read right from 0.8 to 0.9, and wrong at 0.7, 0.75 and
# without.
FAINT_INK = 0.85
# A Chinese character that the first pass read with at least this
# confidence is text, not digits for the second pass to replace.
CONFIDENT_HANZI = 50
_EDGE_MARKS = "()[]{}|/\\.,:;'\"`‘’“”-_~!"
_DIGITS = re.compile(r"[0-9]+")
_GROUPED = re.compile(r"[0-9]+(?:[ -]+[0-9]+)*")
_ID_SHAPED = re.compile(r"[0-9]{17}[0-9X]")
_PASSPORT = re.compile(r"[A-Z]{1,2}[0-9]{7,8}")

# Reads an image within a timeout in seconds, like `OcrEngine.recognize`.
Reader = Callable[[Image.Image, float], list[OcrWord]]


@dataclass(frozen=True)
class _Line:
    key: tuple[int, ...]
    words: list[OcrWord]
    centre: float
    height: float
    digits: int
    span: tuple[float, float]
    flagged: bool


@dataclass(frozen=True)
class _Strip:
    """The place of one band of the image in the stacked image, and its scale.

    `band` is the strip's box in the first pass's pixels and `core` the
    vertical range of the lines it was cut for. Words read in the padding
    around the core belong to other lines.
    """

    band: Box
    core: tuple[float, float]
    key: tuple[int, ...]
    scale: float
    top: int
    height: int

    def to_band(self, box: Box, margin: int) -> Box:
        """Map a box of the stacked image back into the first pass's pixels."""
        return (
            self.band[0] + (box[0] - margin) / self.scale,
            self.band[1] + (box[1] - self.top) / self.scale,
            self.band[0] + (box[2] - margin) / self.scale,
            self.band[1] + (box[3] - self.top) / self.scale,
        )

    def holds(self, box: Box) -> bool:
        """Tell whether a box in the first pass's pixels is centred in the core."""
        return self.core[0] <= (box[1] + box[3]) / 2 <= self.core[1]


def reread_numbers(
    source: Image.Image,
    to_level: Affine,
    level_size: tuple[int, int],
    words: list[OcrWord],
    deadline: Deadline,
    reader: Reader | None = None,
) -> list[OcrWord]:
    """Return `words` with the numbers on number lines read again, more closely.

    `words` are what the first pass read in an image of `level_size`
    pixels that `to_level` maps `source` onto (scaled, turned, levelled).
    Strips are cut from `source` itself, so they are resampled once, at
    the scale the digits need. They are read in one call.

    Without `reader`, Tesseract's English model reads them as one column of
    lines (page segmentation mode 4). On the card photos in docs/ocr.md
    that mode coped better than one uniform block (mode 6) with strips that
    also show part of a photo or a label. A `reader` is a function that
    reads an image within a timeout (RapidOCR's). With one, only rows with
    a digit group read with under `CONFIDENT_DIGITS` are read again. Their
    strips are cut across the row's words only and lifted first
    (`lift_faint_ink`).
    """
    rows = rows_to_read(words, unsure_numbers_only=reader is not None)
    if not rows:
        return words
    lift = reader is not None
    if reader is None:
        reader = TesseractEngine(NUMBER_LANGUAGES, 4, NUMBER_OPTIONS).recognize
    stacked, strips, margin = _stack(
        source, to_level.inverse(), level_size, rows, narrow=lift, lift=lift
    )
    found = reader(stacked, deadline.timeout_for_call())
    deadline.check()
    by_strip: dict[int, list[OcrWord]] = {}
    for word in found:
        index = _strip_of(word.box, strips)
        if index is None or not _numberish(word.text):
            continue
        strip = strips[index]
        box = strip.to_band(word.box, margin)
        if strip.holds(box):
            # A shadow or a card's edge next to a digit reads as a bracket
            # or a stroke, which would keep the digit groups apart.
            text = word.text.strip(_EDGE_MARKS)
            chars: tuple[Box, ...] = ()
            if len(word.char_boxes) == len(word.text) and text:
                start = word.text.index(text)
                chars = tuple(
                    strip.to_band(b, margin)
                    for b in word.char_boxes[start : start + len(text)]
                )
                box = union(chars)
            by_strip.setdefault(index, []).append(
                OcrWord(text, box, word.confidence, strip.key, chars)
            )
    for index, numbers in by_strip.items():
        words = merge_numbers(words, numbers, strips[index].core)
    return words


def _number_lines(words: Sequence[OcrWord]) -> list[_Line]:
    """Return the first pass's lines that may hold a number, each with its size.

    A line may hold one when it has digits, a number label, or letters
    read with low confidence (a number the first pass turned into letters).
    """
    groups: dict[tuple[int, ...], list[OcrWord]] = {}
    for word in words:
        groups.setdefault(word.line_key, []).append(word)
    lines = []
    for key, group in groups.items():
        text = "".join(w.text for w in group)
        digits = sum(c.isascii() and c.isdigit() for c in text)
        labelled = any(label in text.lower() for label in NUMBER_LABELS)
        latin = [c for c in text if c.isascii() and c.isalnum()]
        confidence = statistics.mean(w.confidence for w in group)
        garbled = len(latin) >= GARBLED_LETTERS and confidence < GARBLED_CONFIDENCE
        if digits < 2 and not labelled and not garbled:
            continue
        # The digits set the strip's height and scale; a label beside them
        # may be printed larger or smaller.
        numeric = [w for w in group if sum(c.isdigit() for c in w.text) >= 2]
        sizing = numeric or group
        height = statistics.median(w.box[3] - w.box[1] for w in sizing)
        centre = statistics.median((w.box[1] + w.box[3]) / 2 for w in sizing)
        span = (min(w.box[0] for w in group), max(w.box[2] for w in group))
        if height > 0:
            lines.append(
                _Line(key, group, centre, height, digits, span, labelled or garbled)
            )
    return lines


@dataclass(frozen=True)
class Row:
    """A row to read again: its vertical range, first-pass line key and text height.

    `left` and `right` are where the row's first-pass words start and end.
    """

    top: float
    bottom: float
    key: tuple[int, ...]
    height: float
    left: float = 0.0
    right: float = 0.0


def rows_to_read(
    words: Sequence[OcrWord], unsure_numbers_only: bool = False
) -> list[Row]:
    """Choose the rows of the first pass's words to read again, top to bottom.

    A line is a candidate when it has digits, a number label, or letters
    read with low confidence (a number the first pass turned into letters).
    A number in perspective or slightly tilted comes back as pieces side by
    side, a little above or below each other. So a line joins the previous
    row when their ranges overlap and it overlaps none of the row's lines
    horizontally.

    A row is read again when its digits could make an identifier
    (`MIN_RUN`, `MIN_ROW_DIGITS`) or it has a label or garbled letters,
    unless the first pass read a checksum-valid number there with
    confidence. A row without such digits that overlaps the next row is
    left out: its number is read there. At most `MAX_STRIPS` rows, those
    with the most digits, are kept.

    `unsure_numbers_only` is for RapidOCR, which reads every line it finds
    in any script. A row is then read again only when it contains a number of
    `MIN_RUN` digits or more, its groups joined across spaces and hyphens
    (`_max_number_digits`), and a digit group in it was read with under
    `CONFIDENT_DIGITS`. Labels, dates with 年 and 月 between their groups
    and file names with letters between theirs are left alone, and so are
    specimen numbers that fail their checksum and passport numbers, which
    have none, when read with confidence.

    NOTE: only rows that the first pass found are read again. When
    Tesseract's layout analysis drops a number's line altogether (two ID
    photos and a ticket in docs/ocr.md), that number stays unread.
    """
    rows: list[list[_Line]] = []
    for line in sorted(_number_lines(words), key=lambda line: line.centre):
        if rows and _joins(rows[-1], line):
            rows[-1].append(line)
        else:
            rows.append([line])
    ranges = [_range(row) for row in rows]
    chosen: list[tuple[int, Row]] = []
    for index, row in enumerate(rows):
        digits = sum(line.digits for line in row)
        run = max(
            (
                len(r)
                for line in row
                for w in line.words
                for r in _DIGITS.findall(w.text)
            ),
            default=0,
        )
        shaped = run >= MIN_RUN or digits >= MIN_ROW_DIGITS
        if unsure_numbers_only:
            if _max_number_digits(row) < MIN_RUN or _read_confidently(row):
                continue
        elif not shaped and not any(line.flagged for line in row):
            continue
        below = ranges[index + 1] if index + 1 < len(rows) else None
        if not shaped and below and below[0] < ranges[index][1]:
            continue
        if _read_well(row):
            continue
        tallest = max(row, key=lambda line: line.height)
        top, bottom = ranges[index]
        left = min(line.span[0] for line in row)
        right = max(line.span[1] for line in row)
        chosen.append(
            (digits, Row(top, bottom, tallest.key, tallest.height, left, right))
        )
    chosen.sort(key=lambda item: -item[0])
    return sorted((row for _, row in chosen[:MAX_STRIPS]), key=lambda row: row.top)


def _read_well(row: list[_Line]) -> bool:
    """Tell whether the first pass read a valid number in the row with confidence."""
    numeric = [
        w for line in row for w in line.words if sum(c.isdigit() for c in w.text) >= 2
    ]
    return (
        bool(numeric)
        and all(w.confidence >= CONFIDENT_DIGITS for w in numeric)
        and _quality(numeric).valid
    )


def _max_number_digits(row: Sequence[_Line]) -> int:
    """Return the maximum digit count of a number in a row, groups joined.

    The row's words are taken left to right. Digit groups with only spaces
    or hyphens between them count as one number, because card and phone
    numbers are printed so. Any other character ends a number.
    """
    words = sorted((w for line in row for w in line.words), key=lambda w: w.box[0])
    text = " ".join(w.text for w in words)
    return max((sum(c.isdigit() for c in m) for m in _GROUPED.findall(text)), default=0)


def _read_confidently(row: list[_Line]) -> bool:
    """Tell whether the first pass read every digit group in the row with confidence."""
    numeric = [
        w for line in row for w in line.words if sum(c.isdigit() for c in w.text) >= 2
    ]
    return bool(numeric) and all(w.confidence >= CONFIDENT_DIGITS for w in numeric)


def _reach(line: _Line) -> tuple[float, float]:
    reach = line.height * (0.5 + CORE_MARGIN)
    return line.centre - reach, line.centre + reach


def _range(row: list[_Line]) -> tuple[float, float]:
    reaches = [_reach(line) for line in row]
    return min(r[0] for r in reaches), max(r[1] for r in reaches)


def _joins(row: list[_Line], line: _Line) -> bool:
    top, bottom = _reach(line)
    row_top, row_bottom = _range(row)
    if top >= row_bottom or bottom <= row_top:
        return False
    left, right = line.span
    return all(right <= other.span[0] or left >= other.span[1] for other in row)


def _stack(
    source: Image.Image,
    from_level: Affine,
    level_size: tuple[int, int],
    rows: list[Row],
    narrow: bool = False,
    lift: bool = False,
) -> tuple[Image.Image, list[_Strip], int]:
    """Cut one scaled strip per row from `source` and stack them.

    Return the stacked image, the strips and the left margin. A strip is a
    band across the levelled image, or with `narrow` across the row's words
    and `STRIP_REACH` line heights either side. Each of its pixels is looked
    up in `source` through `from_level`, so turning, levelling and scaling
    happen in one resampling. With `lift`, each strip goes through
    `lift_faint_ink`.
    """
    width, height = level_size
    margin = STRIP_GAP
    pieces: list[tuple[Image.Image, _Strip]] = []
    for row in rows:
        pad = row.height * STRIP_PADDING
        top = max(0.0, row.top - pad)
        left, right = 0.0, float(width)
        if narrow:
            left = max(left, row.left - STRIP_REACH * row.height)
            right = min(right, row.right + STRIP_REACH * row.height)
        band = (left, top, right, min(float(height), row.bottom + pad))
        scale = min(
            MAX_SCALE,
            max(MIN_SCALE, NUMBER_HEIGHT / row.height),
            MAX_STRIP_WIDTH / (right - left),
        )
        size = (
            max(1, round((right - left) * scale)),
            max(1, round((band[3] - top) * scale)),
        )
        # Strip pixel (u, v) is levelled pixel (left + u / scale, top + v / scale).
        to_source = Affine(a=1 / scale, c=left, e=1 / scale, f=top).then(from_level)
        strip = source.transform(
            size,
            Image.Transform.AFFINE,
            (
                to_source.a,
                to_source.b,
                to_source.c,
                to_source.d,
                to_source.e,
                to_source.f,
            ),
            resample=Image.Resampling.BICUBIC,
            fillcolor="white",
        ).convert("L")
        if ImageStat.Stat(strip).median[0] < DARK_STRIP:
            strip = ImageOps.invert(strip)
        if lift:
            strip = lift_faint_ink(strip)
        core = (row.top, row.bottom)
        pieces.append((strip, _Strip(band, core, row.key, scale, 0, strip.height)))
    width = max(p[0].width for p in pieces) + 2 * margin
    height = sum(p[0].height for p in pieces) + STRIP_GAP * (len(pieces) + 1)
    stacked = Image.new("L", (width, height), 255)
    strips = []
    top = STRIP_GAP
    for strip, placed in pieces:
        stacked.paste(strip, (margin, top))
        strips.append(replace(placed, top=top))
        top += strip.height + STRIP_GAP
    return stacked, strips, margin


def lift_faint_ink(strip: Image.Image) -> Image.Image:
    """Turn a grey strip's background, and what is nearly as light, white.

    The levels are stretched so that `FAINT_INK` times the strip's median
    grey, taken as its background, becomes white. Digits under a
    semi-transparent white mark (mid-grey) stay grey, while the mark's
    letters and outline over the background (near white) disappear.
    """
    white = max(1.0, FAINT_INK * ImageStat.Stat(strip).median[0])
    return strip.point(lambda value: min(255, round(value * 255 / white)))


def _strip_of(box: Box, strips: list[_Strip]) -> int | None:
    centre = (box[1] + box[3]) / 2
    for index, strip in enumerate(strips):
        if strip.top <= centre < strip.top + strip.height:
            return index
    return None


def _numberish(text: str) -> bool:
    """Tell whether a word is mostly digits: a number, maybe with a letter or two."""
    alnum = [c for c in text if c.isalnum()]
    digits = sum(c.isascii() and c.isdigit() for c in alnum)
    return digits >= 3 and digits >= 0.6 * len(alnum)


@dataclass(frozen=True, order=True)
class _Quality:
    """The rank of a reading of one row's number; greater is better.

    Valid means a resident ID checksum, or Luhn with a card brand's prefix
    and length (a misread 17-digit ID passes Luhn one time in ten). Exact
    means shaped precisely like one identifier: 17 digits and a check
    character with a birth date inside, a card brand's prefix and length,
    or a passport number. Shaped means long enough to be an identifier
    this project detects: 11 or more digits, or a passport number. Stray
    symbols inside the digits count against a reading. Confidence, the
    engine's mean for the digits' words, only breaks ties.
    """

    valid: bool
    exact: bool
    shaped: bool
    clean: int
    confidence: float


def _quality(words: Sequence[OcrWord]) -> _Quality:
    numeric = sorted(
        (w for w in words if sum(c.isdigit() for c in w.text) >= 2),
        key=lambda w: w.box[0],
    )
    text = "".join(w.text.upper() for w in numeric)
    digits = "".join(c for c in text if c.isdigit() or c == "X")
    passport = any(_PASSPORT.fullmatch(w.text) is not None for w in numeric)
    id_shaped = _ID_SHAPED.fullmatch(digits) is not None and has_birth_date(digits)
    card_shaped = digits.isdigit() and card_brand(digits) is not None
    valid = (id_shaped and is_resident_id(digits)) or (
        card_shaped and luhn.is_valid(digits)
    )
    return _Quality(
        valid=valid,
        exact=id_shaped or card_shaped or passport,
        shaped=passport or sum(c.isdigit() for c in digits) >= 11,
        clean=-sum(not c.isalnum() for c in text),
        confidence=statistics.mean(w.confidence for w in numeric) if numeric else 0.0,
    )


def _inside(words: list[OcrWord], core: tuple[float, float]) -> list[OcrWord]:
    return [w for w in words if core[0] <= (w.box[1] + w.box[3]) / 2 <= core[1]]


def merge_numbers(
    words: list[OcrWord], numbers: list[OcrWord], core: tuple[float, float]
) -> list[OcrWord]:
    """Put `numbers`, read again in one row, in place of the words they cover, if better.

    `core` is the row's vertical range; `words` are all the first pass's
    words, and the merged list is returned.

    A new number over a Chinese character that the first pass read with
    some confidence is dropped: the English model reads 年 and 月 in a date
    as digits. The rest must be shaped like an identifier and rank at least
    as high as everything the first pass read in the row (see `_Quality`).
    Then the first-pass words in the row that overlap a new number
    horizontally are replaced. The new words join the line that most of
    them belonged to.
    """
    inside = _inside(words, core)
    hanzi = [
        w
        for w in inside
        if w.confidence >= CONFIDENT_HANZI and any(is_wide(c) for c in w.text)
    ]
    numbers = [
        n
        for n in numbers
        if not any(_overlap(n.box, h.box) > 0.3 * (h.box[2] - h.box[0]) for h in hanzi)
    ]
    new_quality = _quality(numbers)
    if not numbers or not new_quality.shaped:
        return words
    old = [w for w in inside if any(_overlap(w.box, n.box) > 0 for n in numbers)]
    if old and _quality(inside) > new_quality:
        return words
    if old:
        keys = [w.line_key for w in old]
        key = max(set(keys), key=keys.count)
        numbers = [replace(n, line_key=key) for n in numbers]
    return [w for w in words if w not in old] + numbers


def _overlap(box: Box, other: Box) -> float:
    """Return how far two boxes overlap horizontally, in pixels (negative: a gap)."""
    return min(box[2], other[2]) - max(box[0], other[0])
