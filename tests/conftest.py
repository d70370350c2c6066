"""Shared fixtures: a runtime on a temporary data folder, and a fixed clock."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.config import Settings, ZendeskSettings

pytest_plugins = ["tests.fakes.zendesk_server"]

WEBHOOK_SECRET = "test-signing-secret-for-redline"


class FrozenClock:
    """A settable clock for the gateway, ledger and queue."""

    def __init__(self, moment: datetime.datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime.datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += datetime.timedelta(**delta)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        zendesk=ZendeskSettings(webhook_secrets=(WEBHOOK_SECRET,)),
    )


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Local test servers must never be reached through a proxy.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield
