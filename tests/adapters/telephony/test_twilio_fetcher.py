"""TwilioSentenceFetcher against a stand-in Intelligence API on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from adapters.errors import PermanentFailure, RetryLater
from adapters.telephony.twilio import TwilioSentenceFetcher

TRANSCRIPT_SID = "GT" + "e5" * 16
SENTENCE = {
    "sid": "GX" + "f6" * 16,
    "media_channel": 2,
    "sentence_index": 0,
    "start_time": "1.0",
    "end_time": "2.0",
    "transcript": "One moment.",
    "words": [],
}


class _Handler(BaseHTTPRequestHandler):
    status = 200
    paths: list[str] = []
    source_sid: str | None = None

    def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
        type(self).paths.append(self.path)
        if self.path == f"/v2/Transcripts/{TRANSCRIPT_SID}":
            media = {"source_sid": type(self).source_sid}
            payload: dict[str, object] = {
                "sid": TRANSCRIPT_SID,
                "channel": {"media_properties": media},
            }
        else:
            payload = {
                "sentences": [SENTENCE],
                "meta": {"key": "sentences", "next_page_url": None},
            }
        body = json.dumps(payload).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    _Handler.status = 200
    _Handler.paths = []
    _Handler.source_sid = None
    httpd = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def fetcher(httpd: HTTPServer) -> TwilioSentenceFetcher:
    host, port = httpd.server_address[:2]
    return TwilioSentenceFetcher(
        "AC" + "0" * 32, "token", base_url=f"http://{host!s}:{port}", timeout=5
    )


def test_fetcher_reads_sentences(server: HTTPServer) -> None:
    sentences = fetcher(server)(TRANSCRIPT_SID)

    assert [s["sid"] for s in sentences] == [SENTENCE["sid"]]
    assert sentences[0]["media_channel"] == 2
    assert _Handler.paths[0].startswith(f"/v2/Transcripts/{TRANSCRIPT_SID}/Sentences")
    assert "WordTimestamps=true" in _Handler.paths[0]


@pytest.mark.parametrize(
    ("status", "error"), [(503, RetryLater), (429, RetryLater), (404, PermanentFailure)]
)
def test_fetcher_maps_errors(
    server: HTTPServer, status: int, error: type[Exception]
) -> None:
    _Handler.status = status

    with pytest.raises(error):
        fetcher(server)(TRANSCRIPT_SID)


@pytest.mark.parametrize(
    ("source_sid", "expected"),
    [
        ("RE" + "a7" * 16, "RE" + "a7" * 16),
        ("RE../../Accounts", None),
        ("CA" + "a7" * 16, None),
        (None, None),
    ],
)
def test_fetcher_reads_recording_sid(
    server: HTTPServer, source_sid: str | None, expected: str | None
) -> None:
    _Handler.source_sid = source_sid

    assert fetcher(server).recording_sid(TRANSCRIPT_SID) == expected


def test_recording_sid_error_mapped(server: HTTPServer) -> None:
    _Handler.status = 503

    with pytest.raises(RetryLater):
        fetcher(server).recording_sid(TRANSCRIPT_SID)
