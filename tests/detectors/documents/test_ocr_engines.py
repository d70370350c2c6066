"""Engine selection, and RapidOCR when it is installed (requirements-ocr.txt)."""

from __future__ import annotations

import pytest

from detectors.documents import OcrUnavailable, extract, select_engine
from detectors.documents.images import quarter_turn
from detectors.documents.model import union
from detectors.documents.ocr import ENGINE_VARIABLE, rapidocr_installed
from tests.detectors.documents import render
from tests.detectors.documents.conftest import needs_font

needs_rapidocr = pytest.mark.skipif(
    not rapidocr_installed(),
    reason="rapidocr-onnxruntime is not installed: pip install -r requirements-ocr.txt",
)


def test_select_by_name() -> None:
    assert select_engine("tesseract").name == "tesseract"


def test_select_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENGINE_VARIABLE, "tesseract")

    assert select_engine().name == "tesseract"


def test_select_unknown_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENGINE_VARIABLE, "paddle")

    with pytest.raises(OcrUnavailable, match="unknown OCR engine 'paddle'"):
        select_engine()


def test_auto_falls_back_to_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("detectors.documents.ocr.rapidocr_installed", lambda: False)

    assert select_engine("auto").name == "tesseract"


@needs_rapidocr
@needs_font
@pytest.mark.parametrize("clockwise", [0, 90, 180, 270])
def test_rapidocr_rotated_card(clockwise: int) -> None:
    card = render.id_card_front()
    shown, mapping = quarter_turn(card.image, 360 - clockwise)

    document = extract(
        render.encode(shown), "card.png", engine=select_engine("rapidocr")
    )

    assert document.engine == "rapidocr"
    assert document.kind == "resident_id_front"
    assert document.rotation == clockwise
    (line,) = [line for line in document.lines if render.ID_NUMBER in line.text]
    start = line.text.index(render.ID_NUMBER)
    found = union(line.boxes_for_span(start, start + len(render.ID_NUMBER)))
    drawn = mapping.box(card.number_box)
    # Upside-down lines come back with mirrored character boxes unless the
    # engine wrapper puts them right; a mirrored number would land on its label.
    assert found == pytest.approx(drawn, abs=12)
