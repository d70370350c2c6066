"""Line building from word boxes: spacing, look-alike folding, joining, spans."""

from __future__ import annotations

import pytest

from detectors.documents.lines import build_lines, make_line
from detectors.documents.model import Word
from detectors.documents.ocr import OcrWord

ID_NUMBER = "110105198803151232"
CARD_NUMBER = "6228480012345671"


def words_in_row(
    texts: list[str], gap: float = 12.0, height: float = 20.0
) -> list[OcrWord]:
    """Lay words out left to right on one line, 10 pixels per narrow character."""
    words = []
    x = 0.0
    for text in texts:
        width = sum(20 if ord(c) > 0x2E80 else 10 for c in text)
        words.append(OcrWord(text, (x, 0.0, x + width, height), 90.0, (1, 1, 1, 1)))
        x += width + gap
    return words


def line_of(texts: list[str], gap: float = 12.0) -> str:
    line = make_line(words_in_row(texts, gap), page=1)
    assert line is not None
    return line.text


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["公", "民", "身", "份", "号", "码"], "公民身份号码"),
        (["Valid", "thru", "08/29"], "Valid thru 08/29"),
        (["姓", "名", "LIN", "XIAOYU"], "姓名 LIN XIAOYU"),
        (["出", "生", "1988", "年"], "出生 1988 年"),
    ],
)
def test_spacing(texts: list[str], expected: str) -> None:
    assert line_of(texts) == expected


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        # Look-alikes inside an ID-shaped token fold to digits; X stays last.
        (["11O1O5198803151232"], ID_NUMBER),
        (["1101051988O315123x"], "110105198803151230"[:17] + "X"),
        (["6228480O1234S67l"], CARD_NUMBER),
        (["b228480012345671"], CARD_NUMBER),
        # A stray space inside a number is removed when the result is shaped.
        (["62284800123", "45671"], CARD_NUMBER),
        (["11010519880315", "1232"], ID_NUMBER),
        (["身", "份", "号", "11010519880315", "1232"], "身份号 " + ID_NUMBER),
        # Grouped card numbers are joined too, which detectors read the same.
        (["6228", "4800", "1234", "5671"], CARD_NUMBER),
    ],
)
def test_folding_and_joining(texts: list[str], expected: str) -> None:
    assert line_of(texts) == expected


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        # Words, not numbers: nothing to fold.
        (["SOBOLIZ"], "SOBOLIZ"),
        (["Hello", "Bob"], "Hello Bob"),
        # Too short to be an ID or a card: left as read.
        (["2O24", "O5"], "2O24 O5"),
        # A date and a phone number stay apart.
        (["1988", "03", "15"], "1988 03 15"),
    ],
)
def test_no_folding_outside_numbers(texts: list[str], expected: str) -> None:
    assert line_of(texts) == expected


def test_card_and_cvv_stay_apart() -> None:
    # Joining both would give 19 digits that fail Luhn; the card alone passes.
    assert line_of([CARD_NUMBER, "123"]) == CARD_NUMBER + " 123"


def test_wide_gap_is_not_joined() -> None:
    text = line_of(["62284800123", "45671"], gap=200.0)

    assert text == "62284800123 45671"


def test_span_maps_to_exact_words() -> None:
    line = make_line(words_in_row(["卡号", "62284800123", "45671", "有效期"]), page=1)
    assert line is not None
    start = line.text.index(CARD_NUMBER)

    words = line.words_for_span(start, start + len(CARD_NUMBER))

    assert [w.text for w in words] == ["62284800123", "45671"]
    assert line.words[3] not in words


def test_span_ending_at_word_end_excludes_next_word() -> None:
    line = make_line(words_in_row(["电话", "13912345678", "备注"]), page=1)
    assert line is not None
    start = line.text.index("13912345678")

    boxes = line.boxes_for_span(start, start + 11)

    assert boxes == [line.words[1].box]


def test_partial_word_box_is_trimmed() -> None:
    # OCR read the label and the number as one word.
    word = OcrWord("号码" + ID_NUMBER, (0.0, 0.0, 220.0, 20.0), 90.0, (1,))
    line = make_line([word], page=1)
    assert line is not None
    start = line.text.index(ID_NUMBER)

    (box,) = line.boxes_for_span(start, start + len(ID_NUMBER))

    # Two wide characters take 40 of the 220 pixels; half a narrow
    # character (5 pixels) of margin is added on the trimmed side.
    assert box == (35.0, 0.0, 220.0, 20.0)


def test_partial_word_uses_character_boxes() -> None:
    chars = tuple((float(i * 10), 0.0, float(i * 10 + 10), 20.0) for i in range(6))
    word = Word("ab1234", (0.0, 0.0, 60.0, 20.0), 90.0, chars)

    assert word.sub_box(2, 5) == (20.0, 0.0, 60.0, 20.0)


def test_span_outside_line_raises() -> None:
    line = make_line(words_in_row(["abc"]), page=1)
    assert line is not None

    with pytest.raises(ValueError, match="outside the line"):
        line.words_for_span(0, 10)


def test_rows_merge_label_and_value() -> None:
    label = OcrWord("公民身份号码", (0.0, 100.0, 120.0, 130.0), 90.0, (1, 1, 1, 1))
    value = OcrWord(ID_NUMBER, (200.0, 98.0, 500.0, 132.0), 90.0, (1, 2, 1, 1))
    above = OcrWord("住址", (0.0, 20.0, 40.0, 50.0), 90.0, (1, 3, 1, 1))

    lines = build_lines([value, label, above], page=2)

    assert [line.text for line in lines] == ["住址", "公民身份号码 " + ID_NUMBER]
    assert lines[1].page == 2
    assert lines[1].box == (0.0, 98.0, 500.0, 132.0)
