"""The second pass over number rows: which rows, which reading wins, real reads."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from PIL import Image

from detectors.documents import TesseractEngine, extract
from detectors.documents.model import union
from detectors.documents.numbers import lift_faint_ink, merge_numbers, rows_to_read
from detectors.documents.ocr import OcrWord
from tests.detectors.documents import render
from tests.detectors.documents.conftest import needs_font, needs_tesseract

ID_NUMBER = "110105198803151232"
# The same number with one digit misread: it fails the checksum.
MISREAD_ID = "110105198805151232"


def row_of(
    texts: Sequence[str | tuple[str, float]],
    top: float = 100.0,
    key: tuple[int, ...] = (1, 1, 1, 1),
    height: float = 30.0,
    x: float = 0.0,
) -> list[OcrWord]:
    """Lay words out left to right on one line; a text may carry its confidence."""
    words = []
    for item in texts:
        text, confidence = (item, 90.0) if isinstance(item, str) else item
        width = sum(30 if ord(c) > 0x2E80 else 16 for c in text)
        words.append(OcrWord(text, (x, top, x + width, top + height), confidence, key))
        x += width + 20
    return words


def test_rows_misread_number_is_read_again() -> None:
    words = row_of(["公民身份号码", (MISREAD_ID, 60.0)])

    (row,) = rows_to_read(words)

    assert row.key == (1, 1, 1, 1)
    assert row.top < 100 < 130 < row.bottom


@pytest.mark.parametrize(
    "texts",
    [
        # A date in groups is no identifier.
        ["出生", "1988", "年", "3", "月", "15", "日"],
        # A checksum-valid number read with confidence needs no second look.
        ["公民身份号码", (ID_NUMBER, 95.0)],
        # Words without digits, read with confidence.
        ["姓名", "林晓雨"],
    ],
)
def test_rows_left_alone(texts: list[str | tuple[str, float]]) -> None:
    assert rows_to_read(row_of(texts)) == []


def test_rows_garbled_letters_read_again() -> None:
    # An advert's phone number that the first pass turned into letters.
    words = row_of([("BE", 30.0), ("nih", 20.0), ("gse", 25.0), ("tic", 10.0)])

    assert len(rows_to_read(words)) == 1


def test_rows_label_above_number_skipped() -> None:
    label = row_of(["护照号", "/", "Passport", "No."], top=100.0, key=(1, 1, 1, 1))
    number = row_of([("£40055731", 80.0)], top=128.0, key=(1, 1, 1, 2))

    (row,) = rows_to_read(label + number)

    assert row.key == (1, 1, 1, 2)


def test_rows_tilted_pieces_join() -> None:
    # A card number in perspective: each group a little higher than the last.
    pieces = [
        row_of([("6228", 70.0)], top=112.0, key=(1, 1, 1, 1), x=0.0),
        row_of([("4800", 70.0)], top=106.0, key=(1, 1, 2, 1), x=90.0),
        row_of([("1234", 70.0)], top=100.0, key=(1, 1, 3, 1), x=180.0),
        row_of([("5674", 70.0)], top=94.0, key=(1, 1, 4, 1), x=270.0),
    ]

    rows = rows_to_read([word for piece in pieces for word in piece])

    assert len(rows) == 1


def test_rows_label_and_number_side_by_side() -> None:
    # The ID number row contains its label too; a label alone would be dropped.
    words = row_of(["公民身份号码"]) + row_of([("5134301995", 65.0)], x=300.0)

    assert len(rows_to_read(words)) == 1


@pytest.mark.parametrize(
    "texts",
    [
        # A date with 年 and 月 between its groups, read unsurely.
        ["出生", ("1988", 70.0), "年", ("3", 70.0), "月", ("15", 70.0), "日"],
        # A label alone.
        ["公民身份号码"],
        # A file name: letters between the digit groups.
        [("139799de307aa4d48e135.jpeg", 60.0)],
        # A specimen number failing its checksum, read with confidence.
        ["公民身份号码", (MISREAD_ID, 95.0)],
        # A passport number, which has no checksum, read with confidence.
        ["护照号", ("E12345678", 97.0)],
    ],
)
def test_unsure_rows_left_alone(texts: list[str | tuple[str, float]]) -> None:
    assert rows_to_read(row_of(texts), unsure_numbers_only=True) == []


@pytest.mark.parametrize(
    "texts",
    [
        ["公民身份号码", (MISREAD_ID, 60.0)],
        # A watermark's letters read on after the digits.
        ["公民身份号码", (MISREAD_ID + "t0CK", 51.0)],
        # A card number in groups, one of them read unsurely.
        ["6228", ("4800", 70.0), "1234", "5671"],
    ],
)
def test_unsure_rows_read_again(texts: list[str | tuple[str, float]]) -> None:
    words = row_of(texts, x=40.0)

    (row,) = rows_to_read(words, unsure_numbers_only=True)

    # The row's words start at 40; a narrow strip is cut from there on.
    assert row.left == 40.0
    assert row.right == max(w.box[2] for w in words)


def test_lift_faint_ink() -> None:
    # Background, a watermark's outline over it, a digit's stroke under the
    # mark, and a digit's stroke in plain ink.
    values = [241] * 6 + [213, 177, 20]
    strip = Image.new("L", (len(values), 1))
    strip.putdata(values)

    lifted = list(lift_faint_ink(strip).tobytes())

    assert lifted[:7] == [255] * 7
    assert lifted[7] < 235
    assert lifted[8] < 30


def core_of(words: list[OcrWord]) -> tuple[float, float]:
    box = union([w.box for w in words])
    return box[1] - 5, box[3] + 5


def texts(words: list[OcrWord]) -> list[str]:
    return [w.text for w in sorted(words, key=lambda w: w.box[0])]


def test_merge_valid_number_replaces_misread() -> None:
    words = row_of(["公民身份号码", (MISREAD_ID, 60.0)])
    number = OcrWord(ID_NUMBER, words[1].box, 70.0, (9,))

    merged = merge_numbers(words, [number], core_of(words))

    assert texts(merged) == ["公民身份号码", ID_NUMBER]


def test_merge_new_words_join_old_line() -> None:
    words = row_of(["公民身份号码", (MISREAD_ID, 60.0)], key=(1, 6, 1, 2))
    number = OcrWord(ID_NUMBER, words[1].box, 70.0, (9,))

    merged = merge_numbers(words, [number], core_of(words))

    assert {w.line_key for w in merged} == {(1, 6, 1, 2)}


def test_merge_valid_number_kept() -> None:
    words = row_of(["公民身份号码", (ID_NUMBER, 60.0)])
    number = OcrWord(MISREAD_ID, words[1].box, 80.0, (9,))

    merged = merge_numbers(words, [number], core_of(words))

    assert texts(merged) == ["公民身份号码", ID_NUMBER]


def test_merge_stray_symbol_loses() -> None:
    # Neither passes its checksum; the reading with a stray symbol loses.
    words = row_of([("AESHESH", 11.0), ("430512198908131367", 43.0)])
    number = OcrWord("4£305121989081351567", words[1].box, 43.0, (9,))

    merged = merge_numbers(words, [number], core_of(words))

    assert texts(merged) == ["AESHESH", "430512198908131367"]


def test_merge_digits_over_chinese_dropped() -> None:
    # The English model reads 年 and 月 in a date as digits.
    words = row_of(["出生", "1988", "年", "3", "月", "15", "日"])
    spread = union([w.box for w in words[1:]])
    number = OcrWord("19884435154", spread, 80.0, (9,))

    merged = merge_numbers(words, [number], core_of(words))

    assert merged == words


def test_merge_short_number_ignored() -> None:
    # Too short for any identifier this project detects.
    words = row_of(["Tel", ("12B45", 40.0)])
    number = OcrWord("12345", words[1].box, 90.0, (9,))

    assert merge_numbers(words, [number], core_of(words)) == words


def test_merge_passport_letter_restored() -> None:
    words = row_of([("iP", 72.0), ("BR", 58.0), ("£40055731", 86.0)])
    number = OcrWord("E40055731", words[2].box, 89.0, (9,))

    merged = merge_numbers(words, [number], core_of(words))

    assert texts(merged) == ["iP", "BR", "E40055731"]


@needs_tesseract
@needs_font
def test_watermarked_small_card(tesseract: TesseractEngine) -> None:
    # A stock photo of a sample card: small, a mark across the number.
    card = render.watermarked(render.id_card_front())
    width = 500
    small = card.image.resize(
        (width, round(card.image.height * width / card.image.width)),
        Image.Resampling.LANCZOS,
    )

    document = extract(
        render.encode(small, "JPEG", quality=90), "wm.jpg", engine=tesseract
    )

    assert render.ID_NUMBER in document.text
