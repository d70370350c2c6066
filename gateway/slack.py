"""`POST /slack/interactions`: the Acknowledge, Resolve and Not a leak buttons.

Slack posts a signed form when a manager presses a button on an alert. The
signature is checked over the raw body and the case moves at once, so the
reply is back well within Slack's 3 seconds. The `alerts.refresh` job
updates the message afterwards.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from gateway.disposal import ALERTS_REFRESH
from gateway.http import BodyTooLarge, current_runtime, error_response, read_body
from infra.alerts.slack import parse_interaction, verify_request
from infra.errors import CaseNotFound, InvalidTransition

log = logging.getLogger(__name__)

slack_blueprint = Blueprint("slack", __name__)


@slack_blueprint.post("/slack/interactions")
def slack_interactions() -> Response:
    runtime = current_runtime()
    secret = runtime.settings.alerts.slack_signing_secret.strip()
    if not secret:
        return error_response(
            404,
            "Slack buttons are not configured; set REDLINE_SLACK_SIGNING_SECRET "
            "to the Slack app's signing secret",
        )
    try:
        body = read_body()
    except BodyTooLarge as error:
        return error_response(413, str(error))
    if not verify_request(
        secret, dict(request.headers), body, now=runtime.clock().timestamp()
    ):
        log.warning("Slack interaction rejected: bad or stale signature")
        return error_response(
            401, "Slack signature is missing, wrong or older than 5 minutes"
        )
    try:
        presses = parse_interaction(body)
    except ValueError as error:
        return error_response(400, f"not a Slack interaction payload: {error}")
    for press in presses:
        actor = (
            f"{press.user_name} (Slack {press.user_id})"
            if press.user_name
            else f"Slack {press.user_id}"
        )
        try:
            _case, changed = runtime.ledger.transition(
                press.case_id, press.status, actor
            )
        except CaseNotFound:
            log.warning("Slack button for an unknown case %s", press.case_id[:64])
            continue
        except InvalidTransition as error:
            log.info("Slack button ignored: %s", error)
            continue
        if changed:
            runtime.queue.enqueue(ALERTS_REFRESH, {"case_id": press.case_id})
            runtime.worker.notify()
            log.info("case %s moved to %s from Slack", press.case_id, press.status)
    return Response("", status=200)
