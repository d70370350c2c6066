"""The Flask app: webhooks in, the ledger and outbox out through a small API."""

from __future__ import annotations

import hmac
import logging
from dataclasses import asdict
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    MethodNotAllowed,
    RequestEntityTooLarge,
)

from detectors.types import CASE_STATUSES
from gateway.casework import casework_blueprint
from gateway.generic import generic_blueprint
from gateway.http import error_response, int_arg, too_large_reason
from gateway.runtime import Runtime
from gateway.slack import slack_blueprint
from gateway.telephony import telephony_blueprint, voice_redaction
from gateway.webhooks import zendesk_blueprint
from gateway.wecom import wecom_blueprint

log = logging.getLogger(__name__)


def create_app(runtime: Runtime) -> Flask:
    """Build the WSGI app around a runtime."""
    app = Flask("redline")
    app.config["MAX_CONTENT_LENGTH"] = runtime.settings.max_body_bytes
    app.extensions["redline"] = runtime
    app.register_blueprint(zendesk_blueprint)
    app.register_blueprint(wecom_blueprint)
    app.register_blueprint(generic_blueprint)
    app.register_blueprint(casework_blueprint)
    app.register_blueprint(slack_blueprint)
    app.register_blueprint(telephony_blueprint)

    @app.before_request
    def _require_api_token() -> Response | None:
        token = runtime.settings.api_token
        if not token or not request.path.startswith("/api/"):
            return None
        if _bearer_token_matches(request.headers.get("Authorization", ""), token):
            return None
        return error_response(401, "missing or wrong bearer token for /api/")

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(error: RequestEntityTooLarge) -> Response:
        reason = too_large_reason(runtime.settings.max_body_bytes)
        log.warning("%s %s rejected 413: %s", request.method, request.path, reason)
        return error_response(413, reason)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        response = error_response(error.code or 500, error.description or error.name)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        # The message may quote request data, so only the type is logged.
        log.error(
            "unhandled %s on %s %s", type(error).__name__, request.method, request.path
        )
        return error_response(500, "internal error; the request was not processed")

    @app.get("/healthz")
    def health() -> Response:
        return jsonify(status="ok", queue=runtime.queue.counts())

    @app.get("/api/outbox")
    def outbox() -> Response:
        limit = _limit_arg()
        entries = [asdict(entry) for entry in runtime.outbox.list(limit)]
        return jsonify(entries=entries)

    @app.get("/api/cases")
    def cases() -> Response:
        fingerprint = request.args.get("fingerprint")
        if fingerprint is not None:
            if not fingerprint.strip():
                raise BadRequest(
                    "fingerprint is empty; give the fingerprint of a finding, "
                    "or leave the argument out to list cases"
                )
            found = runtime.ledger.cases_with_fingerprint(fingerprint.strip())
        else:
            found = runtime.ledger.list_cases(
                _status_arg(), _limit_arg(), _offset_arg()
            )
        return jsonify(cases=[_case_json(c) for c in found])

    @app.get("/api/cases/<case_id>")
    def case(case_id: str) -> Response:
        found = runtime.ledger.get_case(case_id)
        if found is None:
            return error_response(404, f"no case with id {case_id[:64]!r}")
        return jsonify(_case_json(found, with_history=True))

    @app.get("/api/jobs/dead")
    def dead_jobs() -> Response:
        return jsonify(jobs=runtime.queue.dead_jobs(_limit_arg()))

    return app


def _bearer_token_matches(header: str, token: str) -> bool:
    """Check an Authorization header against `token`; the scheme is case-insensitive."""
    scheme, _, offered = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(offered.strip().encode(), token.encode())


def _status_arg() -> str | None:
    status = request.args.get("status")
    if not status:
        return None
    if status not in CASE_STATUSES:
        raise BadRequest(
            f"status must be one of {', '.join(CASE_STATUSES)}, got {status[:40]!r}"
        )
    return status


def _limit_arg() -> int:
    return int_arg("limit", 100, 1, 1000)


def _offset_arg() -> int:
    return int_arg("offset", 0, 0, 10**9)


def _case_json(case: Any, with_history: bool = False) -> dict[str, Any]:
    data = asdict(case)
    if not with_history:
        data.pop("history")
    if case.channel == "voice":
        data["redaction"] = voice_redaction(case)
    return data
