"""The scheduler thread of the one-process gateway.

Every few seconds, and at once when the worker records a case, it runs
whatever the disposal has due: first alerts of high cases, escalations of
overdue ones, retries, digests and training assignments. On AWS the same
`Disposal.tick` runs from an EventBridge schedule instead.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from gateway.disposal import Disposal, TickResult
from gateway.worker import describe_error

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, disposal: Disposal, interval_seconds: float = 30) -> None:
        self.disposal = disposal
        self.interval_seconds = interval_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name="redline-scheduler", daemon=True
        )
        self._thread.start()
        log.info("scheduler started, checking every %g s", self.interval_seconds)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self, *_: Any) -> None:
        """Run the next check now instead of at the end of the interval."""
        self._wake.set()

    def run_once(self) -> TickResult:
        """Run one check; one at a time, so two threads never overlap."""
        with self._lock:
            result = self.disposal.tick()
        if result.alerted or result.escalated or result.digests or result.trained:
            log.info(
                "disposal: %d alerted, %d escalated, %d digest(s), %d training",
                result.alerted,
                result.escalated,
                result.digests,
                result.trained,
            )
        return result

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception as error:  # noqa: BLE001 - the next check tries again
                log.error("disposal check failed: %s", describe_error(error))
            self._wake.wait(self.interval_seconds)
            self._wake.clear()
