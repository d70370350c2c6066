"""Redacted copies: filled boxes on images, applied redactions on PDFs.

A redacted PDF is checked before it is returned: it is opened again and its
text, form fields, annotations, metadata and images (by OCR) are read back.
If any value is still readable, `RedactionFailed` is raised and no copy is
returned.
"""

from __future__ import annotations

import io
import logging
import re
import statistics
from collections.abc import Sequence

import pymupdf
from PIL import Image, ImageDraw

from detectors.documents.errors import (
    NotInspected,
    OcrUnavailable,
    RedactionFailed,
    UnreadableDocument,
)
from detectors.documents.images import Affine, load_image, quarter_map, recognize_image
from detectors.documents.kinds import ID_NUMBER_LABELS, NAME_LABELS, line_has_label
from detectors.documents.limits import DEFAULT_LIMITS, Deadline, Limits
from detectors.documents.lines import build_lines, transform_lines
from detectors.documents.model import Box, Document, TextLine, union
from detectors.documents.ocr import OcrEngine, select_engine
from detectors.documents.pdf import RENDER_DPI, image_areas, open_pdf, pages

logger = logging.getLogger(__name__)

FILL = (0, 0, 0)
# PyMuPDF's apply_redactions options (PDF_REDACT_IMAGE_PIXELS,
# PDF_REDACT_LINE_ART_REMOVE_IF_COVERED, PDF_REDACT_TEXT_REMOVE), by value
# because the module does not declare them for type checkers: blank the
# image pixels under a box, remove line art that a box covers, remove text.
_BLANK_IMAGE_PIXELS = 2
_REMOVE_COVERED_LINE_ART = 1
_REMOVE_TEXT = 0


def redact_image(
    data: bytes,
    boxes: Sequence[Box],
    photo_region: bool = False,
    document: Document | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> bytes:
    """Return a copy of an image with each box filled black.

    Boxes are pixels of the image as displayed, i.e. after its EXIF
    orientation, which is how `extract` reports them. The copy has that
    displayed pixel grid (same size, same orientation), no EXIF or other
    metadata, and the input's format when it is JPEG; anything else comes
    back as PNG. Each box is grown by 10% of its height (at least 2 pixels)
    so that anti-aliased edges of the characters are covered too.

    With `photo_region` and a `document` of kind "resident_id_front", the
    portrait is filled too; see `portrait_box` for how it is located.
    Raises `UnreadableDocument` when `data` is not an image this package
    reads.
    """
    try:
        image = load_image(data, limits)
    except NotInspected as error:
        raise UnreadableDocument(error.reason) from error
    source_format = _format(data)
    image = image.convert("RGB")
    draw = ImageDraw.Draw(image)
    fills = [_grow(box, image.size) for box in boxes]
    if photo_region and document is not None:
        portrait = portrait_box(document)
        if portrait is not None:
            fills.append(portrait)
    for box in fills:
        draw.rectangle(box, fill=FILL)

    out = io.BytesIO()
    if source_format in ("JPEG", "MPO"):
        image.save(out, format="JPEG", quality=92)
    else:
        image.save(out, format="PNG")
    return out.getvalue()


def _format(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as probe:
        return probe.format or ""


def _grow(box: Box, size: tuple[int, int]) -> Box:
    x0, y0, x1, y1 = box
    pad = max(2.0, 0.1 * (y1 - y0))
    return (
        max(0.0, x0 - pad),
        max(0.0, y0 - pad),
        min(size[0], x1 + pad),
        min(size[1], y1 + pad),
    )


def portrait_box(document: Document) -> Box | None:
    """Return the box of the portrait on a resident ID card front, or None.

    The front of a second-generation card prints its fields (name, sex and
    ethnicity, birth, address) in a left column and the portrait on the
    right, between the name line and the ID number line. The box is found
    from the label column's left edge and the right end of the number:

    - horizontally, from the right end of the field text (or 60% of the
      label-to-number-end width, whichever is further right) to 125% of
      that width, or the image edge;
    - vertically, from half a line above the name line to just above the
      number line (without a name line: 75% of the width above it).

    Read off two card photos by eye, the portrait spans 67% to 106% of that
    width (80% to 118% on a generated card), so the box covers it with a
    margin; a card printed differently may need other fractions.
    Works in upright coordinates, then maps back through the document's
    quarter turn. Returns None when the number line is not found.
    """
    if document.kind != "resident_id_front" or document.size is None:
        return None
    width, height = document.size
    upright, to_upright = _upright_lines(document)
    number = _number_line(upright)
    if number is None:
        return None
    name = next((line for line in upright if line_has_label(line, NAME_LABELS)), None)
    line_height = statistics.median(line.box[3] - line.box[1] for line in upright)
    fields = [
        line
        for line in upright
        if (name is None or line.box[1] >= name.box[1])
        and line.box[1] < number[0].box[1]
    ]
    label_x0 = min([number[0].box[0]] + [line.box[0] for line in fields])
    span = number[1][2] - label_x0
    if span <= 0:
        return None
    text_right = max(
        (
            word.box[2]
            for line in fields
            for word in line.words
            if word.box[0] < label_x0 + 0.62 * span
        ),
        default=label_x0,
    )
    left = max(label_x0 + 0.6 * span, text_right + 0.25 * line_height)
    right = label_x0 + 1.25 * span
    top = (name.box[1] - 0.5 * line_height) if name else number[0].box[1] - 0.75 * span
    bottom = number[0].box[1] - 0.2 * line_height
    upright_size = (
        (height, width) if document.rotation in (90, 270) else (width, height)
    )
    box = (
        max(0.0, left),
        max(0.0, top),
        min(float(upright_size[0]), right),
        min(float(upright_size[1]), bottom),
    )
    if box[2] <= box[0] or box[3] <= box[1]:
        return None
    return to_upright.inverse().box(box)


def _upright_lines(document: Document) -> tuple[list[TextLine], Affine]:
    """Return the lines with boxes turned upright, top to bottom, and the map."""
    assert document.size is not None
    mapping = quarter_map(document.size, document.rotation)
    lines = transform_lines(document.lines, mapping.box)
    lines.sort(key=lambda line: (line.box[1] + line.box[3]) / 2)
    return lines, mapping


_ID_TOKEN = re.compile(r"[0-9]{17}[0-9X]")


def _number_line(lines: list[TextLine]) -> tuple[TextLine, Box] | None:
    """Return the ID number line and the box of the number (or of its label)."""
    for line in lines:
        match = _ID_TOKEN.search(line.text)
        if match:
            return line, union(line.boxes_for_span(match.start(), match.end()))
    for line in lines:
        if line_has_label(line, ID_NUMBER_LABELS):
            # The number is unreadable: the label is about 40% of the distance
            # from the label's left edge to the number's right end.
            x0, y0, x1, y1 = line.box
            return line, (x0, y0, x0 + (x1 - x0) * 2.4, y1)
    return None


def redact_pdf(
    data: bytes,
    spans: Sequence[tuple[int, Box]],
    values: Sequence[str],
    limits: Limits = DEFAULT_LIMITS,
    check_images: bool = True,
) -> bytes:
    """Return a copy of a PDF with each (page, box) redacted, after checking it.

    Pages are 1-based and boxes are points in unrotated page space, as
    `extract` reports them. Text, vector graphics and image pixels under
    each box are removed, form fields over a box or holding a value are
    deleted, and annotations and metadata holding a value are cleared. The
    file is rewritten whole (garbage collected, compressed, cleaned), never
    saved incrementally, so the removed content is really gone.

    The copy is then read back: text, form fields, annotations, metadata
    and, with `check_images`, OCR of every image with `select_engine()`
    (no engine, or a timeout, also fails the check). Raises `RedactionFailed`
    if any of `values` is still readable (compared without spaces and
    separators, case-insensitively), and `UnreadableDocument` for input
    that is not a readable PDF.
    """
    try:
        document = open_pdf(data)
    except NotInspected as error:
        raise UnreadableDocument(error.reason) from error
    canonical_values = [_canonical(v) for v in values if _canonical(v)]
    with document:
        by_page: dict[int, list[pymupdf.Rect]] = {}
        for page_number, box in spans:
            if not 1 <= page_number <= document.page_count:
                raise ValueError(
                    f"page {page_number} is outside the document's 1 to "
                    f"{document.page_count} pages"
                )
            by_page.setdefault(page_number, []).append(pymupdf.Rect(box))
        for page in pages(document):
            rects = by_page.get(page.number + 1, [])
            _remove_fields(page, rects, canonical_values)
            for rect in rects:
                page.add_redact_annot(rect, fill=FILL)
            if rects:
                page.apply_redactions(
                    images=_BLANK_IMAGE_PIXELS,
                    graphics=_REMOVE_COVERED_LINE_ART,
                    text=_REMOVE_TEXT,
                )
        _clear_metadata(document, canonical_values)
        redacted = document.tobytes(garbage=4, deflate=True, clean=True)
    verify_pdf(redacted, canonical_values, limits, check_images)
    return redacted


def _canonical(value: str) -> str:
    return re.sub(r"[\s\-_.·/]", "", value).upper()


def _contains_value(text: object, canonical_values: Sequence[str]) -> bool:
    if not isinstance(text, str) or not text:
        return False
    canonical = _canonical(text)
    return any(value in canonical for value in canonical_values)


def _remove_fields(
    page: pymupdf.Page, rects: list[pymupdf.Rect], canonical_values: Sequence[str]
) -> None:
    """Delete widgets over a redaction box or holding a value; clear annotations."""
    for widget in list(page.widgets() or []):
        over = any(pymupdf.Rect(widget.rect).intersects(r) for r in rects)
        if over or _contains_value(widget.field_value, canonical_values):
            page.delete_widget(widget)
    for annot in list(page.annots() or []):
        info = annot.info
        if any(
            _contains_value(info.get(k), canonical_values)
            for k in ("content", "title", "subject")
        ):
            page.delete_annot(annot)


def _clear_metadata(
    document: pymupdf.Document, canonical_values: Sequence[str]
) -> None:
    metadata = document.metadata or {}
    if any(_contains_value(v, canonical_values) for v in metadata.values()):
        document.set_metadata({})
        document.del_xml_metadata()


def verify_pdf(
    data: bytes,
    canonical_values: Sequence[str],
    limits: Limits = DEFAULT_LIMITS,
    check_images: bool = True,
) -> None:
    """Raise `RedactionFailed` when any canonical value is readable in the PDF."""
    if not canonical_values:
        return
    document = open_pdf(data)
    with document:
        if any(
            _contains_value(v, canonical_values)
            for v in (document.metadata or {}).values()
        ):
            raise RedactionFailed(None, "metadata")
        deadline = Deadline(limits.max_seconds)
        for page in pages(document):
            number = page.number + 1
            if _contains_value(page.get_text("text"), canonical_values):
                raise RedactionFailed(number, "text")
            for widget in page.widgets() or []:
                if _contains_value(widget.field_value, canonical_values):
                    raise RedactionFailed(number, "widget")
            for annot in page.annots() or []:
                if _contains_value(annot.info.get("content"), canonical_values):
                    raise RedactionFailed(number, "annotation")
            if check_images and page.get_images():
                _verify_images(page, canonical_values, deadline)


def _verify_images(
    page: pymupdf.Page, canonical_values: Sequence[str], deadline: Deadline
) -> None:
    """Read every image on a page with the selected OCR engine and look for values."""
    try:
        engine = select_engine()
    except OcrUnavailable as error:
        raise RedactionFailed(
            page.number + 1, f"image (not checked: {error})"
        ) from error
    for _, clip in image_areas(page):
        pixmap = page.get_pixmap(dpi=RENDER_DPI, clip=clip, alpha=False)
        image = Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)
        text = _ocr_text(image, engine, deadline)
        if _contains_value(text, canonical_values):
            raise RedactionFailed(page.number + 1, "image")


def _ocr_text(image: Image.Image, engine: OcrEngine, deadline: Deadline) -> str:
    try:
        result = recognize_image(image, engine, deadline)
    except (NotInspected, OcrUnavailable) as error:
        raise RedactionFailed(None, f"image (not checked: {error})") from error
    return "\n".join(line.text for line in build_lines(result.words, 1))
