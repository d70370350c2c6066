"""The worker: claims queued jobs, runs their handler, retries or dead-letters.

A job runs under a lease. While its handler runs, a `LeaseRenewer` thread
extends the lease every `renew_seconds`, so a long job is not claimed a
second time by another worker thread.

Log lines name the job, its kind, attempt, verdict and time taken. Errors are
logged by type and the place they were raised, never by message, because a
message from a third-party library can quote the data it choked on.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType

from adapters.errors import PermanentFailure, RetryLater
from gateway.pipeline import Handler, Outcome
from infra.ports import Job, Queue

log = logging.getLogger(__name__)

LEASE_SECONDS = 300.0
MAX_BACKOFF_SECONDS = 3600.0


def backoff_seconds(attempt: int) -> float:
    """Return the delay before retry number `attempt`: 10 s, 20 s, 40 s ... 1 h."""
    return min(10.0 * 2 ** max(attempt - 1, 0), MAX_BACKOFF_SECONDS)


def describe_error(error: BaseException) -> str:
    """Name an error by type and the place it was raised, without its message."""
    frames = traceback.extract_tb(error.__traceback__)
    where = (
        f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}"
        if frames
        else ""
    )
    return f"{type(error).__name__}{where}"


class LeaseRenewer:
    """Extends a job's lease every `interval` seconds until the block exits.

    Use it as a context manager around the handler call. The renewal runs on
    its own thread, which stops and is joined when the block exits.
    """

    def __init__(
        self, queue: Queue, job: Job, lease_seconds: float, interval: float
    ) -> None:
        self.queue = queue
        self.job = job
        self.lease_seconds = lease_seconds
        self.interval = interval
        self._done = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"redline-lease-{job.id}", daemon=True
        )

    def __enter__(self) -> LeaseRenewer:
        self._thread.start()
        return self

    def __exit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(self.interval):
            try:
                still_leased = self.queue.extend(self.job.id, self.lease_seconds)
            except Exception as error:  # noqa: BLE001 - the next tick tries again
                log.warning(
                    "job %s %s: lease renewal failed (%s); trying again in %.0f s",
                    self.job.id,
                    self.job.kind,
                    describe_error(error),
                    self.interval,
                )
                continue
            if not still_leased:
                log.warning(
                    "job %s %s: lease lost because the queue no longer has the "
                    "job as running, so another worker may run it too",
                    self.job.id,
                    self.job.kind,
                )
                return


class Worker:
    """Drains a queue with one or more threads."""

    def __init__(
        self,
        queue: Queue,
        handlers: Mapping[str, Handler],
        max_attempts: int = 8,
        poll_seconds: float = 0.5,
        lease_seconds: float = LEASE_SECONDS,
        renew_seconds: float | None = None,
        on_done: Callable[[Outcome], None] | None = None,
    ) -> None:
        """Set up a worker; `renew_seconds` defaults to a third of the lease.

        `on_done` is called with the outcome of each job that completed, for
        example to wake the alert scheduler when a case was recorded.
        """
        self.on_done = on_done
        self.queue = queue
        self.handlers = dict(handlers)
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self.renew_seconds = (
            renew_seconds if renew_seconds is not None else lease_seconds / 3
        )
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._running: set[str] = set()
        self._running_lock = threading.Lock()

    def start(self, threads: int = 1) -> None:
        for number in range(threads):
            thread = threading.Thread(
                target=self._loop, name=f"redline-worker-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        log.info("worker started with %d thread(s)", threads)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the threads, waiting up to `timeout` seconds for each busy one."""
        self._stop.set()
        self._wake.set()
        log.info("stopping; waiting for %d running job(s)", self.running_count())
        for thread in self._threads:
            thread.join(timeout)
        left = sum(thread.is_alive() for thread in self._threads)
        self._threads.clear()
        if left:
            log.warning(
                "worker stopped with %d job(s) still running; they run again when "
                "their lease expires or the gateway next starts",
                left,
            )
        else:
            log.info("worker stopped")

    def running_count(self) -> int:
        """Return how many jobs this worker's handlers are running now."""
        with self._running_lock:
            return len(self._running)

    def notify(self) -> None:
        """Wake an idle worker thread: a job was just queued."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception as error:  # noqa: BLE001 - the loop must survive
                log.error("worker loop error: %s", describe_error(error))
                worked = False
            if not worked:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def run_once(self) -> bool:
        """Claim and process one due job; return False when none was due."""
        job = self.queue.claim(self.lease_seconds)
        if job is None:
            return False
        self.process(job)
        return True

    def drain(self, limit: int = 10_000) -> int:
        """Process due jobs until none is left; return how many ran."""
        count = 0
        while count < limit and self.run_once():
            count += 1
        return count

    def process(self, job: Job) -> None:
        started = time.monotonic()
        handler = self.handlers.get(job.kind)
        if handler is None:
            self.queue.fail(job.id, f"no handler for job kind {job.kind!r}")
            log.error("job %s: no handler for kind %s; dead-lettered", job.id, job.kind)
            return
        job.last_attempt = job.attempts >= self.max_attempts
        try:
            with self._tracked(job), self._renewing(job):
                outcome = handler(job)
        except RetryLater as error:
            self._retry(job, str(error), max(error.retry_after, 1.0))
        except PermanentFailure as error:
            self.queue.fail(job.id, str(error))
            log.error("job %s %s: %s; dead-lettered", job.id, job.kind, error)
        except Exception as error:  # noqa: BLE001 - any bug must not lose the job
            self._retry(job, describe_error(error), backoff_seconds(job.attempts))
        else:
            self.queue.complete(job.id)
            log.info(
                "job %s %s attempt %d: %s (case %s, %d finding(s)) in %.0f ms",
                job.id,
                job.kind,
                job.attempts,
                outcome.verdict,
                outcome.case_id or "-",
                outcome.findings,
                (time.monotonic() - started) * 1000,
            )
            if self.on_done is not None and outcome.case_id:
                self.on_done(outcome)

    @contextmanager
    def _tracked(self, job: Job) -> Iterator[None]:
        with self._running_lock:
            self._running.add(job.id)
        try:
            yield
        finally:
            with self._running_lock:
                self._running.discard(job.id)

    def _renewing(self, job: Job) -> LeaseRenewer:
        return LeaseRenewer(self.queue, job, self.lease_seconds, self.renew_seconds)

    def _retry(self, job: Job, reason: str, delay: float) -> None:
        if job.attempts >= self.max_attempts:
            self.queue.fail(job.id, reason)
            log.error(
                "job %s %s failed %d times (%s); dead-lettered",
                job.id,
                job.kind,
                job.attempts,
                reason,
            )
            return
        self.queue.retry(job.id, delay, reason)
        log.warning(
            "job %s %s attempt %d failed (%s); retrying in %.0f s",
            job.id,
            job.kind,
            job.attempts,
            reason,
            delay,
        )
