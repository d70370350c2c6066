"""Fixtures for the WeCom adapter tests, and a guard that keeps them offline.

The guard is autouse: any name lookup or TCP connection to a host other than
127.0.0.1 raises `NetworkBlocked` in every test of this package, so no test
can reach qyapi.weixin.qq.com even through a URL that wechatpy hard-codes.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from adapters.wecom.api import WeComApi
from tests.fakes.wecom_server import (
    TEST_AGENT_ID,
    TEST_CORP_ID,
    TEST_SECRET,
    FakeWeCom,
    fake_wecom,  # noqa: F401 - pytest fixture
)

ALLOWED_HOST = "127.0.0.1"


class NetworkBlocked(AssertionError):
    """A test tried to reach a host other than 127.0.0.1."""


@pytest.fixture(autouse=True)
def _block_outside_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name != ALLOWED_HOST:
            raise NetworkBlocked(f"test tried to resolve {name!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        is_ip = self.family in (socket.AF_INET, socket.AF_INET6)
        if is_ip and address[0] != ALLOWED_HOST:
            raise NetworkBlocked(f"test tried to connect to {address[0]!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    yield


class ManualClock:
    """A settable clock in Unix seconds, for token expiry."""

    def __init__(self, now: float = 1_767_225_600.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def manual_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_api(
    fake_wecom: FakeWeCom,  # noqa: F811
    manual_clock: ManualClock,
) -> Callable[..., WeComApi]:
    """Build a `WeComApi` aimed at the running fake; keywords override defaults."""

    def build(**options: Any) -> WeComApi:
        settings: dict[str, Any] = {
            "corp_id": TEST_CORP_ID,
            "secret": TEST_SECRET,
            "agent_id": TEST_AGENT_ID,
            "api_base_url": fake_wecom.api_base_url,
            "timeout": 5.0,
            "clock": manual_clock,
        }
        settings.update(options)
        return WeComApi(**settings)

    return build
