"""Moto in server mode on 127.0.0.1, for tests of the AWS backends over real HTTP.

`MotoServer` runs `moto.server.ThreadedMotoServer` on a port the system picks,
resets moto's state when it starts, and builds boto3 clients aimed at it with
fake credentials, so a test never touches the real credential chain or AWS.
Moto keeps its state in this process, and every server started here shares
it, so use one server at a time.

Pytest fixtures, defined at the end of this module (import them into a test
module, or list this module in `pytest_plugins` of the top-level conftest):

- `aws_test_env`: fake credentials, a fixed region and no metadata lookups
  in the environment, for code that uses the standard chain (`boto3.client`).
- `moto_server`: a running `MotoServer` with moto's state reset; one server
  serves every test of a module.
- `no_outside_network`: any connection to a host other than 127.0.0.1
  raises `NetworkBlocked`, so a client that misses its endpoint fails loudly.
"""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

HOST = "127.0.0.1"
TEST_REGION = "us-east-1"
#: Credentials every client of the fake uses. Moto accepts any value.
FAKE_ACCESS_KEY_ID = "testing"
FAKE_SECRET_ACCESS_KEY = "testing"


@dataclass(frozen=True)
class SentRequest:
    """One AWS query-protocol request as a client sent it over HTTP."""

    url: str
    headers: dict[str, str]
    params: dict[str, str]

    @property
    def action(self) -> str:
        return self.params.get("Action", "")

    def message_attributes(self) -> dict[str, str]:
        """Return the `MessageAttributes` entries as name -> string value."""
        attributes: dict[str, str] = {}
        index = 1
        while f"MessageAttributes.entry.{index}.Name" in self.params:
            prefix = f"MessageAttributes.entry.{index}"
            name = self.params[f"{prefix}.Name"]
            attributes[name] = self.params.get(f"{prefix}.Value.StringValue", "")
            index += 1
        return attributes


@dataclass(frozen=True)
class RecordedSms:
    """An SMS that moto's SNS backend accepted."""

    message_id: str
    phone_number: str
    message: str


class MotoServer:
    """A moto server on 127.0.0.1, with helpers to build clients and read state."""

    def __init__(self, region: str = TEST_REGION) -> None:
        self.region = region
        self._server: ThreadedMotoServer | None = None
        self.endpoint_url = ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> Self:
        """Start the server on a free port and reset moto's state."""
        self._server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self.reset()
        return self

    def stop(self) -> None:
        """Stop the server, so its port refuses connections from then on."""
        if self._server is None:
            return
        self._server.stop()
        self._server = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def client(self, service: str, max_attempts: int = 1, **options: Any) -> Any:
        """Return a boto3 client for `service` aimed at this server.

        The client has fake credentials and makes `max_attempts` tries per
        call, so a failure shows at once. `options` are passed to `boto3.client`.
        """
        settings: dict[str, Any] = {
            "region_name": self.region,
            "endpoint_url": self.endpoint_url,
            "aws_access_key_id": FAKE_ACCESS_KEY_ID,
            "aws_secret_access_key": FAKE_SECRET_ACCESS_KEY,
            "config": Config(
                connect_timeout=5,
                read_timeout=5,
                retries={"max_attempts": max_attempts, "mode": "standard"},
            ),
        }
        settings.update(options)
        return boto3.client(service, **settings)

    def reset(self) -> None:
        """Erase every resource moto holds, in every service."""
        self._moto_api("reset", method="POST")

    def model_data(self) -> dict[str, Any]:
        """Return moto's state as its `/moto-api/data.json` endpoint shows it."""
        result: dict[str, Any] = json.loads(self._moto_api("data.json"))
        return result

    def sent_sms(self) -> list[RecordedSms]:
        """Return the SMS messages that SNS accepted since the last reset."""
        records = self.model_data().get("sns", {}).get("SMS", [])
        return [
            RecordedSms(
                message_id=record["message_id"],
                phone_number=record["phone_number"],
                message=record["message"],
            )
            for record in records
        ]

    def _moto_api(self, path: str, method: str = "GET") -> bytes:
        if not self.endpoint_url:
            raise RuntimeError("start the moto server first")
        request = urllib.request.Request(
            f"{self.endpoint_url}/moto-api/{path}", method=method, data=b""
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body: bytes = response.read()
        return body


def record_requests(client: Any) -> list[SentRequest]:
    """Return a list that fills with each request `client` sends from now on.

    The list contains the form parameters of AWS query-protocol requests (SNS,
    SQS's older protocol) exactly as they went over HTTP, so a test can check
    what moto does not keep, such as SNS message attributes.
    """
    sent: list[SentRequest] = []

    def on_send(request: Any, **_: Any) -> None:
        body = request.body or b""
        text = body.decode() if isinstance(body, bytes) else str(body)
        headers = {name: str(value) for name, value in request.headers.items()}
        params = dict(parse_qsl(text))
        sent.append(SentRequest(url=request.url, headers=headers, params=params))

    client.meta.events.register("before-send", on_send)
    return sent


@pytest.fixture
def aws_test_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point the standard AWS credential chain at fake values only."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_ACCESS_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", TEST_REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-creds"))


@pytest.fixture(scope="module")
def _moto_server_for_module() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture
def moto_server(aws_test_env: None, _moto_server_for_module: MotoServer) -> MotoServer:
    """Running `MotoServer` with moto's state reset; stopped after the module."""
    _moto_server_for_module.reset()
    return _moto_server_for_module


class NetworkBlocked(AssertionError):
    """A test tried to connect to a host other than 127.0.0.1."""


@pytest.fixture
def no_outside_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every TCP connection to a host other than 127.0.0.1 fail."""
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        is_ip = self.family in (socket.AF_INET, socket.AF_INET6)
        if is_ip and address[0] != HOST:
            raise NetworkBlocked(f"test tried to connect to {address[0]!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
