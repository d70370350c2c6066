"""Run each OCR engine on a set of images and PDFs; print what it read and how fast.

For every file and engine it prints the wall and CPU seconds `extract`
took, the document kind and the identifiers the detectors report (type and
masked value only, never the value). With --expected it also counts how
many of the numbers a person reads on the file were read exactly, and how
many of them a redacted copy would cover. Usage:

    .venv/bin/python benchmarks/ocr_images.py FILE_OR_FOLDER... \\
        [--engine tesseract|rapidocr|all] [--expected numbers.json] [--rendered]

--expected names a JSON object mapping "folder/file" (or just the file
name) to the list of numbers printed on it, or to an object with that list
under "numbers" and the document kind under "kind". Keep such a list
outside the repository when the images are not yours.
--rendered adds the fake cards that the document tests render (their
numbers are known). Run with OMP_THREAD_LIMIT=1 and pinned to one core
(taskset -c 1) for one-core times; the CPU seconds count the tesseract
processes too, so they change less than wall time on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from detectors.documents import Document, extract  # noqa: E402
from detectors.documents.ocr import (  # noqa: E402
    OcrEngine,
    RapidOcrEngine,
    TesseractEngine,
    rapidocr_installed,
)
from detectors.engine import default_detector  # noqa: E402
from detectors.types import Report  # noqa: E402
from gateway.scan import inspect_document  # noqa: E402

SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".pdf")
REPORTED = ("CN_RESIDENT_ID", "BANK_CARD", "PASSPORT", "PHONE_NUMBER", "EMAIL_ADDRESS")
CARD_KINDS = ("resident_id_front", "resident_id_back", "bank_card", "passport")


@dataclass
class Expected:
    """The numbers a person reads on a file and, if given, its document kind."""

    numbers: list[str] = field(default_factory=list)
    kind: str | None = None


def files(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES)
            )
        elif path.suffix.lower() in SUFFIXES:
            found.append(path)
    return found


def rendered(folder: Path) -> dict[Path, Expected]:
    """Write the test suite's fake documents to `folder`; return what is on them."""
    from PIL import Image

    from tests.detectors.documents import render

    front = render.id_card_front().image
    card = render.bank_card().image
    id_front = ("resident_id_front", [render.ID_NUMBER])
    bank = ("bank_card", [render.CARD_NUMBER])
    cards = {
        "fake-id-front.png": (front, id_front),
        "fake-id-front-rot90.png": (front.rotate(90, expand=True), id_front),
        "fake-id-front-rot180.png": (front.rotate(180), id_front),
        "fake-id-front-tilt5.png": (
            front.rotate(5, expand=True, fillcolor="white"),
            id_front,
        ),
        "fake-id-front-small.png": (front.resize((300, 189)), id_front),
        "fake-id-front-degraded.jpg": (render.degrade(front), id_front),
        "fake-id-front-watermark.png": (
            render.watermarked(render.id_card_front()).image,
            id_front,
        ),
        "fake-id-back.png": (render.id_card_back().image, ("resident_id_back", [])),
        "fake-bank-card.png": (card, bank),
        "fake-bank-card-embossed.png": (render.bank_card(embossed=True).image, bank),
        "fake-bank-card-perspective.png": (render.in_perspective().image, bank),
        "fake-bank-card-turned70.png": (render.turned(70).image, bank),
        "fake-passport.png": (
            render.passport_page().image,
            ("passport", [render.PASSPORT_NUMBER]),
        ),
    }
    expected: dict[Path, Expected] = {}
    for name, (image, (kind, numbers)) in cards.items():
        path = folder / name
        assert isinstance(image, Image.Image)
        image.convert("RGB").save(path)
        expected[path] = Expected(list(numbers), kind)
    return expected


def load_expected(path: Path) -> dict[str, Expected]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    expected = {}
    for name, value in raw.items():
        if isinstance(value, list):
            expected[name] = Expected([str(n) for n in value])
        else:
            numbers = [str(n) for n in value.get("numbers", [])]
            expected[name] = Expected(numbers, value.get("kind"))
    return expected


def label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def canonical(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def covered(document: Document, report: Report, number: str) -> bool:
    """Tell whether full findings cover every character of `number` on some line.

    Those characters are what a redacted copy fills. The number may be
    written with spaces or separators between its characters.
    """
    separators = r"[\s\-()./]*"
    pattern = re.compile(separators.join(re.escape(c) for c in number), re.IGNORECASE)
    segments = report.interaction.segments
    for segment, line in zip(segments, document.lines, strict=True):
        spans = [
            (f.start, f.end)
            for f in report.findings
            if f.segment == segment.id and f.form == "full"
        ]
        for match in pattern.finditer(line.text):
            positions = [
                i for i in range(match.start(), match.end()) if line.text[i].isalnum()
            ]
            if all(any(s <= i < e for s, e in spans) for i in positions):
                return True
    return False


def cpu_seconds() -> float:
    """Return the CPU seconds used by this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(path: Path, engine: OcrEngine, expected: Expected | None) -> dict[str, object]:
    data = path.read_bytes()
    started, cpu_started = time.perf_counter(), cpu_seconds()
    document = extract(data, path.name, engine=engine)
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_started
    report = inspect_document(default_detector(), document, path.name, "customer")
    findings = [
        f"{f.type}:{f.masked}"
        for f in report.findings
        if f.type in REPORTED
        and f.form == "full"
        and not f.rule.startswith("document_kind_")
    ]
    text = canonical(document.text)
    numbers = expected.numbers if expected else []
    return {
        "file": label(path),
        "engine": engine.name,
        "seconds": seconds,
        "cpu": cpu,
        "kind": document.kind
        if document.inspected
        else f"not inspected: {document.reason}",
        "expected_kind": expected.kind if expected else None,
        "read": sum(canonical(n) in text for n in numbers),
        "redacted": sum(covered(document, report, n) for n in numbers),
        "expected": None if expected is None else len(numbers),
        "findings": findings,
    }


def summary(name: str, rows: list[dict[str, object]]) -> str:
    scored = [r for r in rows if r["expected"] is not None]
    read = sum(int(r["read"]) for r in scored)  # type: ignore[call-overload]
    redacted = sum(int(r["redacted"]) for r in scored)  # type: ignore[call-overload]
    total = sum(int(r["expected"]) for r in scored)  # type: ignore[call-overload]
    cards = [r for r in rows if r["expected_kind"] in CARD_KINDS]
    kinds_right = sum(r["kind"] == r["expected_kind"] for r in cards)
    card_cpu = [float(r["cpu"]) for r in cards]  # type: ignore[arg-type]
    card_wall = [float(r["seconds"]) for r in cards]  # type: ignore[arg-type]
    lines = [
        f"{name}: {len(rows)} files, numbers read {read}/{total}, "
        f"covered by a redaction {redacted}/{total}, "
        f"card kinds right {kinds_right}/{len(cards)}",
    ]
    if cards:
        lines.append(
            f"  card images: median {statistics.median(card_wall):.2f} s wall, "
            f"{statistics.median(card_cpu):.2f} s CPU; max {max(card_wall):.2f} s "
            f"wall, {max(card_cpu):.2f} s CPU; under 1 s CPU "
            f"{sum(c < 1.0 for c in card_cpu)}/{len(cards)}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "paths", nargs="*", help="image or PDF files, or folders of them"
    )
    parser.add_argument(
        "--engine", choices=("tesseract", "rapidocr", "all"), default="all"
    )
    parser.add_argument(
        "--expected", type=Path, help="JSON: file name -> numbers on it"
    )
    parser.add_argument(
        "--rendered", action="store_true", help="add the fake test cards"
    )
    args = parser.parse_args()

    expected: dict[str, Expected] = {}
    if args.expected:
        expected = load_expected(args.expected)
    paths = files(args.paths)
    with tempfile.TemporaryDirectory() as folder:
        if args.rendered:
            fakes = rendered(Path(folder))
            paths.extend(fakes)
            expected.update({label(p): e for p, e in fakes.items()})

        engines: list[OcrEngine] = []
        if args.engine in ("tesseract", "all"):
            engines.append(TesseractEngine())
        if args.engine in ("rapidocr", "all"):
            if rapidocr_installed():
                engines.append(RapidOcrEngine())
            else:
                print(
                    "rapidocr-onnxruntime is not installed; skipping it",
                    file=sys.stderr,
                )
        for engine in engines:
            # One warm-up call, so that model loading is not charged to a file.
            if paths:
                run(paths[0], engine, None)

        rows = [
            run(path, engine, expected.get(label(path), expected.get(path.name)))
            for path in paths
            for engine in engines
        ]
    print(
        "| file | engine | wall s | CPU s | kind | numbers read | covered | "
        "detector findings |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        total = row["expected"]
        read = "-" if total is None else f"{row['read']}/{total}"
        redacted = "-" if total is None else f"{row['redacted']}/{total}"
        kind = str(row["kind"])
        if row["expected_kind"] and row["kind"] != row["expected_kind"]:
            kind += f" (expected {row['expected_kind']})"
        findings = ", ".join(row["findings"]) or "-"  # type: ignore[arg-type]
        print(
            f"| {row['file']} | {row['engine']} | {row['seconds']:.2f} | "
            f"{row['cpu']:.2f} | {kind} | {read} | {redacted} | {findings} |"
        )
    print()
    for engine in engines:
        print(summary(engine.name, [r for r in rows if r["engine"] == engine.name]))


if __name__ == "__main__":
    main()
