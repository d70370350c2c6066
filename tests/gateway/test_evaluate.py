"""Scoring detector output against labels, as `python -m gateway eval` does."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from detectors.engine import Detector
from gateway.cli import main
from gateway.evaluate import Scores, evaluate_file, overlap_ratio, render
from tests.fakedata import card


def test_overlap_ratio() -> None:
    assert overlap_ratio((0, 10), (0, 10)) == 1.0
    assert overlap_ratio((0, 10), (5, 15)) == 5 / 15
    assert overlap_ratio((0, 4), (4, 8)) == 0.0


def label(segment: str, start: int, end: int, entity: str, form: str = "full") -> dict:
    return {
        "segment": segment,
        "start": start,
        "end": end,
        "type": entity,
        "form": form,
    }


def finding(
    segment: str, start: int, end: int, entity: str, form: str = "full"
) -> dict:
    return {
        "segment": segment,
        "start": start,
        "end": end,
        "type": entity,
        "form": form,
    }


def test_scores_count_hits_misses_and_extras() -> None:
    scores = Scores()
    scores.add(
        {
            "entities": [
                label("s1", 0, 11, "PHONE_NUMBER"),
                label("s2", 3, 19, "BANK_CARD"),
            ],
            "behaviours": ["unmasked_record"],
            "severity": "medium",
        },
        {
            "findings": [
                finding("s1", 0, 11, "PHONE_NUMBER"),
                finding("s3", 0, 5, "EMAIL_ADDRESS"),
            ],
            "behaviours": ["unmasked_record", "private_channel"],
            "severity": "high",
        },
    )
    assert scores.true_positives["PHONE_NUMBER"] == 1
    assert scores.false_negatives["BANK_CARD"] == 1
    assert scores.false_positives["EMAIL_ADDRESS"] == 1
    assert scores.behaviour_tp["unmasked_record"] == 1
    assert scores.behaviour_fp["private_channel"] == 1
    assert scores.severity["medium"]["high"] == 1


def test_masked_label_reported_full_is_counted() -> None:
    scores = Scores()
    scores.add(
        {
            "entities": [label("s1", 0, 16, "BANK_CARD", "masked")],
            "behaviours": [],
            "severity": "none",
        },
        {
            "findings": [finding("s1", 0, 16, "BANK_CARD")],
            "behaviours": [],
            "severity": "none",
        },
    )
    assert scores.masked_as_full["BANK_CARD"] == 1
    assert scores.false_positives["BANK_CARD"] == 0


def test_evaluate_file_end_to_end(tmp_path: Path) -> None:
    number = card("622202", 19)
    text = f"卡号{number}"
    corpus = tmp_path / "corpus.jsonl"
    rows = [
        {
            "id": "a",
            "channel": "chat",
            "segments": [{"id": "s1", "speaker": "customer", "text": text}],
            "labels": {
                "entities": [label("s1", 2, 2 + len(number), "BANK_CARD")],
                "behaviours": ["unmasked_record"],
                "severity": "medium",
            },
        },
        {"id": "b", "channel": "chat", "segments": []},
    ]
    corpus.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\nnot json\n"
    )
    err = io.StringIO()
    scores = evaluate_file(corpus, Detector(), err)
    table = render(scores)
    assert scores.true_positives["BANK_CARD"] == 1
    assert "BANK_CARD                  1     0     0  1.000  1.000  1.000" in table
    assert "severity accuracy 1.000" in table
    assert ":2: skipped" in err.getvalue()
    assert ":3: skipped" in err.getvalue()


def test_eval_command_prints_the_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "c.jsonl"
    row = {
        "id": "x",
        "channel": "chat",
        "segments": [{"id": "s1", "speaker": "customer", "text": "你好"}],
        "labels": {"entities": [], "behaviours": [], "severity": "none"},
    }
    corpus.write_text(json.dumps(row) + "\n")
    assert main(["eval", str(corpus)]) == 0
    assert "severity accuracy 1.000" in capsys.readouterr().out


def test_eval_command_missing_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "/nonexistent/corpus.jsonl"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_rules_command_lists_over_100_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) > 100
    assert "identification rules" in captured.err


def test_eval_command_rejects_unlabelled_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "c.jsonl"
    row = {
        "id": "x",
        "channel": "chat",
        "segments": [{"id": "s1", "speaker": "customer", "text": "hi"}],
    }
    corpus.write_text(json.dumps(row) + "\n")
    assert main(["eval", str(corpus)]) == 1
    assert "no labelled interaction" in capsys.readouterr().err
