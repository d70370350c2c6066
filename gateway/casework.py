"""The case-work API: move cases through their workflow, search by value,
false positives per rule, alerts sent, and training assignments.

Every route is under /api/, so REDLINE_API_TOKEN guards it when set.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import BadRequest

from detectors.engine import Detector
from detectors.masking import MaskedText
from detectors.types import CASE_STATUSES, Interaction, Segment
from gateway.disposal import ALERTS_REFRESH, Disposal
from gateway.http import current_runtime, error_response, int_arg
from infra.errors import CaseNotFound, InvalidTransition

log = logging.getLogger(__name__)

casework_blueprint = Blueprint("casework", __name__)

# Maximum length of an actor name and of a note, in characters.
MAX_ACTOR = 200
MAX_NOTE = 4000
# Largest row id SQLite stores.
MAX_ROW_ID = 2**63 - 1
# Maximum length of a searched value, in characters.
MAX_SEARCH_VALUE = 200


def mask_free_text(detector: Detector, text: str) -> str:
    """Return `text` with every identifier the detectors find in it masked.

    Notes and names typed by people go into the ledger and out to Slack, so
    a number pasted into a note is masked like one found in a ticket.
    """
    if not text:
        return text
    interaction = Interaction(
        id="note", channel="chat", segments=[Segment("n", "system", text)]
    )
    spans = [
        (f.start, f.end, f.masked)
        for f in detector.detect(interaction).findings
        if f.type != "RISKY_PHRASE" and f.form != "masked"
    ]
    return MaskedText(text, spans).whole()


def _json_object() -> dict[str, Any]:
    try:
        data = json.loads(request.get_data(cache=True) or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("the body is not JSON; send a JSON object") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data


def _text_field(
    data: dict[str, Any], name: str, limit: int, required: bool = False
) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    value = value.strip()
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(f"{name} is not valid Unicode text") from None
    if required and not value:
        raise BadRequest(f"{name} is required: say who you are, as a name or email")
    if len(value) > limit:
        raise BadRequest(f"{name} has {len(value)} characters; at most {limit}")
    return value


def _disposal() -> Disposal:
    disposal = current_runtime().disposal
    assert disposal is not None
    return disposal


def move_case(case_id: str, status: str, actor: str, note: str) -> Response:
    """Apply a transition and queue the update of the case's messages."""
    runtime = current_runtime()
    try:
        case, changed = runtime.ledger.transition(case_id, status, actor, note)
    except CaseNotFound:
        return error_response(404, f"no case with id {case_id[:64]!r}")
    except InvalidTransition as error:
        return error_response(409, str(error))
    if changed:
        runtime.queue.enqueue(ALERTS_REFRESH, {"case_id": case_id})
        runtime.worker.notify()
        log.info("case %s moved to %s by an API call", case_id, status)
    return jsonify(changed=changed, case=_case_summary(case))


def _case_summary(case: Any) -> dict[str, Any]:
    data = asdict(case)
    data.pop("findings")
    return data


@casework_blueprint.post("/api/cases/<case_id>/status")
def case_status(case_id: str) -> Response:
    data = _json_object()
    status = data.get("status")
    if status not in CASE_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(CASE_STATUSES)}")
    detector = current_runtime().detector
    actor = mask_free_text(
        detector, _text_field(data, "actor", MAX_ACTOR, required=True)
    )
    note = mask_free_text(detector, _text_field(data, "note", MAX_NOTE))
    return move_case(case_id, str(status), actor, note)


@casework_blueprint.post("/api/search")
def search() -> Response:
    """Find the cases where a value appeared, by its keyed fingerprint.

    The detectors read the value the way they read it when it was found
    (spaces, full-width digits). The value is neither stored nor logged.
    """
    data = _json_object()
    value = data.get("value")
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("value is required: the number or address to look for")
    if len(value) > MAX_SEARCH_VALUE:
        raise BadRequest(f"value is longer than {MAX_SEARCH_VALUE} characters")
    runtime = current_runtime()
    interaction = Interaction(
        id="search",
        channel="chat",
        segments=[Segment(id="s", speaker="customer", text=value.strip())],
    )
    findings = runtime.detector.detect(interaction).findings
    fingerprints = list(dict.fromkeys(f.fingerprint for f in findings if f.fingerprint))
    if not fingerprints:
        return error_response(
            422,
            "no identifier was recognised in the value; give the whole number "
            "or address as it would appear in a conversation",
        )
    matches: dict[str, Any] = {}
    for fingerprint in fingerprints:
        for case in runtime.ledger.cases_with_fingerprint(fingerprint):
            matches.setdefault(case.id, _case_summary(case))
    recognised = [
        {"type": f.type, "masked": f.masked, "fingerprint": f.fingerprint}
        for f in findings
        if f.fingerprint
    ]
    return jsonify(recognised=recognised, cases=list(matches.values()))


@casework_blueprint.get("/api/rules/false-positives")
def false_positives() -> Response:
    return jsonify(rules=current_runtime().ledger.false_positives_by_rule())


@casework_blueprint.get("/api/alerts")
def alerts() -> Response:
    store = _disposal().store
    entries = []
    for stored in store.recent(int_arg("limit", 50, 1, 500)):
        entry = asdict(stored.alert)
        entry.pop("html", None)
        entry.update(
            id=stored.id,
            state=stored.state,
            level=stored.level,
            created_at=stored.created_at,
            case_ids=stored.case_ids,
            deliveries=[asdict(d) for d in store.deliveries(stored.id)],
        )
        entries.append(entry)
    return jsonify(alerts=entries)


@casework_blueprint.get("/api/training")
def training() -> Response:
    agent = request.args.get("agent") or None
    open_only = request.args.get("open") in ("1", "true", "yes")
    assignments = _disposal().store.assignments(agent, open_only)
    return jsonify(assignments=[asdict(a) for a in assignments])


@casework_blueprint.post("/api/training/<int:assignment_id>/complete")
def training_complete(assignment_id: int) -> Response:
    actor = mask_free_text(
        current_runtime().detector,
        _text_field(_json_object(), "actor", MAX_ACTOR, required=True),
    )
    if assignment_id > MAX_ROW_ID:
        return error_response(404, f"no training assignment with id {assignment_id}")
    result = _disposal().store.complete(assignment_id, actor)
    if result is None:
        return error_response(404, f"no training assignment with id {assignment_id}")
    assignment, changed = result
    return jsonify(changed=changed, assignment=asdict(assignment))


@casework_blueprint.get("/api/reports/training")
def training_report() -> Response:
    return jsonify(teams=_disposal().training_report())
