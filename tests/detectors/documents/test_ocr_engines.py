"""Engine selection, and RapidOCR when it is installed (requirements-ocr.txt)."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from detectors.documents import OcrUnavailable, extract, select_engine
from detectors.documents.images import quarter_turn
from detectors.documents.model import Box, union
from detectors.documents.ocr import (
    ENGINE_VARIABLE,
    DetectionInput,
    OcrWord,
    rapidocr_installed,
    tesseract_input,
)
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


@needs_rapidocr
@needs_font
@pytest.mark.parametrize("degrees", [20, 70])
def test_rapidocr_card_at_an_angle(degrees: int) -> None:
    # Lines read at a slant are levelled before lines are rebuilt, so the
    # number's groups stay on one line and other lines stay off it.
    card = render.turned(degrees)

    document = extract(
        render.encode(card.image), "card.png", engine=select_engine("rapidocr")
    )

    assert document.kind == "bank_card"
    (line,) = [line for line in document.lines if render.CARD_NUMBER in line.text]
    assert line.text == render.CARD_NUMBER


@needs_rapidocr
@needs_font
def test_rapidocr_card_in_perspective() -> None:
    card = render.in_perspective()

    document = extract(
        render.encode(card.image), "card.png", engine=select_engine("rapidocr")
    )

    assert document.kind == "bank_card"
    assert render.CARD_NUMBER in document.text


@needs_rapidocr
@pytest.mark.parametrize(
    ("shape", "detected"),
    [
        # A card photo: the short side is scaled up to 736, as RapidOCR does.
        ((638, 1011), (736, 1152)),
        # A large screenshot is scaled down to 1280 pixels across.
        ((1101, 2000), (704, 1280)),
        # A wide image: scaling up stops where the long side reaches 1280.
        ((400, 1000), (512, 1280)),
        ((1000, 1000), (992, 992)),
    ],
)
def test_rapidocr_detection_input(
    shape: tuple[int, int], detected: tuple[int, int]
) -> None:
    import numpy as np

    sizing = DetectionInput([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])

    prepared = sizing(np.zeros((*shape, 3), dtype=np.uint8))

    assert prepared.shape == (1, 3, *detected)


@needs_rapidocr
def test_rapidocr_cut_lines_not_enlarged() -> None:
    import numpy as np

    sizing = DetectionInput([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
    sizing.enlarge = False

    prepared = sizing(np.zeros((250, 1450, 3), dtype=np.uint8))

    assert prepared.shape == (1, 3, 224, 1280)


@needs_rapidocr
@needs_font
def test_rapidocr_small_card_in_large_photo() -> None:
    # Detection is given the 4000x3000 photo at 1280 pixels across, so the
    # number's digits are 7 pixels tall there. Lines are still cut for
    # recognition from the photo at 2000 pixels across.
    card = render.id_card_front()
    photo = Image.new("RGB", (4000, 3000), (90, 100, 95))
    width = 500
    photo.paste(
        card.image.resize(
            (width, round(card.image.height * width / card.image.width)),
            Image.Resampling.LANCZOS,
        ),
        (1500, 1200),
    )

    document = extract(
        render.encode(photo, "JPEG", quality=90),
        "photo.jpg",
        engine=select_engine("rapidocr"),
    )

    assert render.ID_NUMBER in document.text.replace(" ", "")


@needs_rapidocr
@needs_font
@pytest.mark.parametrize("degrees", [0, 20])
def test_rapidocr_watermarked_card(degrees: int) -> None:
    # The first pass misreads a digit under the mark. The number row is
    # read again with the mark's letters lifted off. On a card lying at a
    # slant the row is cut from the levelled frame.
    card = render.watermarked(render.id_card_front())
    if degrees:
        card = render.turned(degrees, card)

    document = extract(
        render.encode(card.image), "card.png", engine=select_engine("rapidocr")
    )

    (line,) = [line for line in document.lines if render.ID_NUMBER in line.text]
    start = line.text.index(render.ID_NUMBER)
    found = union(line.boxes_for_span(start, start + len(render.ID_NUMBER)))
    assert found == pytest.approx(card.number_box, abs=12)


@needs_rapidocr
@needs_font
def test_rapidocr_threads_share_engine() -> None:
    # Worker threads share one engine. Its per-call state (turned lines,
    # detection size) once mixed up between an upside-down card and a
    # second pass, mirroring boxes and losing the watermarked number.
    engine = select_engine("rapidocr")
    upside_down, _ = quarter_turn(render.id_card_front().image, 180)
    uploads = [
        render.encode(upside_down),
        render.encode(render.watermarked(render.id_card_front()).image),
    ]

    def read(data: bytes) -> list[tuple[str, list[Box]]]:
        document = extract(data, "card.png", engine=engine)
        return [(line.text, [w.box for w in line.words]) for line in document.lines]

    alone = [read(data) for data in uploads]
    with ThreadPoolExecutor(max_workers=3) as pool:
        together = list(pool.map(read, uploads * 3))

    assert together == alone * 3


class SlantedEngine:
    """An engine that finds text at any angle and reports two slanted pieces.

    It imitates RapidOCR reading a card held at 15 degrees, where the first
    group and the rest of the number came back as two detections.
    """

    name = "slanted"
    handles_rotation = True

    def __init__(self, pieces: list[tuple[str, float, float]]) -> None:
        self.pieces = pieces

    def recognize(self, image: Image.Image, timeout: float = 0) -> list[OcrWord]:
        slope = math.tan(math.radians(-15))
        words = []
        for number, (text, x, y) in enumerate(self.pieces):
            boxes = []
            for index in range(len(text)):
                left = x + 24 * index
                top = y + slope * 24 * index
                boxes.append((left, top, left + 20, top + 30))
            words.append(OcrWord(text, union(boxes), 95.0, (number,), tuple(boxes)))
        return words


def test_slanted_pieces_join_into_one_number() -> None:
    # Without levelling, the pieces' boxes sit at different heights and the
    # second piece's tall box swallows the line below it.
    engine = SlantedEngine(
        [
            ("6212", 100.0, 300.0),
            (
                "868888888888",
                100.0 + 24 * 4 + 6,
                300.0 + math.tan(math.radians(-15)) * (24 * 4 + 6),
            ),
            ("VALID", 180.0, 360.0),
        ]
    )

    document = extract(
        render.encode(Image.new("RGB", (1000, 700), "white")), "c.png", engine=engine
    )

    assert [line.text for line in document.lines] == ["6212868888888888", "VALID"]


def test_tesseract_input_is_bmp() -> None:
    image = Image.new("RGB", (20, 10), "white")

    prepared = tesseract_input(image)

    assert prepared.format == "BMP"
    assert prepared.mode == "RGB"
    assert image.format is None
