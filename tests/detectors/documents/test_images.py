"""Image extraction with real Tesseract: orientation, tilt, size, noise, limits."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

import pytest
from PIL import Image

from detectors.documents import Document, Limits, TesseractEngine, extract
from detectors.documents.images import (
    Affine,
    estimate_angle,
    estimate_skew,
    quarter_turn,
    tilt,
)
from detectors.documents.model import Box, union
from tests.detectors.documents import render
from tests.detectors.documents.conftest import needs_font, needs_tesseract

Extract = Callable[[str, bytes], Document]


def number_line(document: Document, number: str) -> tuple[int, int, int]:
    """Return (line index, start, end) of `number` in the document's lines."""
    for index, line in enumerate(document.lines):
        start = line.text.find(number)
        if start >= 0:
            return index, start, start + len(number)
    raise AssertionError(f"number not found in {len(document.lines)} lines")


def number_box(document: Document, number: str) -> Box:
    index, start, end = number_line(document, number)
    return union(document.lines[index].boxes_for_span(start, end))


def assert_covers(
    found: Box, drawn: Box | tuple[int, int, int, int], slack: float = 8.0
) -> None:
    """The mapped box covers the drawn text, give or take `slack` pixels."""
    assert found[0] <= drawn[0] + slack
    assert found[1] <= drawn[1] + slack
    assert found[2] >= drawn[2] - slack
    assert found[3] >= drawn[3] - slack
    assert found[0] >= drawn[0] - 3 * slack
    assert found[2] <= drawn[2] + 3 * slack


def turned_box(
    box: tuple[int, int, int, int], size: tuple[int, int], clockwise: int
) -> Box:
    image = Image.new("1", size)
    _, mapping = quarter_turn(image, clockwise)
    return mapping.box(box)


@pytest.mark.parametrize(
    ("degrees", "size"),
    [(90, (40, 30)), (180, (40, 30)), (270, (40, 30)), (0, (40, 30))],
)
def test_quarter_turn_map_matches_pixels(degrees: int, size: tuple[int, int]) -> None:
    image = Image.new("L", size, 0)
    image.putpixel((5, 7), 255)
    turned, mapping = quarter_turn(image, degrees)

    x, y = mapping.point(5.5, 7.5)

    assert turned.getpixel((int(x), int(y))) == 255


def test_tilt_map_matches_pixels() -> None:
    image = Image.new("L", (200, 100), 0)
    image.paste(255, (150, 20, 154, 24))
    turned, mapping = tilt(image, 7.0)

    x, y = mapping.point(152, 22)

    assert turned.getpixel((round(x), round(y))) > 128


def test_affine_inverse_round_trip() -> None:
    forward = Affine(a=2.0, e=3.0).then(Affine(0, -1, 50, 1, 0, 0))

    assert forward.then(forward.inverse()).box((1, 2, 3, 4)) == pytest.approx(
        (1, 2, 3, 4)
    )


@needs_font
@pytest.mark.parametrize("degrees", [-8.0, -5.0, 3.0, 5.0])
def test_skew_estimate(degrees: float) -> None:
    image = render.id_card_front().image.rotate(degrees, expand=True, fillcolor="white")

    assert estimate_skew(image) == pytest.approx(-degrees, abs=0.5)


@needs_font
def test_skew_of_level_card_is_zero() -> None:
    assert estimate_skew(render.id_card_front().image) == 0.0


@needs_font
@pytest.mark.parametrize(
    ("degrees", "level"),
    # Text turned by 90 degrees either way is levelled by one quarter turn;
    # which way up it then reads is for OCR to find.
    [
        (-45.0, 45.0),
        (-8.0, 8.0),
        (0.0, 0.0),
        (30.0, -30.0),
        (70.0, -70.0),
        (90.0, 90.0),
    ],
)
def test_angle_estimate(degrees: float, level: float) -> None:
    card = render.id_card_front().image
    image = card.rotate(degrees, expand=True, fillcolor="white")

    assert estimate_angle(image) == pytest.approx(level, abs=1.0)


def test_angle_of_blank_image_is_zero() -> None:
    assert estimate_angle(Image.new("RGB", (400, 300), "white")) == 0.0


@needs_tesseract
@needs_font
def test_id_front_upright(extracted: Extract) -> None:
    card = render.id_card_front()
    document = extracted("front.png", render.encode(card.image))

    assert document.status == "inspected"
    assert document.engine == "tesseract"
    assert document.kind == "resident_id_front"
    assert document.size == card.image.size
    assert_covers(number_box(document, render.ID_NUMBER), card.number_box)


@needs_tesseract
@needs_font
def test_id_front_span_maps_to_number_words_only(extracted: Extract) -> None:
    document = extracted("front.png", render.encode(render.id_card_front().image))
    index, start, end = number_line(document, render.ID_NUMBER)
    line = document.lines[index]

    words = line.words_for_span(start, end)

    assert "".join(w.text for w in words) == render.ID_NUMBER
    assert all("号码" not in w.text for w in words)


@needs_tesseract
@needs_font
@pytest.mark.parametrize("clockwise", [90, 180, 270])
def test_rotated_upload(extracted: Extract, clockwise: int) -> None:
    card = render.id_card_front()
    # Turning the card anticlockwise means a clockwise turn makes it upright.
    shown, _ = quarter_turn(card.image, 360 - clockwise)
    document = extracted(f"front-{clockwise}.png", render.encode(shown))

    assert document.kind == "resident_id_front"
    assert document.rotation == clockwise
    drawn = turned_box(card.number_box, card.image.size, 360 - clockwise)
    assert_covers(number_box(document, render.ID_NUMBER), drawn)


@needs_tesseract
@needs_font
def test_exif_orientation_applied(extracted: Extract) -> None:
    card = render.id_card_front()
    document = extracted("front-exif6.jpg", render.with_orientation(card.image, 6))

    assert document.size == card.image.size
    assert document.rotation == 0
    assert_covers(number_box(document, render.ID_NUMBER), card.number_box)


@needs_tesseract
@needs_font
def test_tilted_upload(extracted: Extract) -> None:
    card = render.id_card_front()
    tilted, mapping = tilt(card.image, 5.0)
    document = extracted("front-tilt5.png", render.encode(tilted))

    drawn = mapping.box(card.number_box)
    found = number_box(document, render.ID_NUMBER)
    # A tilted number's boxes are the bounding boxes of tilted words.
    assert found[0] <= drawn[0] + 10
    assert found[2] >= drawn[2] - 10
    assert found[1] <= drawn[1] + 10
    assert found[3] >= drawn[3] - 10


@needs_tesseract
@needs_font
def test_card_turned_70_degrees(extracted: Extract) -> None:
    # Fanned-out cards lie at angles between the quarter turns.
    card = render.turned(70)
    document = extracted("bank-turned70.png", render.encode(card.image))

    assert document.kind == "bank_card"
    assert document.rotation == 90
    assert_covers(number_box(document, render.CARD_NUMBER), card.number_box, 12.0)


@needs_tesseract
@needs_font
def test_card_in_perspective(extracted: Extract) -> None:
    card = render.in_perspective()
    document = extracted("bank-perspective.png", render.encode(card.image))

    assert document.kind == "bank_card"
    assert_covers(number_box(document, render.CARD_NUMBER), card.number_box, 12.0)


@needs_tesseract
@needs_font
def test_small_upload_is_scaled_up(extracted: Extract) -> None:
    card = render.id_card_front()
    small = card.image.resize((300, 189), Image.Resampling.LANCZOS)
    document = extracted("front-small.png", render.encode(small))

    scale = 300 / card.image.width
    drawn = tuple(int(v * scale) for v in card.number_box)
    assert_covers(number_box(document, render.ID_NUMBER), drawn, slack=4.0)


@needs_tesseract
@needs_font
def test_noisy_blurred_jpeg(extracted: Extract) -> None:
    card = render.id_card_front()
    data = render.encode(render.degrade(card.image), "JPEG", quality=40)
    document = extracted("front-noisy.jpg", data)

    assert document.kind == "resident_id_front"
    assert_covers(number_box(document, render.ID_NUMBER), card.number_box)


@needs_tesseract
@needs_font
@pytest.mark.parametrize("embossed", [False, True])
def test_bank_card(extracted: Extract, embossed: bool) -> None:
    card = render.bank_card(embossed=embossed)
    document = extracted(f"bank-{embossed}.png", render.encode(card.image))

    assert document.kind == "bank_card"
    assert_covers(number_box(document, render.CARD_NUMBER), card.number_box)


@needs_tesseract
@needs_font
def test_id_back_and_passport_kinds(extracted: Extract) -> None:
    back = extracted("back.png", render.encode(render.id_card_back().image))
    passport = extracted("passport.png", render.encode(render.passport_page().image))

    assert back.kind == "resident_id_back"
    assert passport.kind == "passport"
    assert render.PASSPORT_NUMBER in passport.text


@needs_tesseract
@needs_font
def test_webp_upload(tesseract: TesseractEngine) -> None:
    data = render.encode(render.bank_card().image, "WEBP", quality=90)

    document = extract(data, "card.webp", engine=tesseract)

    assert document.status == "inspected"
    assert render.CARD_NUMBER in document.text


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge size but contains one tiny compressed row."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * (width + 1))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", data)
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("size", "reason"),
    [((20_000, 20_000), "too many pixels"), ((7_000, 7_000), "too many pixels")],
)
def test_decompression_bomb(size: tuple[int, int], reason: str) -> None:
    document = extract(png_header_only(*size), "bomb.png")

    assert document.status == "not_inspected"
    assert document.reason.startswith(reason)
    assert document.lines == []


def test_file_too_large() -> None:
    document = extract(
        b"\xff\xd8\xff" + b"\0" * 2000, "x.jpg", limits=Limits(max_bytes=1000)
    )

    assert document.status == "not_inspected"
    assert document.reason == "file too large: 2003 bytes, the limit is 1000 bytes"


@needs_font
def test_truncated_jpeg() -> None:
    data = render.encode(render.id_card_front().image, "JPEG", quality=90)

    document = extract(data[: len(data) // 2], "cut.jpg")

    assert document.status == "not_inspected"
    assert document.reason == "unreadable image: the file is truncated"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"GIF89a" + b"\0" * 100, "x.gif"),
        (b"hello, not an image", "x.txt"),
        (b"", "empty.png"),
    ],
)
def test_unsupported_or_corrupt(data: bytes, name: str) -> None:
    document = extract(data, name)

    assert document.status == "not_inspected"
    assert document.reason.startswith("unreadable image")


@needs_font
def test_time_limit() -> None:
    data = render.encode(render.id_card_front().image)

    document = extract(data, "front.png", limits=Limits(max_seconds=0.0))

    assert document.status == "not_inspected"
    assert document.reason.startswith("timed out")
