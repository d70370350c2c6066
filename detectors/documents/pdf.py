"""PDF text: the text layer, OCR of scanned pages and images, form field values.

Boxes are PDF points in unrotated page space, the space in which
`page.get_text("words")` reports words and `page.add_redact_annot` expects
rectangles (checked with PyMuPDF 1.26 to 1.28). OCR works on pages rendered
as displayed, that is rotated, so its pixel boxes go through the page's
derotation matrix.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pymupdf
from PIL import Image

from detectors.documents.errors import NotInspected
from detectors.documents.images import recognize_image
from detectors.documents.limits import Deadline, Limits
from detectors.documents.lines import build_lines, make_line, transform_lines
from detectors.documents.model import Box, TextLine, Word
from detectors.documents.ocr import OcrEngine

logger = logging.getLogger(__name__)

RENDER_DPI = 200
# Rendering below this resolution makes text too small to read, so a page
# that needs less to stay under the pixel limit is not read at all.
MIN_RENDER_DPI = 72
# An image on a page with a text layer is read when its long side is at
# least MIN_IMAGE_WIDTH points and its short side MIN_IMAGE_HEIGHT (about
# 5 by 3 cm, a pasted ID card photo at a small size), whichever way it turns.
MIN_IMAGE_WIDTH = 144.0
MIN_IMAGE_HEIGHT = 80.0
# An image with this many text-layer words on it is already searchable
# (a scan with an OCR layer), so it is not read again.
COVERED_WORDS = 5

_OPEN_ERRORS = (RuntimeError, ValueError)


def open_pdf(data: bytes) -> pymupdf.Document:
    """Open PDF bytes, raising `NotInspected` when they are not a readable PDF."""
    try:
        document = pymupdf.open(stream=data, filetype="pdf")
    except _OPEN_ERRORS as error:
        raise NotInspected(
            "unreadable PDF: the file is corrupt or not a PDF"
        ) from error
    if document.needs_pass:
        document.close()
        raise NotInspected("encrypted PDF: it cannot be read without its password")
    return document


def pages(document: pymupdf.Document) -> Iterator[pymupdf.Page]:
    """Yield the pages of a document in order."""
    for index in range(document.page_count):
        yield document[index]


def extract_pdf(
    data: bytes,
    limits: Limits,
    deadline: Deadline,
    engine: OcrEngine | None,
) -> tuple[list[TextLine], int, bool]:
    """Return the lines of every page, the page count and whether OCR ran.

    `engine` None means no OCR engine is available: a page that needs OCR
    then raises `NotInspected`.
    """
    limits.check_size(len(data))
    document = open_pdf(data)
    with document:
        page_count = document.page_count
        limits.check_pages(page_count)
        lines: list[TextLine] = []
        used_ocr = False
        for page in pages(document):
            deadline.check()
            try:
                page_lines, page_ocr = _page_lines(page, limits, deadline, engine)
            except (RuntimeError, ValueError) as error:
                # MuPDF raises these for a damaged page; NotInspected and
                # OcrUnavailable are not among them.
                raise NotInspected(
                    f"unreadable PDF: page {page.number + 1} could not be read"
                ) from error
            lines.extend(page_lines)
            used_ocr = used_ocr or page_ocr
    return lines, page_count, used_ocr


def _page_lines(
    page: pymupdf.Page, limits: Limits, deadline: Deadline, engine: OcrEngine | None
) -> tuple[list[TextLine], bool]:
    number = page.number + 1
    widgets = list(_text_widgets(page))
    words = [w for w in page.get_text("words") if not _inside_any(w[:4], widgets)]
    lines = _text_layer_lines(words, number)
    lines.extend(_widget_lines(widgets, number))

    regions = _ocr_regions(page, words)
    if regions and engine is None:
        raise NotInspected(
            f"OCR engine unavailable: page {number} is a scan or contains an image "
            "that needs OCR"
        )
    for clip in regions:
        assert engine is not None
        lines.extend(_ocr_lines(page, clip, limits, deadline, engine))
    return lines, bool(regions)


def _text_layer_lines(words: list[Any], page: int) -> list[TextLine]:
    groups: dict[tuple[int, int], list[Any]] = {}
    for word in words:
        groups.setdefault((word[5], word[6]), []).append(word)
    lines = []
    for group in groups.values():
        group.sort(key=lambda w: w[7])
        line = make_line(
            [Word(str(w[4]), (w[0], w[1], w[2], w[3]), 100.0) for w in group], page
        )
        if line is not None:
            lines.append(line)
    return lines


def _text_widgets(page: pymupdf.Page) -> Iterator[Any]:
    for widget in page.widgets() or []:
        if widget.field_type_string not in ("Text", "ComboBox", "ListBox"):
            continue
        value = widget.field_value
        if isinstance(value, str) and value.strip():
            yield widget


def _inside_any(box: tuple[float, float, float, float], widgets: list[Any]) -> bool:
    """Tell whether a text-layer word is a widget's appearance text."""
    rect = pymupdf.Rect(box)
    return any(
        pymupdf.Rect(w.rect).contains(rect.tl + (rect.br - rect.tl) / 2)
        for w in widgets
    )


def _widget_lines(widgets: list[Any], page: int) -> list[TextLine]:
    """Return one line per filled text field: its label (or name), then its value."""
    lines = []
    for widget in widgets:
        rect = pymupdf.Rect(widget.rect)
        box: Box = (rect.x0, rect.y0, rect.x1, rect.y1)
        label = (widget.field_label or widget.field_name or "").strip()
        parts = [label] if label else []
        parts.extend(str(widget.field_value).split())
        line = make_line([Word(part, box, 100.0) for part in parts], page)
        if line is not None:
            lines.append(line)
    return lines


def image_areas(page: pymupdf.Page) -> list[tuple[pymupdf.Rect, pymupdf.Rect]]:
    """Return (unrotated box, rendering clip) for each image shown on a page.

    Image boxes, like words, are in unrotated space; a clip for
    `get_pixmap` is in the rotated space that `page.rect` describes.
    """
    unrotated_page = page.rect * page.derotation_matrix
    areas = []
    for info in page.get_image_info():
        shown = pymupdf.Rect(info["bbox"]) & unrotated_page
        if not shown.is_empty:
            areas.append((shown, shown * page.rotation_matrix))
    return areas


def _ocr_regions(page: pymupdf.Page, words: list[Any]) -> list[pymupdf.Rect | None]:
    """Return what to OCR on a page: None for the whole page, or image rectangles.

    A page without a text layer but with images is a scan: it is read
    whole. On a page with text, each large image that no text covers (an
    ID card photo pasted into a contract) is read on its own.
    """
    areas = image_areas(page)
    if not areas:
        return []
    if not words:
        return [None]
    regions: list[pymupdf.Rect | None] = []
    for shown, clip in areas:
        if max(clip.width, clip.height) < MIN_IMAGE_WIDTH:
            continue
        if min(clip.width, clip.height) < MIN_IMAGE_HEIGHT:
            continue
        inside = sum(1 for w in words if shown.contains(pymupdf.Rect(w[:4])))
        if inside < COVERED_WORDS:
            regions.append(clip)
    return regions


def _ocr_lines(
    page: pymupdf.Page,
    clip: pymupdf.Rect | None,
    limits: Limits,
    deadline: Deadline,
    engine: OcrEngine,
) -> list[TextLine]:
    """Render a page (or part of it) as displayed, OCR it and map boxes to points."""
    area = clip if clip is not None else page.rect
    dpi = _render_dpi(area, limits)
    pixmap = page.get_pixmap(dpi=dpi, clip=clip, alpha=False)
    image = Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)
    result = recognize_image(image, engine, deadline)
    # Pixel (px, py) of the rendering is point area.tl + (px, py) * 72 / dpi
    # of the rotated page; the derotation matrix takes it to unrotated space.
    scale = 72.0 / dpi
    to_page = (
        pymupdf.Matrix(scale, 0, 0, scale, area.x0, area.y0) * page.derotation_matrix
    )
    lines = build_lines(result.words, page.number + 1)
    return transform_lines(
        lines, lambda box: _to_points(result.to_source.box(box), to_page)
    )


def _render_dpi(area: pymupdf.Rect, limits: Limits) -> int:
    pixels = (area.width / 72 * RENDER_DPI) * (area.height / 72 * RENDER_DPI)
    if pixels <= limits.max_pixels:
        return RENDER_DPI
    dpi = int(RENDER_DPI * (limits.max_pixels / pixels) ** 0.5)
    if dpi < MIN_RENDER_DPI:
        raise NotInspected(
            f"too many pixels: a page of {area.width:.0f}x{area.height:.0f} points "
            f"cannot be rendered at {MIN_RENDER_DPI} dpi within {limits.max_pixels} pixels"
        )
    return dpi


def _to_points(box: Box, matrix: pymupdf.Matrix) -> Box:
    rect = pymupdf.Rect(box) * matrix
    return (rect.x0, rect.y0, rect.x1, rect.y1)
