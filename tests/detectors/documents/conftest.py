"""Fixtures for the document tests: rendered fakes, extracted once per session.

OCR tests need Debian's tesseract-ocr, tesseract-ocr-chi-sim,
tesseract-ocr-eng and tesseract-ocr-osd, and fonts-wqy-zenhei to render the
fake cards; without them those tests are skipped with that message.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from detectors.documents import Document, TesseractEngine, extract
from detectors.documents.ocr import TESSERACT_PACKAGES, tesseract_installed
from tests.detectors.documents import render

_MISSING_TESSERACT = f"tesseract is not installed: apt-get install {TESSERACT_PACKAGES}"
_MISSING_FONT = (
    f"no CJK font to render test images: apt-get install {render.FONT_PACKAGE}"
)


def _languages_installed() -> bool:
    import pytesseract

    try:
        installed = set(pytesseract.get_languages(config=""))
    except pytesseract.TesseractError:
        return False
    return {"chi_sim", "eng", "osd"} <= installed


needs_tesseract = pytest.mark.skipif(
    not tesseract_installed() or not _languages_installed(), reason=_MISSING_TESSERACT
)
needs_font = pytest.mark.skipif(render.find_font() is None, reason=_MISSING_FONT)


@pytest.fixture(scope="session")
def tesseract() -> TesseractEngine:
    return TesseractEngine()


@pytest.fixture(scope="session")
def extracted(tesseract: TesseractEngine) -> Callable[[str, bytes], Document]:
    """Return a function that extracts bytes once per name and session."""
    cache: dict[str, Document] = {}

    def get(name: str, data: bytes) -> Document:
        if name not in cache:
            cache[name] = extract(data, name, engine=tesseract)
        return cache[name]

    return get
