"""Call recordings to mute: read from an allowed folder or an allowed host.

A recording URL must use https and name a host of the allow-list, given as
`host` or `host:port`. Plain http is accepted only for 127.0.0.1 once it is
listed, for tests. A redirect is followed only to a URL that passes the same
check, so a download never leaves the allow-list. Credentials go only to the
host they are configured for. The size limit is checked on Content-Length
and again while reading.

Messages name hosts, never paths or query strings, because a recording's
name can contain a phone number and job errors are stored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import SplitResult, urljoin, urlsplit

import requests

from adapters.errors import PermanentFailure, RetryLater

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
MAX_REDIRECTS = 3
DOWNLOAD_TIMEOUT_SECONDS = 30.0
_CHUNK_BYTES = 64 * 1024
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class RecordingRejected(PermanentFailure):
    """A recording rejected because its host, folder or size is not allowed."""


def _host_and_port(url: SplitResult) -> tuple[str, str]:
    """Return the host and `host:port` of a URL, or raise `RecordingRejected`."""
    try:
        port = url.port
    except ValueError:
        raise RecordingRejected("recording URL has an invalid port") from None
    host = (url.hostname or "").lower()
    return host, f"{host}:{port}" if port else host


def check_recording_url(url: str, hosts: Sequence[str]) -> str:
    """Return `url` when it may be downloaded, else raise `RecordingRejected`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise RecordingRejected(
            "recording URL is not a valid URL; give an https URL"
        ) from None
    if parts.username is not None or parts.password is not None:
        raise RecordingRejected("recording URL must not carry a user name or password")
    host, with_port = _host_and_port(parts)
    if not host or (host not in hosts and with_port not in hosts):
        raise RecordingRejected(
            f"recording host {host[:80] or '(none)'} is not an allowed recording "
            "host. Add it to REDLINE_RECORDING_HOSTS to download from it"
        )
    loopback_listed = any(h.split(":")[0] == LOOPBACK for h in hosts)
    if parts.scheme == "https" or (
        parts.scheme == "http" and host == LOOPBACK and loopback_listed
    ):
        return url
    raise RecordingRejected(
        f"recording URL on {host} uses {parts.scheme or 'no'} scheme, but only "
        f"https is accepted (http only for a listed {LOOPBACK})"
    )


class RecordingDownloader:
    """Download a recording from an allowed host, following allowed redirects.

    `credentials` maps a host (`host` or `host:port`, as in the allow-list)
    to the user name and password sent to it with basic authentication.
    """

    def __init__(
        self,
        hosts: Sequence[str],
        max_bytes: int,
        credentials: Mapping[str, tuple[str, str]] | None = None,
        timeout: float = DOWNLOAD_TIMEOUT_SECONDS,
    ) -> None:
        self.hosts = tuple(h.lower() for h in hosts)
        self.max_bytes = max_bytes
        self.credentials = {k.lower(): v for k, v in (credentials or {}).items()}
        self.timeout = timeout

    def __call__(self, url: str) -> bytes:
        """Download the recording and return its bytes.

        Raise `RecordingRejected`, `RetryLater` or `PermanentFailure` with the
        reason.
        """
        current = check_recording_url(url, self.hosts)
        with requests.Session() as session:
            # No proxies or .netrc credentials from the environment.
            session.trust_env = False
            for _ in range(MAX_REDIRECTS + 1):
                response = self._get(session, current)
                with response:
                    if response.status_code not in _REDIRECT_STATUSES:
                        return self._read(response)
                    target = urljoin(current, response.headers.get("Location", ""))
                try:
                    current = check_recording_url(target, self.hosts)
                except RecordingRejected as error:
                    raise RecordingRejected(f"redirect rejected: {error}") from None
        raise RecordingRejected(
            f"recording URL redirects more than {MAX_REDIRECTS} times"
        )

    def _get(self, session: requests.Session, url: str) -> requests.Response:
        host, with_port = _host_and_port(urlsplit(url))
        auth = self.credentials.get(with_port) or self.credentials.get(host)
        try:
            return session.get(
                url,
                auth=auth,
                allow_redirects=False,
                stream=True,
                timeout=self.timeout,
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            raise RetryLater(
                f"recording download failed: {host} unreachable "
                f"({type(error).__name__})"
            ) from None

    def _read(self, response: requests.Response) -> bytes:
        host = urlsplit(response.url).hostname
        status = response.status_code
        if status == 429 or status >= 500:
            raise RetryLater(
                f"recording download failed: {host} returned HTTP {status}"
            )
        if status != 200:
            raise PermanentFailure(
                f"recording download failed: {host} returned HTTP {status}"
            )
        limit = self.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise RecordingRejected(_too_large(int(declared), limit))
        chunks: list[bytes] = []
        received = 0
        try:
            for chunk in response.iter_content(_CHUNK_BYTES):
                received += len(chunk)
                if received > limit:
                    raise RecordingRejected(_too_large(None, limit))
                chunks.append(chunk)
        except requests.RequestException as error:
            raise RetryLater(
                f"recording download failed: {host} broke off ({type(error).__name__})"
            ) from None
        logger.info("recording downloaded from %s: %d bytes", host, received)

        return b"".join(chunks)


def _too_large(size: int | None, limit: int) -> str:
    found = f"{size} bytes" if size is not None else "larger"
    return (
        f"recording is {found}, over the limit of {limit} bytes. Raise "
        "REDLINE_MAX_RECORDING_BYTES to mute larger recordings"
    )


def resolve_recording_path(path: str, folder: Path | None) -> Path:
    """Return the real path of a recording inside `folder`.

    A relative path is taken from `folder`. Symbolic links are resolved
    before the check, so none leads out of the folder. Raise
    `RecordingRejected` when no folder is configured, the path contains a NUL
    character, or the file is missing or outside it.
    """
    if folder is None:
        raise RecordingRejected(
            "recordings given by path are rejected because REDLINE_RECORDINGS_DIR "
            "is not set. Set it to the folder that contains the recordings"
        )
    if "\x00" in path:
        raise RecordingRejected(
            "recording path contains a NUL character; give the file's path "
            "inside REDLINE_RECORDINGS_DIR"
        )
    root = folder.resolve()
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = root / candidate
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        raise RecordingRejected(
            "no recording file at that path in REDLINE_RECORDINGS_DIR"
        ) from None
    if not resolved.is_relative_to(root):
        raise RecordingRejected("recording path is outside REDLINE_RECORDINGS_DIR")
    if not resolved.is_file():
        raise RecordingRejected("recording path is not a regular file")

    return resolved


def read_recording(path: str, folder: Path | None, max_bytes: int) -> bytes:
    """Read a recording from `folder`, at most `max_bytes` long.

    Raise `RecordingRejected` as `resolve_recording_path` does, or when the
    file is over the limit.
    """
    resolved = resolve_recording_path(path, folder)
    try:
        with resolved.open("rb") as file:
            data = file.read(max_bytes + 1)
    except OSError as error:
        raise RecordingRejected(
            f"cannot read the recording file ({error.strerror})"
        ) from None
    if len(data) > max_bytes:
        raise RecordingRejected(_too_large(None, max_bytes))

    return data
