"""Recording downloads and reads: allow-list, redirects, credentials, size."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from adapters.errors import PermanentFailure, RetryLater
from adapters.telephony.audio import merge_ranges
from adapters.telephony.recording import (
    RecordingDownloader,
    RecordingRejected,
    check_recording_url,
    read_recording,
)

AUDIO = b"RIFF" + bytes(range(256)) * 40


class Host:
    """A local server that returns a response per path and records request headers."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.routes: dict[str, Response] = {}
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, self._app)
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.server.server_port}"

    def url(self, path: str) -> str:
        return f"http://{self.netloc}{path}"

    def _app(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        self.seen.append((request.path, dict(request.headers)))
        response = self.routes.get(request.path, Response("missing", status=404))
        return response(environ, start_response)


@pytest.fixture
def hosts() -> Iterator[tuple[Host, Host]]:
    pair = (Host(), Host())
    for host in pair:
        host.thread.start()
    yield pair
    for host in pair:
        host.server.shutdown()
        host.server.server_close()


@pytest.mark.parametrize(
    ("url", "allowed", "reason"),
    [
        ("https://media.example.com/a.wav", ("media.example.com",), None),
        ("https://media.example.com:8443/a.wav", ("media.example.com",), None),
        ("https://media.example.com:8443/a.wav", ("media.example.com:9000",), "not"),
        ("https://other.example.com/a.wav", ("media.example.com",), "not an allowed"),
        ("http://media.example.com/a.wav", ("media.example.com",), "only https"),
        ("http://127.0.0.1:8000/a.wav", ("127.0.0.1:8000",), None),
        ("https://u:p@media.example.com/a.wav", ("media.example.com",), "user name"),
        ("https://media.example.com:99999/a.wav", ("media.example.com",), "port"),
        ("file:///etc/passwd", ("media.example.com",), "not an allowed"),
        ("https://[::1/a.wav", ("media.example.com",), "not a valid URL"),
    ],
)
def test_check_recording_url(
    url: str, allowed: tuple[str, ...], reason: str | None
) -> None:
    if reason is None:
        assert check_recording_url(url, allowed) == url
    else:
        with pytest.raises(RecordingRejected, match=reason):
            check_recording_url(url, allowed)


def test_credentials_only_to_their_host(hosts: tuple[Host, Host]) -> None:
    first, second = hosts
    first.routes["/r.wav"] = Response(
        status=302, headers={"Location": second.url("/signed.wav")}
    )
    second.routes["/signed.wav"] = Response(AUDIO)
    download = RecordingDownloader(
        (first.netloc, second.netloc),
        max_bytes=len(AUDIO),
        credentials={first.netloc: ("AC1", "token")},
    )

    assert download(first.url("/r.wav")) == AUDIO
    assert "Authorization" in first.seen[0][1]
    assert "Authorization" not in second.seen[0][1]


def test_redirect_off_the_list_not_followed(hosts: tuple[Host, Host]) -> None:
    first, second = hosts
    first.routes["/r.wav"] = Response(
        status=307, headers={"Location": second.url("/x.wav")}
    )
    download = RecordingDownloader((first.netloc,), max_bytes=10_000)

    with pytest.raises(RecordingRejected, match="redirect rejected"):
        download(first.url("/r.wav"))
    assert second.seen == []


def test_redirect_loop_stops(hosts: tuple[Host, Host]) -> None:
    first, _ = hosts
    first.routes["/r.wav"] = Response(status=302, headers={"Location": "/r.wav"})
    download = RecordingDownloader((first.netloc,), max_bytes=10_000)

    with pytest.raises(RecordingRejected, match="redirects more than"):
        download(first.url("/r.wav"))
    assert len(first.seen) == 4


def test_size_limit_declared_and_streamed(hosts: tuple[Host, Host]) -> None:
    first, _ = hosts
    first.routes["/declared.wav"] = Response(AUDIO)

    def chunks() -> Iterator[bytes]:
        yield AUDIO
        yield AUDIO

    first.routes["/streamed.wav"] = Response(chunks())
    download = RecordingDownloader((first.netloc,), max_bytes=len(AUDIO) - 1)

    with pytest.raises(RecordingRejected, match=f"{len(AUDIO)} bytes, over"):
        download(first.url("/declared.wav"))
    with pytest.raises(RecordingRejected, match="over the limit"):
        download(first.url("/streamed.wav"))


@pytest.mark.parametrize(
    ("status", "error"), [(503, RetryLater), (429, RetryLater), (404, PermanentFailure)]
)
def test_http_errors_classified(
    hosts: tuple[Host, Host], status: int, error: type[Exception]
) -> None:
    first, _ = hosts
    first.routes["/r.wav"] = Response("no", status=status)
    download = RecordingDownloader((first.netloc,), max_bytes=10_000)

    with pytest.raises(error, match=f"HTTP {status}"):
        download(first.url("/r.wav"))


def test_unreachable_host_retries() -> None:
    # A port that was just free, so nothing listens on it.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    download = RecordingDownloader((f"127.0.0.1:{port}",), 10_000, timeout=2)

    with pytest.raises(RetryLater, match="unreachable"):
        download(f"http://127.0.0.1:{port}/r.wav")


def test_read_recording_inside_folder(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    (folder / "2026").mkdir(parents=True)
    (folder / "2026" / "a.wav").write_bytes(AUDIO)

    assert read_recording("2026/a.wav", folder, len(AUDIO)) == AUDIO
    assert read_recording(str(folder / "2026" / "a.wav"), folder, len(AUDIO)) == AUDIO
    with pytest.raises(RecordingRejected, match="REDLINE_MAX_RECORDING_BYTES"):
        read_recording("2026/a.wav", folder, len(AUDIO) - 1)


def test_read_recording_rejects_ways_out(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    (tmp_path / "secret.wav").write_bytes(AUDIO)
    (folder / "link.wav").symlink_to(tmp_path / "secret.wav")

    for path in ("../secret.wav", "link.wav", str(tmp_path / "secret.wav")):
        with pytest.raises(RecordingRejected, match="outside"):
            read_recording(path, folder, 10_000)
    with pytest.raises(RecordingRejected, match="not a regular file"):
        read_recording(".", folder, 10_000)
    with pytest.raises(RecordingRejected, match="REDLINE_RECORDINGS_DIR is not set"):
        read_recording("link.wav", None, 10_000)
    with pytest.raises(RecordingRejected, match="NUL character"):
        read_recording("a.wav\x00.txt", folder, 10_000)


@pytest.mark.parametrize(
    ("ranges", "merged"),
    [
        ([], []),
        ([(50, 60), (10, 20)], [(10, 20), (50, 60)]),
        ([(10, 20), (15, 30), (30, 35)], [(10, 35)]),
        ([(10, 40), (15, 20)], [(10, 40)]),
        ([(10, 5), (1, 2)], [(1, 2)]),
    ],
)
def test_merge_ranges(
    ranges: list[tuple[int, int]], merged: list[tuple[int, int]]
) -> None:
    assert merge_ranges(ranges) == merged
