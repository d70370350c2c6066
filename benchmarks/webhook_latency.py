"""Measure how fast `/webhooks/zendesk` answers 202 on the one-process gateway.

Starts `python -m gateway run` on a free port with a fresh data folder, posts
signed event-subscription deliveries over real HTTP, one at a time, and
prints latency percentiles. Usage:

    .venv/bin/python benchmarks/webhook_latency.py [--requests 500]
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def signed(secret: str, body: bytes) -> dict[str, str]:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    return {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }


def event(number: int) -> bytes:
    return json.dumps(
        {
            "type": "zen:event-type:ticket.comment_added",
            "id": f"bench-{number}",
            "account_id": 1,
            "subject": f"zen:ticket:{number}",
            "detail": {"id": str(number)},
            "event": {
                "comment": {
                    "id": str(number),
                    "body": "您好，请问我的退款什么时候到账？订单号 2026120400017",
                    "is_public": True,
                    "author": {"id": "1", "is_staff": False},
                }
            },
        },
        ensure_ascii=False,
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {
            **os.environ,
            "REDLINE_DATA_DIR": data,
            "REDLINE_PORT": str(port),
            "REDLINE_LOG_LEVEL": "WARNING",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "gateway", "run"], cwd=ROOT, env=env
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    requests.get(f"{base}/healthz", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.05)
            secret = (
                (Path(data) / "keys" / "zendesk-webhook-secret").read_text().strip()
            )
            session = requests.Session()
            timings = []
            for number in range(args.requests):
                body = event(number)
                started = time.perf_counter()
                response = session.post(
                    f"{base}/webhooks/zendesk", data=body, headers=signed(secret, body)
                )
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 202, response.text
        finally:
            server.terminate()
            server.wait(20)
    timings.sort()

    def pct(p: float) -> float:
        return timings[min(len(timings) - 1, int(p * len(timings)))]

    print(
        f"{len(timings)} deliveries: p50 {pct(0.5):.1f} ms, p95 {pct(0.95):.1f} ms, "
        f"p99 {pct(0.99):.1f} ms, max {timings[-1]:.1f} ms, mean {statistics.mean(timings):.1f} ms"
    )


if __name__ == "__main__":
    main()
