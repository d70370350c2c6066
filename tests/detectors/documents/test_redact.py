"""Redacted copies: filled image boxes, the portrait, and checked PDF redaction."""

from __future__ import annotations

import io
from collections.abc import Callable

import pymupdf
import pytest
from PIL import Image, ImageChops

from detectors.documents import (
    Document,
    RedactionFailed,
    TesseractEngine,
    UnreadableDocument,
    portrait_box,
    redact_image,
    redact_pdf,
)
from detectors.documents.model import Box, union
from tests.detectors.documents import render
from tests.detectors.documents.conftest import needs_font, needs_tesseract
from tests.detectors.documents.test_pdf import form_pdf, scanned_pdf, text_pdf

Extract = Callable[[str, bytes], Document]


def dark_share(image: Image.Image, box: Box) -> float:
    """Return the share of pixels in `box` that are black."""
    region = image.convert("L").crop(tuple(int(v) for v in box))
    pixels = list(region.get_flattened_data())
    return sum(1 for v in pixels if v < 20) / max(1, len(pixels))


def spans_of(document: Document, value: str) -> list[tuple[int, Box]]:
    spans = []
    for line in document.lines:
        start = line.text.find(value)
        if start >= 0:
            for box in line.boxes_for_span(start, start + len(value)):
                spans.append((line.page, box))
    return spans


@needs_tesseract
@needs_font
def test_image_boxes_filled_next_word_untouched(extracted: Extract) -> None:
    # One line: label, card number, then the next word.
    image = render.text_image([f"卡号 {render.CARD_NUMBER} 有效期 08/29"], size=40)
    data = render.encode(image)
    document = extracted("card-line.png", data)
    (line,) = [line for line in document.lines if render.CARD_NUMBER in line.text]
    start = line.text.index(render.CARD_NUMBER)
    boxes = line.boxes_for_span(start, start + len(render.CARD_NUMBER))
    next_word = line.words_for_span(
        start + len(render.CARD_NUMBER) + 1, len(line.text)
    )[0]

    redacted = Image.open(io.BytesIO(redact_image(data, boxes)))

    assert redacted.size == image.size
    assert redacted.format == "PNG"
    assert dark_share(redacted, union(boxes)) > 0.98
    untouched = ImageChops.difference(
        image.convert("RGB").crop(tuple(int(v) for v in next_word.box)),
        redacted.convert("RGB").crop(tuple(int(v) for v in next_word.box)),
    )
    assert untouched.getbbox() is None


@needs_tesseract
@needs_font
def test_image_redaction_keeps_displayed_orientation(extracted: Extract) -> None:
    card = render.id_card_front()
    data = render.with_orientation(card.image, 6)
    document = extracted("front-exif6.jpg", data)
    boxes = [box for _, box in spans_of(document, render.ID_NUMBER)]

    redacted = Image.open(io.BytesIO(redact_image(data, boxes)))

    assert redacted.format == "JPEG"
    assert redacted.size == card.image.size
    assert 0x0112 not in redacted.getexif()
    assert dark_share(redacted, card.number_box) > 0.9


@needs_tesseract
@needs_font
@pytest.mark.parametrize("clockwise", [0, 90])
def test_portrait_region(extracted: Extract, clockwise: int) -> None:
    from detectors.documents.images import quarter_turn

    card = render.id_card_front()
    shown, mapping = quarter_turn(card.image, 360 - clockwise)
    data = render.encode(shown)
    document = extracted(f"front-{clockwise}.png" if clockwise else "front.png", data)

    box = portrait_box(document)
    redacted = Image.open(
        io.BytesIO(redact_image(data, [], photo_region=True, document=document))
    )

    assert box is not None
    assert dark_share(redacted, mapping.box(render.PORTRAIT)) > 0.97
    # The field text left of the portrait stays readable.
    address = mapping.box((160, 278, 400, 310))
    assert dark_share(redacted, address) < 0.3


def test_portrait_needs_an_id_front() -> None:
    assert portrait_box(Document(kind="bank_card", size=(10, 10))) is None


def test_redact_image_rejects_garbage() -> None:
    with pytest.raises(UnreadableDocument, match="unreadable image"):
        redact_image(b"not an image", [])


def pdf_text(data: bytes) -> str:
    with pymupdf.open(stream=data, filetype="pdf") as document:
        return "".join(document[i].get_text() for i in range(document.page_count))


@pytest.mark.parametrize("rotation", [0, 90])
def test_redact_text_pdf(rotation: int) -> None:
    from detectors.documents import extract

    data = text_pdf(rotation)
    document = extract(data, "customer.pdf")
    spans = spans_of(document, render.ID_NUMBER) + spans_of(
        document, render.PHONE_NUMBER
    )

    redacted = redact_pdf(data, spans, [render.ID_NUMBER, render.PHONE_NUMBER])

    text = pdf_text(redacted)
    assert render.ID_NUMBER not in text
    assert render.PHONE_NUMBER not in text
    # Only the values go: the words around them stay.
    assert "身份证号码" in text
    assert "备注" in text


def test_redact_pdf_raises_when_a_value_survives() -> None:
    data = text_pdf()

    with pytest.raises(RedactionFailed) as failure:
        redact_pdf(data, [(1, (300.0, 700.0, 400.0, 720.0))], [render.ID_NUMBER])

    assert failure.value.page == 1
    assert failure.value.location == "text"
    assert render.ID_NUMBER not in str(failure.value)


def test_redact_form_field() -> None:
    from detectors.documents import extract

    data = form_pdf()
    document = extract(data, "form.pdf")

    redacted = redact_pdf(
        data, spans_of(document, render.CARD_NUMBER), [render.CARD_NUMBER]
    )

    with pymupdf.open(stream=redacted, filetype="pdf") as result:
        values = [w.field_value for w in result[0].widgets() or []]
    assert render.CARD_NUMBER not in values
    assert render.CARD_NUMBER not in pdf_text(redacted)


def test_redact_pdf_is_a_full_rewrite() -> None:
    data = text_pdf()

    redacted = redact_pdf(data, [], [])

    # An incremental save appends to the original bytes; a rewrite does not.
    assert not redacted.startswith(data[:-64])


@needs_tesseract
@needs_font
@pytest.mark.parametrize("rotation", [0, 90])
def test_redact_scanned_pdf(tesseract: TesseractEngine, rotation: int) -> None:
    from detectors.documents import extract

    data = scanned_pdf(rotation)
    document = extract(data, "scan.pdf", engine=tesseract)
    spans = spans_of(document, render.ID_NUMBER)

    redacted = redact_pdf(data, spans, [render.ID_NUMBER])

    # redact_pdf itself read the images back by OCR; read them once more.
    again = extract(redacted, "again.pdf", engine=tesseract)
    assert render.ID_NUMBER not in again.text.replace(" ", "")
    assert again.kind == "resident_id_front"


@needs_tesseract
@needs_font
def test_redact_scanned_pdf_wrong_box_fails() -> None:
    data = scanned_pdf()

    with pytest.raises(RedactionFailed) as failure:
        redact_pdf(data, [(1, (60.0, 80.0, 100.0, 100.0))], [render.ID_NUMBER])

    assert failure.value.location == "image"


@needs_tesseract
@needs_font
def test_redact_photo_on_rotated_page(tesseract: TesseractEngine) -> None:
    from detectors.documents import extract
    from tests.detectors.documents.test_pdf import contract_with_photo

    data = contract_with_photo(rotation=90)
    document = extract(data, "contract.pdf", engine=tesseract)

    redacted = redact_pdf(
        data, spans_of(document, render.ID_NUMBER), [render.ID_NUMBER]
    )

    with pytest.raises(RedactionFailed) as failure:
        redact_pdf(data, [], [render.ID_NUMBER])
    assert failure.value.location == "image"
    assert "房屋租赁合同" in pdf_text(redacted)
