"""`python -m gateway install wecom --wait`: the gateway records URL checks, the CLI polls.

The end-to-end test serves the gateway app on 127.0.0.1 in a thread, runs
the install command in a subprocess, and sends WeCom's verification request
encrypted with wechatpy's crypto. The network guard of the WeCom adapter
tests is imported, so nothing here can reach another host.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from adapters.wecom.app import WeComApp
from gateway.app import create_app
from gateway.cli import main
from gateway.runtime import Runtime
from gateway.wecom import (
    DATABASE_FILE,
    INSTALLED_APP_FILE,
    URL_REJECTED_KEY,
    URL_VERIFIED_KEY,
    wait_for_url_check,
)
from infra.config import Settings, WeComAppSettings, WeComSettings
from infra.datadir import DataDirLock
from infra.sqlite import Database, SqliteKeyValue
from tests.adapters.wecom.conftest import _block_outside_network  # noqa: F401
from tests.adapters.wecom.helpers import url_check
from tests.conftest import FrozenClock

REPOSITORY = Path(__file__).resolve().parents[2]
CORP_ID = "wwinstall0000001"
ECHO = "5927638820004211"
APP = WeComAppSettings(
    name="support",
    corp_id=CORP_ID,
    token="InstallTestToken0001",
    encoding_aes_key="InstallTestKey0123456789abcdefghijklmnopqrs",
)


def adapter_app(app: WeComAppSettings) -> WeComApp:
    return WeComApp(
        name=app.name,
        corp_id=app.corp_id,
        token=app.token,
        encoding_aes_key=app.encoding_aes_key,
    )


def installed_app(data_dir: Path) -> WeComApp:
    [entry] = json.loads((data_dir / "keys" / INSTALLED_APP_FILE).read_text())
    return WeComApp(
        name=entry["name"],
        corp_id=entry["corp_id"],
        token=entry["token"],
        encoding_aes_key=entry["encoding_aes_key"],
    )


class ServedGateway:
    """The gateway app on a free port of 127.0.0.1, served from a thread."""

    def __init__(self, runtime: Runtime) -> None:
        self.server = make_server("127.0.0.1", 0, create_app(runtime), threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> ServedGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("REDLINE_"):
            monkeypatch.delenv(name)
    path = tmp_path / "data"
    monkeypatch.setenv("REDLINE_DATA_DIR", str(path))
    return path


@pytest.fixture
def gateway_lock(data_dir: Path) -> Iterator[DataDirLock]:
    """The data folder lock, held as a running `gateway run` holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = DataDirLock(data_dir)
    lock.acquire()
    yield lock
    lock.release()


def read_until(process: subprocess.Popen[str], marker: str) -> str:
    """Read the process's output until a line contains `marker`, or it ends."""
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if marker in line:
            break
    return "".join(seen)


# --- end to end ---------------------------------------------------------


def test_wait_confirms_url_check_end_to_end(
    data_dir: Path, gateway_lock: DataDirLock
) -> None:
    assert main(["install", "wecom", "--corp-id", CORP_ID]) == 0
    app = installed_app(data_dir)
    runtime = Runtime.build(Settings(data_dir=data_dir))
    assert [known.name for known in runtime.wecom_apps] == ["default"]

    with ServedGateway(runtime) as gateway:
        command = [
            sys.executable,
            "-m",
            "gateway",
            "install",
            "wecom",
            "--wait",
            "--timeout",
            "120",
            "--url",
            gateway.base_url,
        ]
        process = subprocess.Popen(
            command,
            cwd=REPOSITORY,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            before = read_until(process, "Waiting up to")
            assert "Waiting up to 120 s" in before
            assert "No gateway is running" not in before

            url = f"{gateway.base_url}/webhooks/wecom/default"
            timestamp = str(int(runtime.clock().timestamp()))
            wrong = replace(app, token="NotTheInstalledToken")
            query, _ = url_check(wrong, ECHO, timestamp, "1")
            rejected = requests.get(f"{url}?{query.decode()}", timeout=10)
            assert rejected.status_code == 401
            query, _ = url_check(app, ECHO, timestamp, "2")
            verified = requests.get(f"{url}?{query.decode()}", timeout=10)
            assert verified.status_code == 200
            assert verified.text == ECHO

            after, errors = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, errors
    assert "Rejected: a verification request for app default" in after
    assert "got HTTP 401" in after
    assert "check the callback Token" in after
    assert "Verified: the gateway answered WeCom's verification request" in after
    assert after.index("Rejected:") < after.index("Verified:")

    records = SqliteKeyValue(runtime.database)
    record = records.get(URL_VERIFIED_KEY + "default")
    assert sorted(record) == ["app", "at", "count"]
    assert record["count"] == 1
    stored = json.dumps(
        [record, records.get(URL_REJECTED_KEY + "default")], ensure_ascii=False
    )
    assert app.token not in stored
    assert app.encoding_aes_key not in stored
    runtime.database.close()


# --- what the gateway records -------------------------------------------


@pytest.fixture
def runtime(settings: Settings, clock: FrozenClock) -> Iterator[Runtime]:
    configured = replace(settings, wecom=WeComSettings(apps=(APP,)))
    runtime = Runtime.build(configured, clock=clock)
    yield runtime
    runtime.database.close()


def test_url_checks_are_counted(runtime: Runtime, clock: FrozenClock) -> None:
    client = create_app(runtime).test_client()
    timestamp = str(int(clock().timestamp()))
    for nonce in ("1", "2"):
        query, _ = url_check(adapter_app(APP), ECHO, timestamp, nonce)
        # Without the app in the path, the signature picks the app.
        assert client.get(f"/webhooks/wecom?{query.decode()}").status_code == 200
    assert runtime.key_values is not None
    record = runtime.key_values.get(URL_VERIFIED_KEY + "support")
    assert record == {"app": "support", "at": "2026-03-02T09:30:00Z", "count": 2}


def test_rejected_url_check_recorded_for_known_app(
    runtime: Runtime, clock: FrozenClock
) -> None:
    client = create_app(runtime).test_client()
    stale = str(int(clock().timestamp()) - 3600)
    query, _ = url_check(adapter_app(APP), ECHO, stale)
    assert client.get(f"/webhooks/wecom/support?{query.decode()}").status_code == 401
    assert client.get(f"/webhooks/wecom/other?{query.decode()}").status_code == 401

    assert runtime.key_values is not None
    record = runtime.key_values.get(URL_REJECTED_KEY + "support")
    assert record["status"] == 401
    assert "outside the allowed window" in record["reason"]
    assert "3600 s behind" in record["reason"]
    assert runtime.key_values.get(URL_REJECTED_KEY + "other") is None
    assert runtime.key_values.get(URL_VERIFIED_KEY + "support") is None


# --- waiting --------------------------------------------------------------


class StepClock:
    """A monotonic clock that moves only when the wait sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def set_record(data_dir: Path, key: str, value: object) -> None:
    database = Database(data_dir / DATABASE_FILE)
    SqliteKeyValue(database).set(key, value)
    database.close()


def test_wait_times_out_with_checks(data_dir: Path) -> None:
    clock = StepClock()
    out = io.StringIO()
    status = wait_for_url_check(
        data_dir,
        ["support"],
        3,
        base_url="https://redline.example.com",
        monotonic=clock,
        sleep=clock.sleep,
        out=out,
    )
    assert status == 1
    text = out.getvalue()
    assert "Timed out after 3 s" in text
    assert "https://redline.example.com/webhooks/wecom/support" in text
    assert "reachable from the internet" in text
    assert "Token and EncodingAESKey" in text
    assert "corp id" in text
    assert "No gateway is running" in text
    assert sum(clock.sleeps) == 3


def test_wait_ignores_earlier_verification(
    data_dir: Path, gateway_lock: DataDirLock
) -> None:
    earlier = {"app": "support", "at": "2026-03-01T08:00:00Z", "count": 1}
    set_record(data_dir, URL_VERIFIED_KEY + "support", earlier)
    clock = StepClock()
    out = io.StringIO()
    status = wait_for_url_check(
        data_dir, ["support"], 2, monotonic=clock, sleep=clock.sleep, out=out
    )
    assert status == 1
    assert "last verified at 2026-03-01T08:00:00Z" in out.getvalue()
    assert "No gateway is running" not in out.getvalue()


def test_wait_returns_when_every_app_verified(data_dir: Path) -> None:
    clock = StepClock()
    arrivals = iter(["support", "billing"])

    def sleep(seconds: float) -> None:
        # Each sleep stands for a URL check that the gateway verified.
        clock.sleep(seconds)
        name = next(arrivals, None)
        if name is not None:
            record = {"app": name, "at": "2026-03-02T09:30:00Z", "count": 1}
            set_record(data_dir, URL_VERIFIED_KEY + name, record)

    out = io.StringIO()
    status = wait_for_url_check(
        data_dir, ["support", "billing"], 60, monotonic=clock, sleep=sleep, out=out
    )
    assert status == 0
    assert len(clock.sleeps) == 2
    text = out.getvalue()
    assert text.count("Verified:") == 2
    assert "Timed out" not in text


# --- command line -------------------------------------------------------


def test_timeout_needs_wait(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["install", "wecom", "--timeout", "5"]) == 2
    assert "add --wait" in capsys.readouterr().err
    assert not (data_dir / "keys" / INSTALLED_APP_FILE).exists()


@pytest.mark.parametrize("value", ["0", "-3", "soon", "nan", "inf"])
def test_bad_timeout_rejected(
    data_dir: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["install", "wecom", "--wait", "--timeout", value])
    assert caught.value.code == 2
    assert "--timeout" in capsys.readouterr().err


def test_wait_without_corp_id_fails(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["install", "wecom", "--wait", "--timeout", "5"]) == 2
    output = capsys.readouterr().out
    assert "cannot wait for app default" in output
    assert "--corp-id" in output


def test_app_option_picks_one_app(
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    billing = replace(APP, name="billing", token="BillingToken00000001")
    entries = [
        {
            "name": app.name,
            "corp_id": app.corp_id,
            "token": app.token,
            "encoding_aes_key": app.encoding_aes_key,
        }
        for app in (APP, billing)
    ]
    monkeypatch.setenv("REDLINE_WECOM_APPS", json.dumps(entries))
    assert main(["install", "wecom", "--app", "billing"]) == 0
    output = capsys.readouterr().out
    assert "/webhooks/wecom/billing" in output
    assert billing.token in output
    assert APP.token not in output

    assert main(["install", "wecom", "--app", "nosuch"]) == 2
    output = capsys.readouterr().out
    assert "no WeCom app is named 'nosuch'" in output
    assert "support, billing" in output


def test_changed_app_file_asks_for_restart(
    data_dir: Path, gateway_lock: DataDirLock, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["install", "wecom"]) == 0
    assert "restart it" in capsys.readouterr().out
    assert main(["install", "wecom"]) == 0
    assert "restart it" not in capsys.readouterr().out
    assert main(["install", "wecom", "--corp-id", CORP_ID]) == 0
    assert "restart it" in capsys.readouterr().out
