"""`POST /slack/interactions`: the Acknowledge, Resolve and Not a leak buttons.

Slack posts a signed form when a manager presses a button on an alert. The
signature is checked over the raw body and the case moves at once, so the
reply is back well within Slack's 3 seconds. The `alerts.refresh` job
updates the message afterwards.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from gateway.casework import mask_free_text
from gateway.disposal import ALERTS_REFRESH
from gateway.generic import mask_loose
from gateway.http import BodyTooLarge, current_runtime, error_response, read_body
from infra.alerts.slack import parse_interaction, verify_request
from infra.errors import CaseNotFound, InvalidTransition

log = logging.getLogger(__name__)

slack_blueprint = Blueprint("slack", __name__)

# Characters of a Slack user name or id kept in a case's history.
MAX_NAME = 100


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
    disposal = runtime.disposal
    assert disposal is not None
    for press in presses:
        name = mask_free_text(runtime.detector, press.user_name[:MAX_NAME])
        user = press.user_id[:MAX_NAME]
        actor = f"{name} (Slack {user})" if name else f"Slack {user}"
        case_ids = disposal.cases_of(press.case_id)
        if not case_ids:
            log.warning(
                "Slack button for an unknown alert %s", mask_loose(press.case_id[:64])
            )
        for case_id in case_ids:
            _move(case_id, press.status, actor)
    return Response("", status=200)


def _move(case_id: str, status: str, actor: str) -> None:
    runtime = current_runtime()
    try:
        _case, changed = runtime.ledger.transition(case_id, status, actor)
    except CaseNotFound:
        log.warning("Slack button for an unknown case %s", mask_loose(case_id[:64]))
        return
    except InvalidTransition as error:
        log.info("Slack button ignored: %s", error)
        return
    if changed:
        runtime.queue.enqueue(ALERTS_REFRESH, {"case_id": case_id})
        runtime.worker.notify()
        log.info("case %s moved to %s from Slack", case_id, status)
