"""Text, kind and redacted copies of uploaded documents: images and PDFs.

    document = extract(data, "card.jpg")
    interaction = to_interaction(document, "ticket-42:att-7", speaker="customer")
    report = default_detector().detect(interaction)
    kind = document_kind_finding(document, interaction)

`extract` never raises for bad input: a corrupt file, an unsupported type or
a file over `Limits` gives a `Document` with status "not_inspected" and a
reason. Boxes are image pixels of the upload as displayed (after EXIF
orientation) or PDF points in unrotated page space; `redact_image` and
`redact_pdf` take them as they are.

This package uses only the standard library, Pillow, pytesseract, PyMuPDF
and python-stdnum; RapidOCR is optional (requirements-ocr.txt).
"""

from __future__ import annotations

import logging
import time

from detectors.documents.errors import (
    DocumentError,
    NotInspected,
    OcrUnavailable,
    RedactionFailed,
    UnreadableDocument,
)
from detectors.documents.images import load_image, recognize_image
from detectors.documents.kinds import detect_kind, document_kind_finding
from detectors.documents.limits import DEFAULT_LIMITS, Deadline, Limits
from detectors.documents.lines import build_lines, clipper, transform_lines
from detectors.documents.model import DOCUMENT_KINDS, Box, Document, TextLine, Word
from detectors.documents.ocr import (
    OcrEngine,
    RapidOcrEngine,
    TesseractEngine,
    select_engine,
)
from detectors.documents.pdf import extract_pdf
from detectors.documents.redact import portrait_box, redact_image, redact_pdf
from detectors.types import Interaction, Segment

__all__ = [
    "DOCUMENT_KINDS",
    "Box",
    "Document",
    "DocumentError",
    "Limits",
    "OcrEngine",
    "OcrUnavailable",
    "RapidOcrEngine",
    "RedactionFailed",
    "TesseractEngine",
    "TextLine",
    "UnreadableDocument",
    "Word",
    "document_kind_finding",
    "extract",
    "portrait_box",
    "redact_image",
    "redact_pdf",
    "select_engine",
    "to_interaction",
]

logger = logging.getLogger(__name__)

_PDF_TYPES = ("application/pdf", "application/x-pdf")


def extract(
    data: bytes,
    filename: str,
    content_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    engine: OcrEngine | None = None,
) -> Document:
    """Extract the lines of an image or PDF upload and decide its kind.

    The file's own bytes decide between PDF and image; `filename` and
    `content_type` are only used when the bytes do not. `engine` defaults
    to `select_engine()`. Never raises for bad input: see `Document.status`.
    """
    started = time.monotonic()
    media = _media(data, filename, content_type)
    document = Document(media=media)
    try:
        deadline = Deadline(limits.max_seconds)
        if media == "pdf":
            _extract_pdf(document, data, limits, deadline, engine)
        else:
            _extract_image(document, data, limits, deadline, engine)
    except NotInspected as error:
        document = Document(media=media, status="not_inspected", reason=error.reason)
    except OcrUnavailable as error:
        document = Document(media=media, status="not_inspected", reason=str(error))
    if document.inspected:
        match = detect_kind(document.lines)
        document.kind = match.kind
        document.kind_line = match.line
        document.kind_keywords = match.keywords
    document.seconds = time.monotonic() - started
    logger.info(
        "document extracted: media=%s kind=%s status=%s lines=%d engine=%s seconds=%.2f",
        document.media,
        document.kind,
        document.status,
        len(document.lines),
        document.engine or "-",
        document.seconds,
    )
    if not document.inspected:
        logger.warning("document not inspected: %s", document.reason)
    return document


def _media(data: bytes, filename: str, content_type: str | None) -> str:
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data[:4] in (b"\x89PNG", b"RIFF") or data[:3] == b"\xff\xd8\xff":
        return "image"
    if (content_type or "").split(";")[0].strip().lower() in _PDF_TYPES:
        return "pdf"
    return "pdf" if filename.lower().endswith(".pdf") else "image"


def _extract_image(
    document: Document,
    data: bytes,
    limits: Limits,
    deadline: Deadline,
    engine: OcrEngine | None,
) -> None:
    image = load_image(data, limits)
    engine = engine or select_engine()
    result = recognize_image(image, engine, deadline)
    clip = clipper(*image.size)
    lines = build_lines(result.words, page=1)
    document.lines = transform_lines(lines, lambda box: clip(result.to_source.box(box)))
    document.engine = engine.name
    document.pages = 1
    document.size = image.size
    document.rotation = result.rotation


def _extract_pdf(
    document: Document,
    data: bytes,
    limits: Limits,
    deadline: Deadline,
    engine: OcrEngine | None,
) -> None:
    try:
        ocr = engine or select_engine()
    except OcrUnavailable:
        ocr = None
    lines, pages, used_ocr = extract_pdf(data, limits, deadline, ocr)
    document.lines = lines
    document.pages = pages
    document.engine = ocr.name if used_ocr and ocr is not None else "pdf-text"


def to_interaction(
    document: Document, interaction_id: str, speaker: str = "customer"
) -> Interaction:
    """Turn a document into an `Interaction` on channel "document", one segment a line.

    Segment ids are "p{page}l{n}" with `n` counting lines from 1 on each
    page; each segment's `extra` contains the page, the line box and the
    document kind. `speaker` is who sent the document.
    """
    segments = []
    counts: dict[int, int] = {}
    for line in document.lines:
        counts[line.page] = counts.get(line.page, 0) + 1
        segments.append(
            Segment(
                id=f"p{line.page}l{counts[line.page]}",
                speaker=speaker,
                text=line.text,
                extra={
                    "page": line.page,
                    "box": list(line.box),
                    "document_kind": document.kind,
                },
            )
        )
    return Interaction(
        id=interaction_id,
        channel="document",
        segments=segments,
        extra={
            "document_kind": document.kind,
            "media": document.media,
            "status": document.status,
            "reason": document.reason,
        },
    )
