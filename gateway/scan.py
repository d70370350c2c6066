"""`python -m gateway scan`: detect on files and write one prediction per interaction.

Inputs:

- JSON lines, one interaction per line (the generic format); a file holding
  one JSON object or a JSON array of them is read too;
- plain text: one interaction, one segment per non-empty line, where a line
  starting `agent:`/`客服:` or `customer:`/`客户:` (or `system:`/`系统:`) sets
  the speaker and any other line is the customer's;
- images (.jpg .jpeg .png .webp .heic) and PDFs, by extension or by their
  first bytes: one prediction per file on channel "document", with the
  extracted lines as segments (masked) and the document's kind and status.

The file name's extension decides the format: `.jsonl` and `.ndjson` are
JSON lines, `.json` is one JSON document or JSON lines, `.txt` is text.
Any other input, standard input (`-`) included, is JSON lines when its
first non-empty line is a JSON object, and text otherwise.

A malformed line is reported on standard error with its line number and
skipped; the caller decides whether that fails the run.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from detectors.documents import (
    Box,
    Document,
    Limits,
    RedactionFailed,
    TextLine,
    UnreadableDocument,
    document_kind_finding,
    extract,
    redact_image,
    redact_pdf,
    to_interaction,
)
from detectors.documents.limits import DEFAULT_LIMITS
from detectors.engine import Detector
from detectors.masking import MaskedText
from detectors.schema import ValidationError, describe_errors, interaction_from_dict
from detectors.types import Finding, Interaction, Report, Segment
from gateway.jsonparse import InvalidJson, parse_json

_SPEAKER_PREFIX = re.compile(
    r"^\s*(?P<who>agent|customer|system|客服|客户|系统)\s*[:：]\s*", re.IGNORECASE
)
_SPEAKERS = {"客服": "agent", "客户": "customer", "系统": "system"}
# Inputs with at least this many lines get a progress bar on standard error.
PROGRESS_MIN_LINES = 200
# The input name that means standard input, and the name it gets in output.
STDIN = "-"
STDIN_NAME = "stdin"
JSON_LINES_SUFFIXES = frozenset({".jsonl", ".ndjson"})


@dataclass
class Problem:
    line: int
    message: str


def check_inputs(names: list[str], output: str | None) -> list[str]:
    """Return one message per input that cannot be scanned, before any is opened.

    An input is rejected when it is missing, a directory or not a regular
    file, when it is the output file too, or when standard input is given
    twice.
    """
    messages = []
    if names.count(STDIN) > 1:
        messages.append("standard input (-) can be given only once")
    for name in names:
        if name == STDIN:
            continue
        path = Path(name)
        if path.is_dir():
            messages.append(
                f"{name}: is a directory; give a JSON-lines, JSON or text file"
            )
        elif not path.exists():
            messages.append(
                f"{name}: no such file; give a JSON-lines, JSON or text file"
            )
        elif not path.is_file():
            messages.append(
                f"{name}: not a regular file; give it on standard input as -"
            )
        elif output is not None and _same_file(path, Path(output)):
            messages.append(
                f"{output}: the output is also an input, and writing it would "
                "erase it; write the predictions to another file"
            )
    return messages


def _same_file(path: Path, other: Path) -> bool:
    if path.resolve() == other.resolve():
        return True
    return other.exists() and os.path.samefile(path, other)


def read_text_interaction(name: str, text: str) -> Interaction:
    """Build one chat interaction, with id `name`, from a plain-text transcript."""
    segments: list[Segment] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        speaker = "customer"
        match = _SPEAKER_PREFIX.match(line)
        if match:
            who = match.group("who").lower()
            speaker = _SPEAKERS.get(who, who)
            line = line[match.end() :]
        segments.append(
            Segment(id=f"s{len(segments) + 1}", speaker=speaker, text=line.strip())
        )
    return Interaction(id=name, channel="chat", segments=segments)


def iter_interactions(
    name: str, lines: Iterable[str], problems: list[Problem]
) -> Iterator[Interaction]:
    """Yield the interactions in `lines`, appending a `Problem` for each bad one.

    `name` is the file name (or `stdin`): its extension decides the format,
    and a text transcript takes it as its id.
    """
    stream = iter(lines)
    head: list[str] = []
    for line in stream:
        head.append(line)
        if line.strip():
            break
    first = head[-1].strip() if head and head[-1].strip() else ""
    rest = itertools.chain(head, stream)
    kind = _input_format(name, first)
    if kind == "text":
        interaction = read_text_interaction(name, "".join(rest))
        if interaction.segments:
            yield interaction
        else:
            problems.append(Problem(0, "file has no non-empty lines"))
    elif kind == "document":
        yield from _from_document("".join(rest), problems)
    else:
        for number, line in enumerate(rest, start=1):
            if not line.strip():
                continue
            parsed = _parse_line(line, number, problems)
            if parsed is not None:
                yield parsed


def _input_format(name: str, first_line: str) -> str:
    """Return "json-lines", "document" or "text" for an input and its first line."""
    suffix = Path(name).suffix.lower()
    if suffix in JSON_LINES_SUFFIXES:
        return "json-lines"
    if suffix == ".json":
        # A JSON array, or an object spread over lines, is one document; an
        # object complete on its first line starts JSON lines.
        if first_line.startswith("[") or (
            first_line.startswith("{") and not _is_json_object(first_line)
        ):
            return "document"
        return "json-lines"
    if suffix == ".txt":
        return "text"
    return "json-lines" if _is_json_object(first_line) else "text"


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(parse_json(line), dict)
    except InvalidJson:
        return False


def _from_document(text: str, problems: list[Problem]) -> Iterator[Interaction]:
    try:
        document = parse_json(text)
    except InvalidJson as error:
        problems.append(Problem(error.line, f"invalid JSON: {_json_reason(error)}"))
        return
    items = document if isinstance(document, list) else [document]
    for index, item in enumerate(items, start=1):
        try:
            yield interaction_from_dict(item)
        except ValidationError as error:
            problems.append(
                Problem(index, f"invalid interaction: {describe_errors(error)}")
            )


def _parse_line(line: str, number: int, problems: list[Problem]) -> Interaction | None:
    try:
        data = parse_json(line)
    except InvalidJson as error:
        problems.append(Problem(number, f"invalid JSON: {_json_reason(error)}"))
        return None
    try:
        return interaction_from_dict(data)
    except ValidationError as error:
        problems.append(
            Problem(number, f"invalid interaction: {describe_errors(error)}")
        )
        return None


def _json_reason(error: InvalidJson) -> str:
    if error.column:
        return f"{error.reason} at column {error.column}"
    return error.reason


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def _stdin_lines() -> IO[str]:
    """Return standard input as UTF-8 text, with a byte-order mark dropped."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return sys.stdin
    return io.TextIOWrapper(buffer, encoding="utf-8-sig")


def scan_input(
    name: str,
    out: IO[str],
    err: IO[str],
    detector: Detector,
    progress: bool | None = None,
) -> tuple[int, list[Problem]]:
    """Detect on every interaction of file `name` (or stdin for `-`).

    Return how many predictions were written and the problems found.
    """
    from tqdm import tqdm

    problems: list[Problem] = []
    total: int | None = None
    if name == STDIN:
        display = STDIN_NAME
        stream = _stdin_lines()
    else:
        path = Path(name)
        display = path.name
        total = count_lines(path)
        stream = path.open(encoding="utf-8-sig")
    show = progress if progress is not None else (total or 0) >= PROGRESS_MIN_LINES
    written = 0
    try:
        with tqdm(
            total=total,
            file=err,
            disable=not show,
            unit="line",
            desc=display,
            leave=False,
        ) as bar:
            for interaction in iter_interactions(display, stream, problems):
                report = detector.detect(interaction)
                out.write(json.dumps(report.to_prediction(), ensure_ascii=False) + "\n")
                written += 1
                bar.update(1)
    finally:
        _release(stream)
    where_name = STDIN_NAME if name == STDIN else name
    for problem in problems:
        where = f"{where_name}:{problem.line}" if problem.line else where_name
        print(f"{where}: {problem.message}; skipped", file=err)
    return written, problems


def _release(stream: IO[str]) -> None:
    """Close a file, but leave the process's standard input open."""
    if stream is sys.stdin:
        return
    if isinstance(stream, io.TextIOWrapper) and stream.buffer is getattr(
        sys.stdin, "buffer", None
    ):
        stream.detach()
        return
    stream.close()


# --- documents: images and PDFs ---------------------------------------------

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".heic"})
DOCUMENT_SUFFIXES = IMAGE_SUFFIXES | {".pdf"}
# Brands in an ISO base media file's `ftyp` box that mark a HEIF/HEIC image.
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"})


def sniff_document(head: bytes) -> bool:
    """Tell whether a file's first bytes are those of a PDF or an image we read."""
    return (
        head.startswith(b"%PDF-")
        or head.startswith(b"\x89PNG")
        or head.startswith(b"\xff\xd8\xff")
        or (head.startswith(b"RIFF") and head[8:12] == b"WEBP")
        or (head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS)
    )


def is_document_file(path: Path) -> bool:
    """Tell whether `path` is scanned as a document: by extension, else magic bytes."""
    if path.suffix.lower() in DOCUMENT_SUFFIXES:
        return True
    with path.open("rb") as handle:
        return sniff_document(handle.read(16))


def inspect_document(
    detector: Detector, document: Document, interaction_id: str, speaker: str
) -> Report:
    """Detect on a document's lines and add its kind finding where no number proved it.

    The kind finding (`document_kind_finding`) is added only when no
    recognizer reported a full value of the kind's type and no finding of
    that type sits on the kind's line, so a card whose number was read gives
    one finding for it, not two.
    """
    interaction = to_interaction(document, interaction_id, speaker=speaker)
    report = detector.detect(interaction)
    findings = list(report.findings)
    kind = document_kind_finding(document, interaction)
    if kind is not None and not any(
        f.type == kind.type and (f.form == "full" or f.segment == kind.segment)
        for f in findings
    ):
        findings.append(kind)
    return Report(interaction, findings)


def _lines_by_segment(document: Document, report: Report) -> dict[str, TextLine]:
    """Map each segment id of `to_interaction` to the line it was made from."""
    segments = report.interaction.segments
    return {
        segment.id: line for segment, line in zip(segments, document.lines, strict=True)
    }


def redact_document(
    data: bytes,
    document: Document,
    report: Report,
    limits: Limits = DEFAULT_LIMITS,
) -> bytes | None:
    """Return a redacted copy of the document, or None when nothing needs hiding.

    Every full finding's characters are covered: boxes filled on an image
    (and the portrait of an ID card front), redactions applied on a PDF.
    Raises `RedactionFailed` when a PDF still shows a value after redaction
    and `UnreadableDocument` when the bytes cannot be read again.
    """
    lines = _lines_by_segment(document, report)
    spans: list[tuple[int, Box]] = []
    values: list[str] = []
    for finding in report.findings:
        line = lines.get(finding.segment)
        if finding.form != "full" or line is None:
            continue
        values.append(line.text[finding.start : finding.end])
        for box in line.boxes_for_span(finding.start, finding.end):
            spans.append((line.page, box))
    if not spans:
        return None
    if document.media == "pdf":
        return redact_pdf(data, spans, values, limits)
    return redact_image(
        data,
        [box for _, box in spans],
        photo_region=document.kind == "resident_id_front",
        document=document,
        limits=limits,
    )


def redacted_suffix(copy: bytes) -> str:
    """Return the file extension that matches a redacted copy's format."""
    if copy.startswith(b"%PDF-"):
        return ".pdf"
    if copy.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    return ".png"


def masked_segments(report: Report) -> list[dict[str, Any]]:
    """Return the document's lines as output segments, every finding masked.

    Overlapping findings keep the widest one, so each character is replaced
    once; digit runs no recognizer proved are masked by `MaskedText` too.
    """
    by_segment: dict[str, list[Finding]] = {}
    for finding in report.findings:
        by_segment.setdefault(finding.segment, []).append(finding)
    segments = []
    for segment in report.interaction.segments:
        spans: list[tuple[int, int, str]] = []
        widest_first = sorted(
            by_segment.get(segment.id, []), key=lambda f: (f.start - f.end, f.start)
        )
        for finding in widest_first:
            if all(finding.end <= s or finding.start >= e for s, e, _ in spans):
                spans.append((finding.start, finding.end, finding.masked))
        masked = MaskedText(segment.text, spans)
        segments.append(
            {
                "id": segment.id,
                "speaker": segment.speaker,
                "text": masked.excerpt(0, len(segment.text), window=0),
                "page": segment.extra["page"],
                "box": [round(v, 1) for v in segment.extra["box"]],
            }
        )
    return segments


def document_prediction(document: Document, report: Report) -> dict[str, Any]:
    """Return the prediction line of one document: masked segments and findings."""
    prediction = report.to_prediction()
    prediction["segments"] = masked_segments(report)
    prediction["document_kind"] = document.kind
    prediction["status"] = document.status
    if not document.inspected:
        prediction["reason"] = document.reason
    return prediction


def _read_document(path: Path, limits: Limits) -> tuple[bytes, Document | None]:
    """Read a document file, or return a not-inspected `Document` when it is too large."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        reason = f"file too large: {size} bytes, the limit is {limits.max_bytes} bytes"
        media = "pdf" if path.suffix.lower() == ".pdf" else "image"
        return b"", Document(media=media, status="not_inspected", reason=reason)
    return path.read_bytes(), None


def scan_document(
    name: str,
    out: IO[str],
    err: IO[str],
    detector: Detector,
    redact_dir: Path | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> bool:
    """Extract, detect on and optionally redact one image or PDF file.

    Write its prediction line to `out`. Return False when the document
    could not be inspected; the reason is written to `err` and to the line.
    """
    path = Path(name)
    data, refused = _read_document(path, limits)
    document = refused or extract(data, path.name, limits=limits)
    report = inspect_document(detector, document, path.name, speaker="customer")
    prediction = document_prediction(document, report)
    if not document.inspected:
        print(f"{name}: not inspected: {document.reason}", file=err)
    elif redact_dir is not None:
        try:
            copy = redact_document(data, document, report, limits)
        except (RedactionFailed, UnreadableDocument) as error:
            print(f"{name}: no redacted copy written: {error}", file=err)
        else:
            if copy is not None:
                target = redact_dir / f"{path.stem}.redacted{redacted_suffix(copy)}"
                target.write_bytes(copy)
                prediction["redacted"] = str(target)
    out.write(json.dumps(prediction, ensure_ascii=False) + "\n")
    return document.inspected


def main_scan(
    paths: list[str],
    output: str | None,
    strict: bool,
    progress: bool | None,
    redact_dir: str | None = None,
) -> int:
    """Run `scan`; return 0, 1 for skipped lines or uninspected documents under
    `strict`, 2 for bad inputs."""
    messages = check_inputs(paths, output)
    if redact_dir is not None and Path(redact_dir).is_file():
        messages.append(f"{redact_dir}: the redaction folder is a file; give a folder")
    if messages:
        for message in messages:
            print(message, file=sys.stderr)
        return 2
    redact_path = Path(redact_dir) if redact_dir is not None else None
    if redact_path is not None:
        try:
            redact_path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            print(f"cannot create {redact_dir}: {error.strerror}", file=sys.stderr)
            return 2

    detector = Detector()
    out: IO[str] = sys.stdout
    if output:
        try:
            out = open(output, "w", encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError as error:
            print(f"cannot write {output}: {error.strerror}", file=sys.stderr)
            return 2

    failed = False
    unreadable = False
    try:
        for name in paths:
            try:
                if name != STDIN and is_document_file(Path(name)):
                    inspected = scan_document(
                        name, out, sys.stderr, detector, redact_path
                    )
                    failed = failed or not inspected
                    continue
                _, problems = scan_input(name, out, sys.stderr, detector, progress)
            except UnicodeDecodeError:
                print(
                    f"{name}: not UTF-8 text; convert it to UTF-8 first",
                    file=sys.stderr,
                )
                unreadable = True
                continue
            except OSError as error:
                print(f"{name}: cannot read it ({error.strerror})", file=sys.stderr)
                unreadable = True
                continue
            failed = failed or bool(problems)
    finally:
        if out is not sys.stdout:
            out.close()

    if unreadable:
        return 2
    if failed and strict:
        return 1
    return 0
