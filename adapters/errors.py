"""Errors raised by adapters, by what the caller does about them.

AdapterError
├── DeliveryRejected     the inbound request is bad; answer 4xx
│   ├── SignatureInvalid    401: signature missing, wrong or stale
│   └── PayloadInvalid      400: body is not what the platform sends
├── RetryLater           the platform is busy or down; retry the job later
└── PermanentFailure     retrying cannot help; dead-letter the job
"""

from __future__ import annotations


class AdapterError(Exception):
    """Base of every error raised by an adapter."""


class DeliveryRejected(AdapterError):
    """An inbound delivery is rejected, and `status` is the HTTP status to return.

    The message is sent to the caller. `log_detail` adds context for the
    gateway's log line only, such as how far off a timestamp was.
    """

    status = 400

    def __init__(self, message: str, log_detail: str = "") -> None:
        super().__init__(message)
        self.log_detail = log_detail


class SignatureInvalid(DeliveryRejected):
    status = 401


class PayloadInvalid(DeliveryRejected):
    status = 400


class RetryLater(AdapterError):
    """A call failed for a reason that passes; retry after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float = 30.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentFailure(AdapterError):
    """A call failed for a reason that retrying does not fix."""
