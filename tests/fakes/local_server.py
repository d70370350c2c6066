"""Lifecycle shared by the fakes that serve a platform API on 127.0.0.1.

A subclass implements `_wsgi_app`. `LocalServer` binds it with werkzeug on a
port the system picks, serves it in a daemon thread, and stops it again.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

HOST = "127.0.0.1"


class _QuietRequestHandler(WSGIRequestHandler):
    """Request handler that skips werkzeug's per-request access log line."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LocalServer(ABC):
    """WSGI server on a free port of 127.0.0.1, run in a daemon thread.

    Use it as a context manager, or call `start()` and `stop()`. Error
    messages name the subclass, such as "FakeSlack is not running".
    """

    def __init__(self) -> None:
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Bind a free port on 127.0.0.1 and serve requests in a daemon thread."""
        name = type(self).__name__
        if self._server is not None:
            raise RuntimeError(f"{name} is already running")
        server = make_server(
            HOST,
            0,
            self._wsgi_app,
            threaded=True,
            request_handler=_QuietRequestHandler,
        )
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{name}:{server.server_port}",
            daemon=True,
        )
        self._server = server
        self._thread = thread
        thread.start()

        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket. Safe to call twice."""
        server, thread = self._server, self._thread
        self._server = None
        self._thread = None
        if server is None:
            return

        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether `start()` has bound a port that `stop()` has not closed."""
        return self._server is not None

    @property
    def port(self) -> int:
        """TCP port the server listens on."""
        if self._server is None:
            raise RuntimeError(
                f"{type(self).__name__} is not running; call start() first"
            )
        return int(self._server.server_port)

    @abstractmethod
    def _wsgi_app(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Handle one request. The server calls it on a worker thread."""
