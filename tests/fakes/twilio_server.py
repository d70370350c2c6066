"""Local fake of the Twilio APIs that Redline reads, over HTTP on 127.0.0.1.

`FakeTwilio` serves, for one account:

- `GET /v2/Transcripts/<GT sid>`: a Voice Intelligence transcript, whose
  `channel.media_properties.source_sid` names its recording;
- `GET /v2/Transcripts/<GT sid>/Sentences`: the sentences, `page_size` per
  page, with `meta.next_page_url` as Twilio sends it;
- `GET /2010-04-01/Accounts/<AC sid>/Recordings/<RE sid>.wav`: a recording,
  or a redirect to `redirect_recordings_to` when that is set.

Every request needs basic authentication with the account SID and Auth
Token, as Twilio does; a failure gets 401 and Twilio's JSON error body. Each
request is recorded. Point `TwilioSentenceFetcher` at `FakeTwilio.base_url`
and recording URLs at the same base.

The pytest fixture `fake_twilio` is defined at the end of this module.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from werkzeug.wrappers import Request, Response

from tests.fakes.local_server import LocalServer

ACCOUNT_SID = "AC" + "5a" * 16
AUTH_TOKEN = "fake-twilio-auth-token"


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    authorised: bool


@dataclass
class _Transcript:
    sentences: list[dict[str, Any]]
    recording_sid: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class FakeTwilio(LocalServer):
    """Transcripts, sentences and recordings of one Twilio account."""

    def __init__(
        self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN
    ) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        #: Sentences per page; smaller than the count forces several pages.
        self.page_size = 2
        #: When set, recording requests get a 302 to this base URL plus the path.
        self.redirect_recordings_to: str | None = None
        #: HTTP status for the next sentences request, then 200 again.
        self.fail_next_sentences: int | None = None
        self.requests: list[RecordedRequest] = []
        self._transcripts: dict[str, _Transcript] = {}
        self._recordings: dict[str, bytes] = {}
        self._lock = threading.RLock()

    # -- addresses -------------------------------------------------------

    @property
    def host(self) -> str:
        """`127.0.0.1:PORT`, as listed in an allow-list."""
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    # -- seeding state ---------------------------------------------------

    def add_transcript(
        self,
        transcript_sid: str,
        sentences: list[dict[str, Any]],
        recording_sid: str | None = None,
    ) -> None:
        with self._lock:
            self._transcripts[transcript_sid] = _Transcript(
                list(sentences), recording_sid
            )

    def add_recording(self, recording_sid: str, data: bytes) -> None:
        with self._lock:
            self._recordings[recording_sid] = data

    def recording_url(self, recording_sid: str) -> str:
        return (
            f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Recordings/"
            f"{recording_sid}"
        )

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    # -- serving ---------------------------------------------------------

    def _authorised(self, request: Request) -> bool:
        expected = base64.b64encode(
            f"{self.account_sid}:{self.auth_token}".encode()
        ).decode()
        return request.headers.get("Authorization", "") == f"Basic {expected}"

    def _wsgi_app(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        authorised = self._authorised(request)
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    request.method, request.path, dict(request.args), authorised
                )
            )
            if not authorised:
                response = _error(401, 20003, "Authenticate")
            else:
                response = self._route(request)
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if request.method != "GET":
            return _error(405, 20004, "Method not allowed")
        if len(parts) == 3 and parts[:2] == ["v2", "Transcripts"]:
            return self._transcript(request, parts[2])
        if len(parts) == 4 and parts[:2] + parts[3:] == [
            "v2",
            "Transcripts",
            "Sentences",
        ]:
            return self._sentences(request, parts[2])
        recording = ["2010-04-01", "Accounts", self.account_sid, "Recordings"]
        if len(parts) == 5 and parts[:4] == recording:
            return self._recording(request, parts[4])
        return _error(404, 20404, "The requested resource was not found")

    def _transcript(self, request: Request, sid: str) -> Response:
        transcript = self._transcripts.get(sid)
        if transcript is None:
            return _error(404, 20404, "The requested resource was not found")
        media: dict[str, Any] = {}
        if transcript.recording_sid:
            media["source_sid"] = transcript.recording_sid
        return _json(
            {
                "account_sid": self.account_sid,
                "service_sid": "GA" + "6b" * 16,
                "sid": sid,
                "status": "completed",
                "channel": {"media_properties": media},
                "url": f"{request.host_url}v2/Transcripts/{sid}",
            }
        )

    def _sentences(self, request: Request, sid: str) -> Response:
        if self.fail_next_sentences is not None:
            status, self.fail_next_sentences = self.fail_next_sentences, None
            return _error(status, 20500, "Service unavailable")
        transcript = self._transcripts.get(sid)
        if transcript is None:
            return _error(404, 20404, "The requested resource was not found")
        page = int(request.args.get("Page", "0"))
        size = self.page_size
        items = transcript.sentences[page * size : (page + 1) * size]
        if request.args.get("WordTimestamps") != "true":
            items = [{**item, "words": None} for item in items]
        url = f"{request.host_url}v2/Transcripts/{sid}/Sentences"
        more = (page + 1) * size < len(transcript.sentences)
        # Like Twilio's, the next page's URL keeps the request's own options.
        query = {**request.args, "PageSize": str(size), "Page": str(page + 1)}
        next_url = f"{url}?{urlencode(query)}" if more else None
        return _json(
            {
                "sentences": items,
                "meta": {
                    "key": "sentences",
                    "page": page,
                    "page_size": size,
                    "next_page_url": next_url,
                    "url": url,
                },
            }
        )

    def _recording(self, request: Request, name: str) -> Response:
        if self.redirect_recordings_to is not None:
            target = self.redirect_recordings_to.rstrip("/") + request.path
            return Response(status=302, headers={"Location": target})
        data = self._recordings.get(name.removesuffix(".wav"))
        if data is None or not name.endswith(".wav"):
            return _error(404, 20404, "The requested resource was not found")
        return Response(data, content_type="audio/x-wav")


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(payload), status, content_type="application/json")


def _error(status: int, code: int, message: str) -> Response:
    return _json({"code": code, "message": message, "status": status}, status)


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """Running `FakeTwilio`, stopped after the test."""
    with FakeTwilio() as server:
        yield server
