"""`python -m gateway scan` on images and PDFs: prediction lines and redacted copies."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from PIL import Image

from detectors.documents import Limits
from detectors.documents.images import tilt
from detectors.documents.ocr import ENGINE_VARIABLE
from detectors.engine import Detector
from gateway.scan import main_scan, scan_document
from tests.detectors.documents import render
from tests.detectors.documents.conftest import needs_font, needs_tesseract

CARD_TEXT_PHONE = "13900001111"


def dark_share(image: Image.Image, box: tuple[float, float, float, float]) -> float:
    """Return the share of pixels in `box` that are black."""
    region = image.convert("L").crop(tuple(int(v) for v in box))
    pixels = list(region.get_flattened_data())
    return sum(1 for v in pixels if v < 20) / max(1, len(pixels))


def run_scan(
    capsys: pytest.CaptureFixture[str], *args: Any, **options: Any
) -> tuple[int, list[dict[str, Any]], str, str]:
    """Run `main_scan` and return its status, parsed lines, raw output and stderr."""
    status = main_scan([str(a) for a in args], None, False, False, **options)
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines() if line]
    return status, lines, captured.out, captured.err


def small_pdf() -> bytes:
    document = pymupdf.open()
    page = document.new_page(width=595, height=842)
    page.insert_text((72, 100), "客户资料", fontname="china-s", fontsize=14)
    page.insert_text(
        (72, 140), f"身份证号码 {render.ID_NUMBER}", fontname="china-s", fontsize=12
    )
    page.insert_text((72, 170), f"手机 {CARD_TEXT_PHONE}", fontname="china-s")
    return document.tobytes()


@pytest.fixture
def id_card(tmp_path: Path) -> Path:
    path = tmp_path / "id-front.png"
    path.write_bytes(render.encode(render.id_card_front().image))
    return path


@needs_tesseract
@needs_font
def test_id_card_image_prediction_shape(
    id_card: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, lines, raw, _ = run_scan(capsys, id_card)
    assert status == 0
    (line,) = lines
    assert line["id"] == "id-front.png"
    assert line["channel"] == "document"
    assert line["document_kind"] == "resident_id_front"
    assert line["status"] == "inspected"
    assert "reason" not in line
    assert line["segments"]
    for segment in line["segments"]:
        assert set(segment) == {"id", "speaker", "text", "page", "box"}
        assert segment["page"] == 1
        assert len(segment["box"]) == 4
    ids = [f for f in line["findings"] if f["type"] == "CN_RESIDENT_ID"]
    assert len(ids) == 1
    assert ids[0]["behaviour"] == "document_exposure"
    assert ids[0]["severity"] == "medium"
    assert all("masked" in f for f in line["findings"])
    assert line["behaviours"] == ["document_exposure"]
    assert render.ID_NUMBER not in raw
    assert render.ID_NUMBER[:17] not in raw
    assert render.NAME not in raw


@needs_tesseract
@needs_font
def test_redact_dir_writes_filled_copy(
    id_card: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "redacted"
    status, lines, _, _ = run_scan(capsys, id_card, redact_dir=str(out_dir))
    assert status == 0
    written = Path(lines[0]["redacted"])
    assert written.parent == out_dir
    assert written.is_file()
    copy = Image.open(io.BytesIO(written.read_bytes()))
    assert copy.size == render.CARD_SIZE
    assert dark_share(copy, render.id_card_front().number_box) > 0.9
    assert dark_share(copy, render.PORTRAIT) > 0.9


@needs_tesseract
@needs_font
@pytest.mark.parametrize("engine", ["tesseract", "auto"])
def test_card_at_70_degrees_redacted(
    engine: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Fanned-out cards in a photo: the number runs at 70 degrees.
    monkeypatch.setenv(ENGINE_VARIABLE, engine)
    card = render.bank_card()
    turned, mapping = tilt(card.image, 70)
    path = tmp_path / "fanned.png"
    path.write_bytes(render.encode(turned))
    out_dir = tmp_path / "redacted"

    status, lines, raw, _ = run_scan(capsys, path, redact_dir=str(out_dir))

    assert status == 0
    assert any(f["type"] == "BANK_CARD" for f in lines[0]["findings"])
    assert render.CARD_NUMBER not in raw
    copy = Image.open(io.BytesIO(Path(lines[0]["redacted"]).read_bytes())).convert("L")
    # The centre of every digit, in four groups of four 30 pixels apart.
    x0, y0, x1, y1 = card.number_box
    width = (x1 - x0 - 3 * 30) / 16
    for index in range(16):
        x = x0 + (index // 4) * (4 * width + 30) + (index % 4 + 0.5) * width
        point = mapping.point(x, (y0 + y1) / 2)
        assert copy.getpixel(point) < 20, f"digit {index + 1} is not covered"


@needs_tesseract
@needs_font
def test_image_found_by_magic_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(render.encode(render.bank_card().image, "JPEG", quality=92))
    status, lines, raw, _ = run_scan(capsys, path)
    assert status == 0
    assert lines[0]["channel"] == "document"
    assert lines[0]["document_kind"] == "bank_card"
    assert any(f["type"] == "BANK_CARD" for f in lines[0]["findings"])
    assert render.CARD_NUMBER not in raw
    assert render.CARD_GROUPED not in raw


def test_pdf_prediction_and_redacted_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "form.pdf"
    path.write_bytes(small_pdf())
    out_dir = tmp_path / "redacted"
    status, lines, raw, err = run_scan(capsys, path, redact_dir=str(out_dir))
    assert status == 0, err
    (line,) = lines
    assert line["status"] == "inspected"
    assert [s["id"] for s in line["segments"]] == ["p1l1", "p1l2", "p1l3"]
    types = {f["type"] for f in line["findings"]}
    assert {"CN_RESIDENT_ID", "PHONE_NUMBER"} <= types
    assert render.ID_NUMBER not in raw
    assert CARD_TEXT_PHONE not in raw

    with pymupdf.open(stream=Path(line["redacted"]).read_bytes()) as redacted:
        text = redacted[0].get_text("text")
    assert render.ID_NUMBER not in text
    assert CARD_TEXT_PHONE not in text
    assert "客户资料" in text


def test_corrupt_image_is_not_inspected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    status, lines, _, err = run_scan(capsys, path)
    assert status == 0
    assert lines[0]["status"] == "not_inspected"
    assert lines[0]["reason"]
    assert lines[0]["findings"] == []
    assert "broken.png: not inspected:" in err


def test_not_inspected_fails_under_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n garbage")
    status = main_scan([str(path)], None, True, False)
    capsys.readouterr()
    assert status == 1


def test_file_over_limit_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(render.encode(Image.new("RGB", (200, 200), "white")))
    out, err = io.StringIO(), io.StringIO()
    inspected = scan_document(
        str(path), out, err, Detector(), limits=Limits(max_bytes=100)
    )
    assert inspected is False
    line = json.loads(out.getvalue())
    assert line["status"] == "not_inspected"
    assert line["reason"].startswith("file too large")
    assert "not inspected: file too large" in err.getvalue()


def test_redact_dir_that_is_a_file_exits_2(
    tmp_path: Path, id_card: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    status = main_scan([str(id_card)], None, False, False, redact_dir=str(blocker))
    assert status == 2
    assert "is a file" in capsys.readouterr().err
