"""Rebuild text lines from word boxes, the way a detector should read them.

OCR returns words with boxes and line keys. This module orders them into
lines and builds each line's text so that the detectors see what a person
reads:

- no spaces between two Chinese characters (Tesseract puts one between
  most of them), one space between other words;
- inside a token shaped like a resident ID (17 digits and a digit or X) or
  a card number (12 to 19 digits), OCR look-alikes folded to digits (O to
  0, l to 1, S to 5 ...);
- digit groups that OCR split with a stray space joined when the joined
  number is ID- or card-shaped.

Every character of a line keeps the word it came from, so a detected span
maps back to exactly the boxes it covers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from stdnum import luhn

from detectors.documents.model import Box, TextLine, Word, is_wide, union
from detectors.documents.ocr import OcrWord
from detectors.recognizers.cn_resident_id import is_resident_id

# Characters that OCR reads instead of digits, and the digit each stands for.
CONFUSABLES = {
    "O": "0",
    "o": "0",
    "D": "0",
    "Q": "0",
    "I": "1",
    "i": "1",
    "l": "1",
    "|": "1",
    "!": "1",
    "Z": "2",
    "z": "2",
    "S": "5",
    "s": "5",
    "G": "6",
    "b": "6",
    "B": "8",
    "g": "9",
    "q": "9",
}
_CHECK_LETTERS = "Xx×"
_TOKEN_CHARS = set("0123456789") | set(CONFUSABLES) | set(_CHECK_LETTERS)
# A stray space inside a number is narrower than this many character widths;
# a wider gap separates two numbers, such as a card number and a CVV.
_MAX_JOIN_GAP = 2.5


@dataclass
class _Char:
    text: str
    word: int
    offset: int


def build_lines(
    words: Sequence[OcrWord], page: int, merge_rows: bool = True
) -> list[TextLine]:
    """Group OCR words into `TextLine`s, top to bottom.

    Words sharing a line key form a line. With `merge_rows`, lines that sit
    side by side on one row (a label and its value that OCR put in two
    blocks) are merged, so a number keeps the label next to it.
    """
    groups: dict[tuple[int, ...], list[OcrWord]] = {}
    for word in words:
        groups.setdefault(word.line_key, []).append(word)
    rows = [sorted(group, key=lambda w: w.box[0]) for group in groups.values()]
    if merge_rows:
        rows = _merge_rows(rows)
        rows.sort(key=lambda row: (_centre_y(row), row[0].box[0]))
    return [line for row in rows if (line := make_line(row, page)) is not None]


def _centre_y(row: list[OcrWord]) -> float:
    box = union([w.box for w in row])
    return (box[1] + box[3]) / 2


def _merge_rows(rows: list[list[OcrWord]]) -> list[list[OcrWord]]:
    """Merge lines that overlap vertically by half their height and nearly touch.

    Lines that also overlap horizontally are merged too: an engine that
    splits one row into two overlapping pieces still read one line.
    """
    merged: list[list[OcrWord]] = []
    for row in sorted(rows, key=lambda r: r[0].box[0]):
        box = union([w.box for w in row])
        for target in merged:
            other = union([w.box for w in target])
            height = min(box[3] - box[1], other[3] - other[1])
            overlap = min(box[3], other[3]) - max(box[1], other[1])
            gap = max(box[0] - other[2], other[0] - box[2])
            if height > 0 and overlap >= height / 2 and gap <= 6 * height:
                target.extend(row)
                target.sort(key=lambda w: w.box[0])
                break
        else:
            merged.append(list(row))
    return merged


def make_line(words: Sequence[OcrWord | Word], page: int) -> TextLine | None:
    """Build one line from words already in reading order."""
    kept = [
        Word(w.text, w.box, w.confidence, w.char_boxes) for w in words if w.text.strip()
    ]
    if not kept:
        return None
    chars: list[_Char] = []
    for index, word in enumerate(kept):
        if chars and not (is_wide(chars[-1].text) and is_wide(word.text[0])):
            chars.append(_Char(" ", -1, -1))
        chars.extend(_Char(c, index, offset) for offset, c in enumerate(word.text))
    chars = _fold_numbers(chars, kept)
    return TextLine(
        text="".join(c.text for c in chars),
        page=page,
        box=union([w.box for w in kept]),
        words=kept,
        char_words=tuple(c.word for c in chars),
        char_offsets=tuple(c.offset for c in chars),
    )


@dataclass
class _Token:
    start: int  # index of the first character in the line's character list
    end: int
    folded: str


def _tokens(chars: list[_Char]) -> list[_Token]:
    """Find runs of digits and look-alikes, each bounded by other characters."""
    tokens: list[_Token] = []
    index = 0
    while index < len(chars):
        if chars[index].text not in _TOKEN_CHARS:
            index += 1
            continue
        start = index
        while index < len(chars) and chars[index].text in _TOKEN_CHARS:
            index += 1
        # A token glued to other Latin letters is a word, not a number.
        before = chars[start - 1].text if start > 0 else " "
        after = chars[index].text if index < len(chars) else " "
        if before.isascii() and before.isalpha() or after.isascii() and after.isalpha():
            continue
        raw = "".join(c.text for c in chars[start:index])
        tokens.append(_Token(start, index, _fold(raw)))
    return tokens


def _fold(raw: str) -> str:
    body = raw[:-1] if raw[-1] in _CHECK_LETTERS else raw
    folded = "".join(CONFUSABLES.get(c, c) for c in body)
    if body is not raw:
        folded += "X"
    return folded


def _digit_like(raw: str, folded: str) -> bool:
    """Tell whether a token reads as a number with a few look-alikes in it."""
    body = folded.rstrip("X")
    if not body.isdigit():
        return False
    real = sum(c.isdigit() for c in raw)
    return real >= 0.6 * len(raw) or (len(raw) >= 12 and real >= 0.5 * len(raw))


def _shaped(number: str) -> bool:
    """Tell whether digits are shaped like a resident ID or a card number."""
    if len(number) == 18 and number[:17].isdigit() and number[17] in "0123456789X":
        return True
    return number.isdigit() and 12 <= len(number) <= 19


def _valid(number: str) -> bool:
    if is_resident_id(number):
        return True
    return number.isdigit() and luhn.is_valid(number)


def _fold_numbers(chars: list[_Char], words: list[Word]) -> list[_Char]:
    """Fold look-alikes and join split digit groups inside ID- and card-shaped runs."""
    tokens = [
        t
        for t in _tokens(chars)
        if _digit_like("".join(c.text for c in chars[t.start : t.end]), t.folded)
    ]
    groups = _space_separated_groups(tokens, chars, words)
    drop: set[int] = set()
    for group in groups:
        for first, last in _shaped_ranges(group):
            _apply(chars, group[first : last + 1], drop)
    return [c for i, c in enumerate(chars) if i not in drop]


def _space_separated_groups(
    tokens: list[_Token], chars: list[_Char], words: list[Word]
) -> list[list[_Token]]:
    """Split tokens into runs where neighbours are one narrow space apart."""
    groups: list[list[_Token]] = []
    for token in tokens:
        if groups and _joinable(groups[-1][-1], token, chars, words):
            groups[-1].append(token)
        else:
            groups.append([token])
    return groups


def _joinable(
    left: _Token, right: _Token, chars: list[_Char], words: list[Word]
) -> bool:
    if right.start != left.end + 1 or chars[left.end].text != " ":
        return False
    left_box = _token_box(left, chars, words)
    right_box = _token_box(right, chars, words)
    char_width = (left_box[2] - left_box[0]) / max(1, left.end - left.start)
    return right_box[0] - left_box[2] <= _MAX_JOIN_GAP * max(char_width, 1e-6)


def _token_box(token: _Token, chars: list[_Char], words: list[Word]) -> Box:
    covered: dict[int, list[int]] = {}
    for c in chars[token.start : token.end]:
        covered.setdefault(c.word, []).append(c.offset)
    return union([words[w].sub_box(min(o), max(o)) for w, o in covered.items()])


def _shaped_ranges(group: list[_Token]) -> list[tuple[int, int]]:
    """Choose non-overlapping token ranges whose joined digits are ID/card-shaped.

    From left to right, take the longest range starting at each token whose
    digits pass the ID or Luhn checksum; failing that, the longest that is
    merely shaped. A range never joins an X-terminated token to a later one.
    """
    chosen: list[tuple[int, int]] = []
    first = 0
    while first < len(group):
        best: tuple[int, int] | None = None
        fallback: tuple[int, int] | None = None
        number = ""
        for last in range(first, len(group)):
            if number.endswith("X"):
                break
            number += group[last].folded
            if len(number) > 19:
                break
            if _shaped(number):
                if _valid(number):
                    best = (first, last)
                if fallback is None or last > fallback[1]:
                    fallback = (first, last)
        pick = best or fallback
        if pick is None:
            first += 1
            continue
        chosen.append(pick)
        first = pick[1] + 1
    return chosen


def _apply(chars: list[_Char], tokens: list[_Token], drop: set[int]) -> None:
    """Write folded digits over a token range and drop the spaces inside it."""
    for token in tokens:
        for position, digit in zip(
            range(token.start, token.end), token.folded, strict=True
        ):
            chars[position].text = digit
    for left, right in zip(tokens, tokens[1:], strict=False):
        drop.update(range(left.end, right.start))


def transform_lines(
    lines: Sequence[TextLine], mapping: Callable[[Box], Box]
) -> list[TextLine]:
    """Return the lines with every word and character box passed through `mapping`."""
    moved = []
    for line in lines:
        words = [
            Word(
                w.text,
                mapping(w.box),
                w.confidence,
                tuple(mapping(b) for b in w.char_boxes),
            )
            for w in line.words
        ]
        moved.append(
            TextLine(
                line.text,
                line.page,
                union([w.box for w in words]),
                words,
                line.char_words,
                line.char_offsets,
            )
        )
    return moved


def clipper(width: float, height: float) -> Callable[[Box], Box]:
    """Return a function that clips a box to [0, width] x [0, height]."""

    def clip(box: Box) -> Box:
        return (
            min(max(box[0], 0.0), width),
            min(max(box[1], 0.0), height),
            min(max(box[2], 0.0), width),
            min(max(box[3], 0.0), height),
        )

    return clip
