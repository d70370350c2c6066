"""Webhook routes: verify, parse, queue durably, answer fast.

Each route verifies the signature over the raw body before parsing it,
queues the work with a dedupe key and answers 202. Nothing is processed in
the request; the worker does that.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, Response, jsonify, request

from adapters.errors import DeliveryRejected, PayloadInvalid
from adapters.zendesk import webhook as zendesk
from gateway.http import current_runtime, error_response, read_body
from gateway.jsonparse import InvalidJson, parse_json
from gateway.pipeline import ZENDESK_TICKET

log = logging.getLogger(__name__)

zendesk_blueprint = Blueprint("zendesk", __name__)


def _accepted(status: str, **fields: str) -> Response:
    response = jsonify(status=status, **fields)
    response.status_code = 202
    return response


@zendesk_blueprint.post("/webhooks/zendesk")
def zendesk_webhook() -> Response:
    runtime = current_runtime()
    started = time.monotonic()
    headers = dict(request.headers)
    invocation = "-"
    try:
        invocation = zendesk.invocation_id(headers) or "-"
        body = read_body()
        zendesk.verify_signature(
            body,
            request.headers.get(zendesk.TIMESTAMP_HEADER),
            request.headers.get(zendesk.SIGNATURE_HEADER),
            runtime.zendesk_secrets,
            runtime.clock(),
            runtime.settings.signature_tolerance_seconds,
        )
        parsed = zendesk.parse_delivery(_decode(body), headers, body)
    except DeliveryRejected as error:
        detail = f" ({error.log_detail})" if error.log_detail else ""
        log.warning(
            "zendesk delivery %s rejected %d: %s%s",
            invocation,
            error.status,
            error,
            detail,
        )
        return error_response(error.status, str(error))

    if isinstance(parsed, zendesk.Ignored):
        log.info(
            "zendesk delivery %s event %s ignored: %s",
            invocation,
            parsed.event,
            parsed.reason,
        )
        return _accepted("ignored", event=parsed.event, reason=parsed.reason)

    queued = runtime.queue.enqueue(
        ZENDESK_TICKET, parsed.to_payload(), parsed.dedupe_key
    )
    runtime.worker.notify()
    verdict = "queued" if queued else "duplicate"
    log.info(
        "zendesk delivery %s event %s ticket %s: %s in %.1f ms",
        parsed.dedupe_key,
        parsed.event,
        parsed.ticket_id,
        verdict,
        (time.monotonic() - started) * 1000,
    )
    return _accepted(verdict, delivery=parsed.dedupe_key)


def _decode(body: bytes) -> Any:
    """Parse a verified body as strict JSON, raising `PayloadInvalid`."""
    if not body.strip():
        raise PayloadInvalid("empty body; expected a JSON object")
    try:
        return parse_json(body)
    except InvalidJson as error:
        raise PayloadInvalid(f"body is not valid JSON: {error}") from None
