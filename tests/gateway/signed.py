"""Posting to the signed integration routes as a configured source would."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from gateway.generic import sign
from tests.conftest import FrozenClock


def post_signed(
    client: FlaskClient,
    clock: FrozenClock,
    body: bytes,
    secret: str,
    path: str = "/webhooks/generic",
    source: str = "crm",
    seconds_ago: int = 0,
    upper_case: bool = False,
) -> Any:
    """Post `body` signed with `secret` at the clock's time less `seconds_ago`."""
    timestamp = str(int(clock().timestamp()) - seconds_ago)
    signature = sign(secret, timestamp, body)
    return client.post(
        path,
        data=body,
        content_type="application/json",
        headers={
            "X-Redline-Source": source,
            "X-Redline-Timestamp": timestamp,
            "X-Redline-Signature": signature.upper() if upper_case else signature,
        },
    )
