"""Run each OCR engine on a set of images and PDFs; print what it read and how fast.

For every file and engine it prints the seconds `extract` took, the
document kind and the identifiers the detectors report (type and masked
value only, never the value). With --expected it also counts how many of
the numbers a person reads on the file were read exactly. Usage:

    .venv/bin/python benchmarks/ocr_images.py FILE_OR_FOLDER... \\
        [--engine tesseract|rapidocr|all] [--expected numbers.json] [--rendered]

--expected names a JSON object mapping "folder/file" (or just the file
name) to the list of numbers printed on it; keep such a list outside the repository when the images are
not yours. --rendered adds the fake cards that the document tests render
(their numbers are known). Run with OMP_THREAD_LIMIT=1 for one-core times.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from detectors.documents import extract, to_interaction  # noqa: E402
from detectors.documents.ocr import (  # noqa: E402
    OcrEngine,
    RapidOcrEngine,
    TesseractEngine,
    rapidocr_installed,
)
from detectors.engine import default_detector  # noqa: E402

SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".pdf")
REPORTED = ("CN_RESIDENT_ID", "BANK_CARD", "PASSPORT", "PHONE_NUMBER", "EMAIL_ADDRESS")


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


def rendered(folder: Path) -> dict[Path, list[str]]:
    """Write the test suite's fake documents to `folder`; return their numbers."""
    from PIL import Image

    from tests.detectors.documents import render

    front = render.id_card_front().image
    cards = {
        "fake-id-front.png": (front, [render.ID_NUMBER]),
        "fake-id-front-rot90.png": (front.rotate(90, expand=True), [render.ID_NUMBER]),
        "fake-id-front-rot180.png": (front.rotate(180), [render.ID_NUMBER]),
        "fake-id-front-tilt5.png": (
            front.rotate(5, expand=True, fillcolor="white"),
            [render.ID_NUMBER],
        ),
        "fake-id-front-small.png": (front.resize((300, 189)), [render.ID_NUMBER]),
        "fake-id-front-degraded.jpg": (render.degrade(front), [render.ID_NUMBER]),
        "fake-id-back.png": (render.id_card_back().image, []),
        "fake-bank-card.png": (render.bank_card().image, [render.CARD_NUMBER]),
        "fake-bank-card-embossed.png": (
            render.bank_card(embossed=True).image,
            [render.CARD_NUMBER],
        ),
        "fake-passport.png": (render.passport_page().image, [render.PASSPORT_NUMBER]),
    }
    expected: dict[Path, list[str]] = {}
    for name, (image, numbers) in cards.items():
        path = folder / name
        assert isinstance(image, Image.Image)
        image.convert("RGB").save(path)
        expected[path] = numbers
    return expected


def label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def canonical(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def run(path: Path, engine: OcrEngine, numbers: list[str] | None) -> dict[str, object]:
    data = path.read_bytes()
    started = time.perf_counter()
    document = extract(data, path.name, engine=engine)
    seconds = time.perf_counter() - started
    interaction = to_interaction(document, path.name)
    report = default_detector().detect(interaction)
    findings = [
        f"{f.type}:{f.masked}"
        for f in report.findings
        if f.type in REPORTED and f.form == "full"
    ]
    text = canonical(document.text)
    read = None if numbers is None else sum(canonical(n) in text for n in numbers)
    return {
        "file": label(path),
        "engine": engine.name,
        "seconds": seconds,
        "kind": document.kind
        if document.inspected
        else f"not inspected: {document.reason}",
        "read": read,
        "expected": None if numbers is None else len(numbers),
        "findings": findings,
    }


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

    expected: dict[str, list[str]] = {}
    if args.expected:
        expected = json.loads(args.expected.read_text(encoding="utf-8"))
    paths = files(args.paths)
    with tempfile.TemporaryDirectory() as folder:
        if args.rendered:
            fakes = rendered(Path(folder))
            paths.extend(fakes)
            expected.update({label(p): n for p, n in fakes.items()})

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
    print("| file | engine | seconds | kind | numbers read | detector findings |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        read = "-" if row["expected"] is None else f"{row['read']}/{row['expected']}"
        findings = ", ".join(row["findings"]) or "-"  # type: ignore[arg-type]
        print(
            f"| {row['file']} | {row['engine']} | {row['seconds']:.2f} | "
            f"{row['kind']} | {read} | {findings} |"
        )
    print()
    for engine in engines:
        mine = [r for r in rows if r["engine"] == engine.name]
        times = [float(r["seconds"]) for r in mine]  # type: ignore[arg-type]
        scored = [r for r in mine if r["expected"] is not None]
        read = sum(int(r["read"]) for r in scored)  # type: ignore[call-overload]
        total = sum(int(r["expected"]) for r in scored)  # type: ignore[call-overload]
        print(
            f"{engine.name}: {len(mine)} files, numbers read {read}/{total}, "
            f"median {statistics.median(times):.2f} s, max {max(times):.2f} s, "
            f"total {sum(times):.1f} s"
        )


if __name__ == "__main__":
    main()
