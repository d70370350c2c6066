"""The command line: `scan` on files, and `run` serving real HTTP."""

from __future__ import annotations

import base64
import datetime
import errno
import hashlib
import hmac
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from gateway.cli import _listen_problem, main
from gateway.runtime import Runtime
from gateway.worker import Worker
from infra.config import Settings
from infra.datadir import DataDirLock
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


def test_scan_refuses_output_that_is_an_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    original = interaction(1, f"卡号{CARD}") + "\n"
    source.write_text(original, encoding="utf-8")
    assert main(["scan", str(source), "-o", str(source)]) == 2
    assert source.read_text(encoding="utf-8") == original
    err = capsys.readouterr().err
    assert "the output is also an input" in err
    assert str(source) in err


def test_scan_refuses_output_linked_to_an_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    original = interaction(1, "你好") + "\n"
    source.write_text(original, encoding="utf-8")
    hard = tmp_path / "hard.jsonl"
    os.link(source, hard)
    soft = tmp_path / "soft.jsonl"
    soft.symlink_to(source)
    for output in (hard, soft, tmp_path / "." / "in.jsonl"):
        assert main(["scan", str(source), "-o", str(output)]) == 2
    assert source.read_text(encoding="utf-8") == original
    assert capsys.readouterr().err.count("the output is also an input") == 3


def test_scan_checks_every_input_before_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(interaction(1, "你好") + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    status = main(["scan", str(good), str(tmp_path / "absent.jsonl"), "-o", str(out)])
    assert status == 2
    assert not out.exists()
    assert "absent.jsonl: no such file" in capsys.readouterr().err


def test_scan_directory_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    assert main(["scan", str(tmp_path), "-o", str(out)]) == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert f"{tmp_path}: is a directory" in err
    assert "Traceback" not in err


def stdin_with(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    stream = io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stream)


def test_scan_reads_json_lines_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin_with(
        monkeypatch,
        "\n" + interaction(1, f"卡号{CARD}") + "\n{broken\n" + interaction(3, "hi"),
    )
    assert main(["scan", "-", "--no-progress"]) == 0
    captured = capsys.readouterr()
    predictions = [json.loads(line) for line in captured.out.splitlines()]
    assert [p["id"] for p in predictions] == ["i1", "i3"]
    assert predictions[0]["findings"][0]["type"] == "BANK_CARD"
    assert "stdin:3: invalid JSON" in captured.err
    assert not sys.stdin.closed


def test_scan_reads_text_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin_with(monkeypatch, f"客户：我的身份证是{ID}\nagent: 好的\n")
    assert main(["scan", "-"]) == 0
    (prediction,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert prediction["id"] == "stdin"
    assert prediction["findings"][0]["type"] == "CN_RESIDENT_ID"


def test_scan_stdin_twice_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin_with(monkeypatch, "hello\n")
    assert main(["scan", "-", "-"]) == 2
    assert "standard input (-) can be given only once" in capsys.readouterr().err


def test_scan_stdin_through_the_real_entry_point(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "scan", "-", "-o", str(out)],
        cwd=ROOT,
        input=interaction(5, f"卡号{CARD}") + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (prediction,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert prediction["id"] == "i5"


@pytest.mark.parametrize(
    ("name", "content", "expected_id"),
    [
        ("note.txt", "{customer note} 卡号{card}\n", "note.txt"),
        ("note", "{customer note} 卡号{card}\n", "note"),
        ("note.log", "[agent] 卡号{card}\n", "note.log"),
        ("lines.json", "{line}\n", "i1"),
        ("lines.ndjson", "{line}\n", "i1"),
        ("lines", "\n\n{line}\n", "i1"),
    ],
)
def test_scan_format_follows_extension_then_content(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str,
    expected_id: str,
) -> None:
    source = tmp_path / name
    text = content.replace("{card}", CARD).replace(
        "{line}", interaction(1, f"卡号{CARD}")
    )
    source.write_text(text, encoding="utf-8")
    assert main(["scan", str(source), "--strict"]) == 0
    (prediction,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert prediction["id"] == expected_id
    assert [f["type"] for f in prediction["findings"]] == ["BANK_CARD"]


def test_scan_jsonl_never_read_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "notes.jsonl"
    source.write_text("{customer note}\n", encoding="utf-8")
    assert main(["scan", str(source), "--strict"]) == 1
    assert "notes.jsonl:1: invalid JSON" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("deep.jsonl", "[" * 100_000 + "]" * 100_000),
        ("deep.jsonl", '{"id": ' + "[" * 5000 + "]" * 5000 + "}"),
        ("deep.json", "[" * 100_000 + "]" * 100_000),
        ("nan.jsonl", '{"id": "x", "channel": "chat", "segments": NaN}'),
    ],
)
def test_scan_skips_hostile_json_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, line: str
) -> None:
    source = tmp_path / name
    source.write_text(line + "\n", encoding="utf-8")
    assert main(["scan", str(source), "--strict"]) == 1
    err = capsys.readouterr().err
    assert "invalid JSON" in err
    assert "skipped" in err


def test_scan_deep_json_line_keeps_later_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "mixed.jsonl"
    source.write_text(
        "[" * 100_000 + "]" * 100_000 + "\n" + interaction(2, "hi") + "\n",
        encoding="utf-8",
    )
    assert main(["scan", str(source)]) == 0
    captured = capsys.readouterr()
    assert [json.loads(x)["id"] for x in captured.out.splitlines()] == ["i2"]
    assert "mixed.jsonl:1: invalid JSON: arrays or objects nested too deeply" in (
        captured.err
    )


def test_scan_deep_json_through_the_real_entry_point(tmp_path: Path) -> None:
    source = tmp_path / "deep.jsonl"
    source.write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "scan", str(source)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    assert "nested too deeply; skipped" in result.stderr


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


def test_second_gateway_on_the_same_data_exits_2(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {
        **os.environ,
        "REDLINE_DATA_DIR": str(data),
        "REDLINE_PORT": str(free_port()),
    }
    first = subprocess.Popen(
        [sys.executable, "-m", "gateway", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{env['REDLINE_PORT']}/healthz")
        second = subprocess.run(
            [sys.executable, "-m", "gateway", "run"],
            cwd=ROOT,
            env={**env, "REDLINE_PORT": str(free_port())},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        first.terminate()
        first.wait(timeout=20)
    assert second.returncode == 2
    assert "already running on the data folder" in second.stderr
    assert str(data.resolve()) in second.stderr
    assert "Traceback" not in second.stderr


# --- `run` in this process, with the listening server replaced ---------------------


class FakeServer:
    """Stands in for waitress: `run` waits for `until` instead of serving."""

    until: Callable[[Runtime], bool] = staticmethod(lambda runtime: True)

    def __init__(self, app: Any, **options: Any) -> None:
        self.runtime: Runtime = app.extensions["redline"]
        self.options = options

    def run(self) -> None:
        deadline = time.monotonic() + 10
        while not type(self).until(self.runtime) and time.monotonic() < deadline:
            time.sleep(0.01)
        for sock in self.options["sockets"]:
            assert sock.getsockname()[0] == "127.0.0.1"
            sock.close()


@pytest.fixture
def run_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    for name in list(os.environ):
        if name.startswith("REDLINE_"):
            monkeypatch.delenv(name)
    env = {"REDLINE_DATA_DIR": str(tmp_path / "data"), "REDLINE_PORT": str(free_port())}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield env


@pytest.fixture
def fake_server(monkeypatch: pytest.MonkeyPatch) -> type[FakeServer]:
    import waitress.server

    class Server(FakeServer):
        pass

    monkeypatch.setattr(waitress.server, "create_server", Server)
    return Server


def run_fails(capsys: pytest.CaptureFixture[str]) -> str:
    """Run `run`, check it exits 2 with one line, and return that line."""
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_run_data_dir_that_is_a_file(
    run_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    Path(run_env["REDLINE_DATA_DIR"]).write_text("x")
    line = run_fails(capsys)
    assert "REDLINE_DATA_DIR is" in line
    assert "which is a file, not a folder" in line


def test_run_data_dir_that_cannot_be_created(
    run_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("REDLINE_DATA_DIR", str(tmp_path / "file" / "data"))
    line = run_fails(capsys)
    assert "cannot create the data folder" in line
    assert str(tmp_path / "file" / "data") in line


def test_run_port_already_in_use(
    run_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    port = int(run_env["REDLINE_PORT"])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        line = run_fails(capsys)
    assert f"port {port} on 127.0.0.1 is already in use" in line
    assert "REDLINE_PORT" in line


@pytest.mark.parametrize("host", ["not a host", "999.1.1.1", "bad_host!"])
def test_run_invalid_host(
    run_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    host: str,
) -> None:
    monkeypatch.setenv("REDLINE_HOST", host)
    line = run_fails(capsys)
    assert line.startswith("configuration error: REDLINE_HOST is")


def test_run_corrupt_queue_key(
    run_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    key = Path(run_env["REDLINE_DATA_DIR"]) / "keys" / "queue.key"
    key.parent.mkdir(parents=True)
    key.write_text("not-a-fernet-key\n")
    line = run_fails(capsys)
    assert f"queue key file {key} is not a valid Fernet key" in line
    assert "discards the jobs still queued" in line


@pytest.mark.parametrize("kind", ["garbage", "folder"])
def test_run_unusable_database(
    run_env: dict[str, str], capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    database = Path(run_env["REDLINE_DATA_DIR"]) / "redline.db"
    database.parent.mkdir()
    if kind == "folder":
        database.mkdir()
    else:
        database.write_bytes(b"certainly not SQLite\n" * 100)
    line = run_fails(capsys)
    assert f"database {database} is" in line


def test_run_when_data_folder_is_locked(
    run_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data = Path(run_env["REDLINE_DATA_DIR"])
    data.mkdir()
    held = DataDirLock(data)
    held.acquire()
    try:
        line = run_fails(capsys)
    finally:
        held.release()
    assert f"already running on the data folder {data.resolve()}" in line


def test_run_requeues_jobs_left_running(
    run_env: dict[str, str],
    fake_server: type[FakeServer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    settings = Settings.from_env(run_env)
    runtime = Runtime.build(settings)
    runtime.queue.enqueue(
        "zendesk.ticket",
        {
            "ticket_id": "91",
            "event": "trigger",
            "dedupe_key": "zendesk:invocation:orphan",
            "comment": {"id": "latest", "body": f"卡号{CARD}"},
        },
    )
    assert runtime.queue.claim(300) is not None
    runtime.database.close()
    fake_server.until = staticmethod(lambda rt: rt.queue.counts()["done"] == 1)
    handler_before = signal.getsignal(signal.SIGTERM)

    assert main(["run"]) == 0

    assert "queued 1 job(s) again that a previous gateway left running" in caplog.text
    reopened = Runtime.build(settings)
    assert reopened.queue.counts()["done"] == 1
    assert len(reopened.outbox.list()) == 2
    reopened.database.close()
    assert signal.getsignal(signal.SIGTERM) is handler_before
    assert CARD not in caplog.text


def test_run_warns_about_unknown_variables(
    run_env: dict[str, str],
    fake_server: type[FakeServer],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REDLINE_WORKER", "4")
    monkeypatch.setenv("REDLINE_API_TOKN", "secret-value-123")
    assert main(["run"]) == 0
    (line,) = [r.getMessage() for r in caplog.records if "unknown" in r.getMessage()]
    assert "REDLINE_API_TOKN (did you mean REDLINE_API_TOKEN?)" in line
    assert "REDLINE_WORKER (did you mean REDLINE_WORKERS?)" in line
    assert "secret-value-123" not in caplog.text


def test_run_interrupt_during_stop_is_quiet(
    run_env: dict[str, str],
    fake_server: type[FakeServer],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def interrupted(self: Worker, timeout: float = 10.0) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Worker, "stop", interrupted)
    try:
        status = main(["run"])
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped from worker.stop")
    assert status == 1
    assert "stopped without waiting for 0 running job(s)" in caplog.text
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (socket.gaierror(-2, "Name or service not known"), "cannot resolve host"),
        (OSError(errno.EADDRNOTAVAIL, "Cannot assign"), "not one of this machine's"),
        (OSError(errno.EACCES, "Permission denied"), "port above 1023"),
        (OSError(errno.ENOBUFS, "No buffer space"), "(No buffer space)"),
    ],
)
def test_listen_problems_name_the_fix(error: OSError, expected: str) -> None:
    message = _listen_problem(error, "gateway.example", 80)
    assert expected in message
    assert "REDLINE_" in message


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_run_rejects_bad_port_option(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["run", "--port", port])
    assert caught.value.code == 2
    assert "--port" in capsys.readouterr().err


def test_debug_logging_keeps_request_urls_out(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from gateway.cli import QUIET_LOGGERS, configure_logging

    class Quiet(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the handler's method name
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    for name in QUIET_LOGGERS:
        monkeypatch.setattr(logging.getLogger(name), "level", logging.NOTSET)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        configure_logging("DEBUG")
        with caplog.at_level(logging.DEBUG):
            requests.get(
                f"http://127.0.0.1:{server.server_port}/gettoken?corpsecret=s3cret-value",
                timeout=5,
            )
    finally:
        server.shutdown()
        server.server_close()
    assert "s3cret-value" not in caplog.text
