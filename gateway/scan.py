"""`python -m gateway scan`: detect on files and write one prediction per interaction.

Inputs:

- JSON lines, one interaction per line (the generic format); a file holding
  one JSON object or a JSON array of them is read too;
- plain text: one interaction, one segment per non-empty line, where a line
  starting `agent:`/`客服:` or `customer:`/`客户:` (or `system:`/`系统:`) sets
  the speaker and any other line is the customer's.

A malformed line is reported on standard error with its line number and
skipped; the caller decides whether that fails the run.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from detectors.engine import Detector
from detectors.schema import ValidationError, interaction_from_dict
from detectors.types import Interaction, Segment

_SPEAKER_PREFIX = re.compile(
    r"^\s*(?P<who>agent|customer|system|客服|客户|系统)\s*[:：]\s*", re.IGNORECASE
)
_SPEAKERS = {"客服": "agent", "客户": "customer", "系统": "system"}
# Inputs with at least this many lines get a progress bar on standard error.
PROGRESS_MIN_LINES = 200


@dataclass
class Problem:
    line: int
    message: str


def _first_char(path: Path) -> str:
    with path.open(encoding="utf-8-sig") as handle:
        for line in handle:
            if line.strip():
                return line.strip()[0]
    return ""


def read_text_interaction(path: Path, text: str) -> Interaction:
    """Build one chat interaction from a plain-text transcript."""
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
    return Interaction(id=path.name, channel="chat", segments=segments)


def iter_interactions(
    path: Path, problems: list[Problem], handle: IO[str] | None = None
) -> Iterator[Interaction]:
    """Yield the interactions of a file, appending a `Problem` for each bad one."""
    first = _first_char(path) if handle is None else ""
    if handle is None and first not in ("{", "["):
        text = path.read_text(encoding="utf-8-sig")
        interaction = read_text_interaction(path, text)
        if interaction.segments:
            yield interaction
        else:
            problems.append(Problem(0, "file has no non-empty lines"))
        return
    if first == "[" or (first == "{" and _is_single_document(path)):
        yield from _from_document(path, problems)
        return
    stream = handle or path.open(encoding="utf-8-sig")
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            parsed = _parse_line(line, number, problems)
            if parsed is not None:
                yield parsed


def _is_single_document(path: Path) -> bool:
    """Tell a pretty-printed single JSON object from JSON lines."""
    with path.open(encoding="utf-8-sig") as handle:
        first_line = next((line for line in handle if line.strip()), "")
    try:
        json.loads(first_line)
    except json.JSONDecodeError:
        return True
    return False


def _from_document(path: Path, problems: list[Problem]) -> Iterator[Interaction]:
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as error:
        problems.append(
            Problem(error.lineno, f"invalid JSON: {error.msg} at column {error.colno}")
        )
        return
    items = document if isinstance(document, list) else [document]
    for index, item in enumerate(items, start=1):
        try:
            yield interaction_from_dict(item)
        except ValidationError as error:
            problems.append(Problem(index, f"invalid interaction: {_describe(error)}"))


def _parse_line(line: str, number: int, problems: list[Problem]) -> Interaction | None:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        problems.append(
            Problem(number, f"invalid JSON: {error.msg} at column {error.colno}")
        )
        return None
    try:
        return interaction_from_dict(data)
    except ValidationError as error:
        problems.append(Problem(number, f"invalid interaction: {_describe(error)}"))
        return None


def _describe(error: ValidationError) -> str:
    """Flatten marshmallow's error tree into `field.path: message` parts."""
    parts: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list) and node and all(isinstance(n, str) for n in node):
            parts.append(f"{path or 'interaction'}: {' '.join(node)}")
        elif isinstance(node, list):
            for item in node:
                walk(item, path)
        else:
            parts.append(f"{path or 'interaction'}: {node}")

    walk(error.messages, "")
    return "; ".join(parts)


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def scan_file(
    path: Path,
    out: IO[str],
    err: IO[str],
    detector: Detector,
    progress: bool | None = None,
) -> tuple[int, list[Problem]]:
    """Detect on every interaction of `path`; return (written, problems)."""
    from tqdm import tqdm

    problems: list[Problem] = []
    total = count_lines(path)
    show = progress if progress is not None else total >= PROGRESS_MIN_LINES
    written = 0
    with tqdm(
        total=total,
        file=err,
        disable=not show,
        unit="line",
        desc=path.name,
        leave=False,
    ) as bar:
        for interaction in iter_interactions(path, problems):
            report = detector.detect(interaction)
            out.write(json.dumps(report.to_prediction(), ensure_ascii=False) + "\n")
            written += 1
            bar.update(1)
    for problem in problems:
        where = f"{path}:{problem.line}" if problem.line else str(path)
        print(f"{where}: {problem.message}; skipped", file=err)
    return written, problems


def main_scan(
    paths: list[str], output: str | None, strict: bool, progress: bool | None
) -> int:
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
            path = Path(name)
            if not path.is_file():
                print(
                    f"{name}: no such file; give a JSON-lines or text file",
                    file=sys.stderr,
                )
                unreadable = True
                continue
            try:
                _, problems = scan_file(path, out, sys.stderr, detector, progress)
            except UnicodeDecodeError:
                print(
                    f"{name}: not UTF-8 text; convert it to UTF-8 first",
                    file=sys.stderr,
                )
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
