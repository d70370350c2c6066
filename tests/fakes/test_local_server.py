from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from werkzeug.wrappers import Response

from tests.fakes.local_server import LocalServer


class EchoPath(LocalServer):
    def _wsgi_app(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        response = Response(environ["PATH_INFO"], mimetype="text/plain")
        return response(environ, start_response)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


def test_serves_subclass_app_on_loopback() -> None:
    with EchoPath() as server:
        assert server.running
        assert _get(f"http://127.0.0.1:{server.port}/ping") == "/ping"


def test_port_before_start_names_subclass() -> None:
    server = EchoPath()

    with pytest.raises(RuntimeError, match=r"^EchoPath is not running; call start"):
        _ = server.port
    assert not server.running


def test_second_start_raises() -> None:
    with EchoPath() as server:
        port = server.port
        with pytest.raises(RuntimeError, match=r"^EchoPath is already running$"):
            server.start()
        assert server.port == port


def test_stop_closes_socket_and_is_idempotent() -> None:
    server = EchoPath().start()
    url = f"http://127.0.0.1:{server.port}/"
    server.stop()
    server.stop()

    assert not server.running
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.port
    with pytest.raises(urllib.error.URLError):
        _get(url)


def test_restart_after_stop() -> None:
    server = EchoPath().start()
    server.stop()

    with server:
        assert _get(f"http://127.0.0.1:{server.port}/again") == "/again"
    assert not server.running


def test_abstract_without_wsgi_app() -> None:
    with pytest.raises(TypeError, match="_wsgi_app"):
        LocalServer()  # type: ignore[abstract]
