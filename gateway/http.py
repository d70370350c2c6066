"""Helpers shared by the app's routes."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from adapters.errors import DeliveryRejected
from gateway.runtime import Runtime


def current_runtime() -> Runtime:
    runtime: Runtime = current_app.extensions["redline"]
    return runtime


def error_response(status: int, reason: str) -> Response:
    """Return a JSON error body: {"status": "error", "reason": ...}."""
    response = jsonify(status="error", reason=reason)
    response.status_code = status
    return response


def int_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    """Read an integer query argument, raising 400 with the allowed range."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, got {raw[:20]!r}") from None
    if not minimum <= value <= maximum:
        raise BadRequest(f"{name} must be from {minimum} to {maximum}, got {value}")
    return value


def too_large_reason(limit: int) -> str:
    """Return the 413 reason: the limit in bytes and the setting that raises it."""
    return (
        f"body is larger than the limit of {limit} bytes; raise "
        "REDLINE_MAX_BODY_BYTES to accept larger bodies"
    )


class BodyTooLarge(DeliveryRejected):
    """A webhook body is over REDLINE_MAX_BODY_BYTES: answer 413."""

    status = 413


def read_body() -> bytes:
    """Return the raw request body, raising `BodyTooLarge` above the configured limit."""
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge:
        limit = current_runtime().settings.max_body_bytes
        raise BodyTooLarge(too_large_reason(limit)) from None
