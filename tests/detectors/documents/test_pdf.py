"""PDF extraction: text layer, scanned pages, rotated pages, form fields, limits."""

from __future__ import annotations

import pymupdf
import pytest

from detectors.documents import Limits, TesseractEngine, extract
from detectors.documents.model import TextLine, union
from tests.detectors.documents import render
from tests.detectors.documents.conftest import needs_font, needs_tesseract

PHONE = render.PHONE_NUMBER


def text_pdf(rotation: int = 0) -> bytes:
    document = pymupdf.open()
    page = document.new_page(width=595, height=842)
    page.insert_text((72, 100), "客户资料", fontname="china-s", fontsize=14)
    page.insert_text(
        (72, 140),
        f"身份证号码 {render.ID_NUMBER} 备注",
        fontname="china-s",
        fontsize=12,
    )
    page.insert_text((72, 170), f"手机 {PHONE}", fontname="china-s", fontsize=12)
    page.set_rotation(rotation)
    return document.tobytes()


def scanned_pdf(rotation: int = 0) -> bytes:
    document = pymupdf.open()
    page = document.new_page(width=595, height=842)
    image = render.encode(render.id_card_front().image)
    page.insert_image(pymupdf.Rect(60, 80, 510, 364), stream=image)
    page.set_rotation(rotation)
    return document.tobytes()


def form_pdf() -> bytes:
    document = pymupdf.open()
    page = document.new_page(width=595, height=842)
    page.insert_text((72, 100), "Card number:", fontsize=12)
    widget = pymupdf.Widget()
    widget.field_name = "card"
    widget.field_label = "银行卡号"
    widget.field_type = pymupdf.PDF_WIDGET_TYPE_TEXT
    widget.rect = pymupdf.Rect(160, 86, 400, 104)
    widget.field_value = render.CARD_NUMBER
    page.add_widget(widget)
    return document.tobytes()


def find(lines: list[TextLine], value: str) -> tuple[int, int]:
    for index, line in enumerate(lines):
        start = line.text.find(value)
        if start >= 0:
            return index, start
    raise AssertionError("value not found")


@pytest.mark.parametrize("rotation", [0, 90])
def test_text_layer(rotation: int) -> None:
    document = extract(text_pdf(rotation), "customer.pdf")

    assert document.status == "inspected"
    assert document.media == "pdf"
    assert document.engine == "pdf-text"
    assert document.pages == 1
    index, start = find(document.lines, render.ID_NUMBER)
    line = document.lines[index]
    words = line.words_for_span(start, start + len(render.ID_NUMBER))
    assert [w.text for w in words] == [render.ID_NUMBER]
    # Boxes are in unrotated page space, where the text was inserted.
    box = union([w.box for w in words])
    assert 72 < box[0] < 160
    assert 125 < box[1] < 142
    assert any(PHONE in line.text for line in document.lines)


@needs_tesseract
@needs_font
@pytest.mark.parametrize("rotation", [0, 90])
def test_scanned_page(tesseract: TesseractEngine, rotation: int) -> None:
    document = extract(scanned_pdf(rotation), "scan.pdf", engine=tesseract)

    assert document.engine == "tesseract"
    assert document.kind == "resident_id_front"
    index, start = find(document.lines, render.ID_NUMBER)
    box = union(
        document.lines[index].boxes_for_span(start, start + len(render.ID_NUMBER))
    )
    # The card image spans x 60-510 and y 80-364 in unrotated page space, at
    # half a point per card pixel, so the number sits near the drawn spot.
    card = render.id_card_front().number_box
    expected = (60 + card[0] / 2, 80 + card[1] / 2, 60 + card[2] / 2, 80 + card[3] / 2)
    assert box == pytest.approx(expected, abs=6)


def test_form_field_value_is_a_line() -> None:
    document = extract(form_pdf(), "form.pdf")

    texts = [line.text for line in document.lines]
    assert f"银行卡号 {render.CARD_NUMBER}" in texts
    # The field's appearance text is not read a second time.
    assert sum(render.CARD_NUMBER in t for t in texts) == 1


def test_too_many_pages() -> None:
    document = pymupdf.open()
    for _ in range(51):
        document.new_page()

    result = extract(document.tobytes(), "long.pdf")

    assert result.status == "not_inspected"
    assert result.reason == "too many pages: 51, the limit is 50"


def test_page_limit_is_configurable() -> None:
    result = extract(text_pdf(), "x.pdf", limits=Limits(max_pages=0))

    assert result.reason == "too many pages: 1, the limit is 0"


@pytest.mark.parametrize(
    "data", [b"%PDF-1.7\n garbage", text_pdf()[:200]], ids=["garbage", "truncated"]
)
def test_corrupt_pdf(data: bytes) -> None:
    result = extract(data, "bad.pdf")

    assert result.status == "not_inspected"
    assert result.reason.startswith("unreadable PDF")


def test_encrypted_pdf() -> None:
    document = pymupdf.open(stream=text_pdf(), filetype="pdf")
    data = document.tobytes(
        encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner"
    )

    result = extract(data, "locked.pdf")

    assert result.reason == "encrypted PDF: it cannot be read without its password"


def contract_with_photo(rotation: int = 0) -> bytes:
    """A text page with an ID card photo pasted under the text."""
    document = pymupdf.open()
    page = document.new_page(width=595, height=842)
    page.insert_text((72, 80), "房屋租赁合同", fontname="china-s", fontsize=16)
    page.insert_text((72, 110), "甲方 张三  乙方 李四", fontname="china-s", fontsize=12)
    image = render.encode(render.id_card_front().image)
    page.insert_image(pymupdf.Rect(60, 300, 510, 584), stream=image)
    page.set_rotation(rotation)
    return document.tobytes()


@needs_tesseract
@needs_font
@pytest.mark.parametrize("rotation", [0, 90])
def test_photo_on_text_page(tesseract: TesseractEngine, rotation: int) -> None:
    document = extract(contract_with_photo(rotation), "contract.pdf", engine=tesseract)

    assert document.kind == "contract"
    assert document.engine == "tesseract"
    index, start = find(document.lines, render.ID_NUMBER)
    box = union(
        document.lines[index].boxes_for_span(start, start + len(render.ID_NUMBER))
    )
    card = render.id_card_front().number_box
    expected = (
        60 + card[0] / 2,
        300 + card[1] / 2,
        60 + card[2] / 2,
        300 + card[3] / 2,
    )
    assert box == pytest.approx(expected, abs=6)
