"""The command line: `scan` on files, and `run` serving real HTTP."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from gateway.cli import main
from tests.fakedata import card, resident_id

ROOT = Path(__file__).resolve().parents[2]
ID = resident_id("51010419911123456")
CARD = card("436742", 16)


def interaction(number: int, text: str, speaker: str = "customer") -> str:
    return json.dumps(
        {
            "id": f"i{number}",
            "channel": "chat",
            "segments": [{"id": "s1", "speaker": speaker, "text": text}],
        },
        ensure_ascii=False,
    )


def test_scan_jsonl_skips_bad_line_and_reports_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join([interaction(1, f"卡号{CARD}"), "{not json", interaction(3, "你好")])
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    assert main(["scan", str(source), "-o", str(out), "--no-progress"]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [p["id"] for p in lines] == ["i1", "i3"]
    (finding,) = lines[0]["findings"]
    assert finding["type"] == "BANK_CARD"
    assert finding["masked"].endswith(CARD[-4:])
    assert CARD not in out.read_text(encoding="utf-8")
    assert f"{source}:2: invalid JSON" in capsys.readouterr().err


def test_scan_strict_fails_on_bad_line(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(interaction(1, "hi") + "\n[oops\n", encoding="utf-8")
    assert main(["scan", str(source), "-o", str(tmp_path / "o"), "--strict"]) == 1


def test_scan_names_the_invalid_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    bad = {
        "id": "x",
        "channel": "chat",
        "segments": [{"id": "s1", "speaker": "bot", "text": "a"}],
    }
    source.write_text(json.dumps(bad) + "\n", encoding="utf-8")
    assert main(["scan", str(source), "-o", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert ":1: invalid interaction: segments.0.speaker" in err


def test_scan_plain_text_sets_speakers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "chat.txt"
    source.write_text(
        f"客户：我的身份证是{ID}\n\nagent: 好的，您的身份证号{ID}已登记\n谢谢\n",
        encoding="utf-8",
    )
    assert main(["scan", str(source)]) == 0
    (prediction,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert prediction["id"] == "chat.txt"
    behaviours = {f["segment"]: f["behaviour"] for f in prediction["findings"]}
    assert behaviours == {"s1": "unmasked_record", "s2": "agent_full_disclosure"}
    assert prediction["severity"] == "high"
    assert ID not in json.dumps(prediction, ensure_ascii=False)


def test_scan_single_pretty_printed_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "one.json"
    source.write_text(
        json.dumps(json.loads(interaction(1, f"卡号{CARD}")), indent=2),
        encoding="utf-8",
    )
    assert main(["scan", str(source)]) == 0
    (prediction,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert prediction["findings"][0]["type"] == "BANK_CARD"


def test_scan_missing_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", str(tmp_path / "absent.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_scan_shows_progress_on_long_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "long.jsonl"
    source.write_text(
        "\n".join(interaction(n, "你好") for n in range(250)) + "\n", encoding="utf-8"
    )
    assert main(["scan", str(source), "-o", str(tmp_path / "o")]) == 0
    assert "long.jsonl" in capsys.readouterr().err


# --- `run`: the real server in a child process -------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up within {timeout} s")


def test_run_serves_webhook_and_outbox(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    env = {**os.environ, "REDLINE_DATA_DIR": str(data), "REDLINE_PORT": str(port)}
    env.pop("REDLINE_ZENDESK_WEBHOOK_SECRETS", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz")
        secret = (data / "keys" / "zendesk-webhook-secret").read_text().strip()
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = json.dumps({"ticket_id": 77, "latest_comment": f"身份证{ID}"}).encode()
        signature = base64.b64encode(
            hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
        ).decode()
        response = requests.post(
            f"{base}/webhooks/zendesk",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Zendesk-Webhook-Signature": signature,
                "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            },
            timeout=5,
        )
        assert response.status_code == 202
        entries: list = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(entries) < 2:
            entries = requests.get(f"{base}/api/outbox", timeout=2).json()["entries"]
            time.sleep(0.1)
        assert sorted(e["action"] for e in entries) == ["add_private_note", "add_tags"]
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "Redline gateway stopped" in output
    assert ID not in output
    assert (data / "redline.db").exists()
