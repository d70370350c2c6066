"""The integration API: signed interactions from any system, findings back.

    POST /webhooks/generic        one interaction in the generic JSON format,
                                  or {"interactions": [...], "callback_url"}
    POST /webhooks/contact-lens   one Amazon Connect Contact Lens post-call
                                  analysis file

Both routes take the source from `X-Redline-Source` and check
`X-Redline-Signature`, which is `v1=` and the hex HMAC-SHA256 with the
source's secret of `{X-Redline-Timestamp}.` followed by the raw body. They
queue a `generic.interactions` job and return 202. The worker detects,
records each case under platform `generic:<source>`, and posts the masked
findings to the callback URL, signed the same way. `POST /webhooks/vcon`
in `gateway.telephony` is signed and queued the same way, by `receive_signed`.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from flask import Blueprint, Response, jsonify, request

from adapters.errors import (
    DeliveryRejected,
    PayloadInvalid,
    PermanentFailure,
    RetryLater,
    SignatureInvalid,
)
from adapters.telephony.contact_lens import interaction_from_analysis
from adapters.telephony.transcript import keyed_id
from detectors.engine import Detector
from detectors.masking import MaskedText
from detectors.schema import (
    ValidationError,
    describe_errors,
    interaction_from_dict,
    interaction_to_dict,
)
from detectors.types import Finding, Interaction
from gateway.jsonparse import InvalidJson, parse_json
from gateway.pipeline import Outcome
from infra.config import GenericSourceSettings
from infra.ports import CaseUpdate, Job, Ledger

if TYPE_CHECKING:
    from gateway.runtime import Runtime
    from gateway.telephony import VoiceInspector

log = logging.getLogger(__name__)

GENERIC_INTERACTIONS = "generic.interactions"
SOURCE_HEADER = "X-Redline-Source"
TIMESTAMP_HEADER = "X-Redline-Timestamp"
SIGNATURE_HEADER = "X-Redline-Signature"
SIGNATURE_VERSION = "v1="
CALLBACK_TIMEOUT_SECONDS = 10.0
# Plain http is allowed for this host only, and only when it is listed.
LOOPBACK_HOST = "127.0.0.1"

generic_blueprint = Blueprint("generic", __name__)


class SourceNotFound(DeliveryRejected):
    status = 404


# -- signing --------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the `X-Redline-Signature` value for a body sent at `timestamp`."""
    message = timestamp.encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return SIGNATURE_VERSION + digest


def verify_signature(
    source: GenericSourceSettings,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now: datetime.datetime,
    tolerance_seconds: int,
) -> None:
    """Check a delivery's signature over the raw body; raise `SignatureInvalid`."""
    if not timestamp or not signature:
        raise SignatureInvalid(
            f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header"
        )
    try:
        sent_at = int(timestamp.strip())
    except ValueError:
        raise SignatureInvalid(
            f"{TIMESTAMP_HEADER} must be Unix time in whole seconds"
        ) from None
    skew = abs(now.timestamp() - sent_at)
    if skew > tolerance_seconds:
        raise SignatureInvalid(
            f"{TIMESTAMP_HEADER} is more than {tolerance_seconds} s from the "
            "gateway's clock; sign with the current time",
            log_detail=f"off by {skew:.0f} s",
        )
    expected = sign(source.secret, timestamp.strip(), body)
    # Hex digits in either case: some platforms print them upper-case.
    offered = signature.strip().lower().encode("ascii", "replace")
    if not hmac.compare_digest(expected.lower().encode(), offered):
        raise SignatureInvalid(
            f"{SIGNATURE_HEADER} does not match the body; sign "
            f"'{{timestamp}}.{{raw body}}' with the source's secret"
        )


def check_callback_url(url: Any, source: GenericSourceSettings) -> str:
    """Return `url` when it may receive findings for `source`; raise `PayloadInvalid`."""
    if not isinstance(url, str) or not url:
        raise PayloadInvalid("callback_url must be a non-empty string")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.username is not None or parts.password is not None:
        raise PayloadInvalid("callback_url must not carry a user name or password")
    if host not in source.callback_hosts:
        raise PayloadInvalid(
            f"callback_url host {host[:80]!r} is not in the callback_hosts of "
            f"source {source.name!r}; add it to REDLINE_GENERIC_SOURCES"
        )
    loopback_http = parts.scheme == "http" and host == LOOPBACK_HOST
    if parts.scheme != "https" and not loopback_http:
        raise PayloadInvalid(
            f"callback_url must use https (http only for {LOOPBACK_HOST})"
        )
    return url


# -- routes ---------------------------------------------------------------


def _runtime() -> Runtime:
    from gateway.http import current_runtime

    return current_runtime()


@generic_blueprint.post("/webhooks/generic")
def generic_webhook() -> Response:
    return receive_signed("generic", _generic_interactions)


@generic_blueprint.post("/webhooks/contact-lens")
def contact_lens_webhook() -> Response:
    return receive_signed("contact-lens", _contact_lens_interactions)


Parser = Callable[[Any, GenericSourceSettings], tuple[list[Interaction], str | None]]


def receive_signed(route: str, parse: Parser) -> Response:
    """Verify, parse and queue one delivery; the worker does the rest."""
    from gateway.http import error_response, read_body

    runtime = _runtime()
    started = time.monotonic()
    name = request.headers.get(SOURCE_HEADER, "").strip()
    try:
        source = _source(runtime, name)
        body = read_body()
        verify_signature(
            source,
            body,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            runtime.clock(),
            runtime.settings.signature_tolerance_seconds,
        )
        interactions, callback_url = parse(_decode(body), source)
        _check_queueable(interactions)
    except DeliveryRejected as error:
        detail = f" ({error.log_detail})" if error.log_detail else ""
        # The reason may quote a key, an id or a source name from the
        # request, any of which could be a number.
        reason = mask_loose(str(error))
        log.warning(
            "%s delivery from source %s rejected %d: %s%s",
            route,
            mask_loose(name[:64]) or "-",
            error.status,
            reason,
            detail,
        )
        return error_response(error.status, reason)

    ids = [interaction.id for interaction in interactions]
    payload = {
        "source": source.name,
        "interactions": [interaction_to_dict(i) for i in interactions],
        "callback_url": callback_url,
    }
    secret = runtime.detector.fingerprint_key
    queued = runtime.queue.enqueue(
        GENERIC_INTERACTIONS,
        payload,
        _dedupe_key(source.name, [keyed_id(i, secret) for i in ids], body),
    )
    runtime.worker.notify()
    verdict = "queued" if queued else "duplicate"
    log.info(
        "%s delivery from source %s, %d interaction(s): %s in %.1f ms",
        route,
        source.name,
        len(interactions),
        verdict,
        (time.monotonic() - started) * 1000,
    )
    response = jsonify(status=verdict, interactions=ids)
    response.status_code = 202
    return response


def _check_queueable(interactions: list[Interaction]) -> None:
    """Reject now what the worker could not read back from the job.

    A parser may build an interaction that the generic format rejects, such
    as one without segments. A 400 response is better than a 202 followed
    by a dead job.
    """
    for index, interaction in enumerate(interactions):
        try:
            interaction_from_dict(interaction_to_dict(interaction))
        except ValidationError as error:
            prefix = f"interactions[{index}]" if len(interactions) > 1 else ""
            raise PayloadInvalid(
                f"invalid interaction: {describe_errors(error, prefix)}"
            ) from None


def _source(runtime: Runtime, name: str) -> GenericSourceSettings:
    if not name:
        raise SignatureInvalid(f"missing {SOURCE_HEADER} header")
    for source in runtime.settings.generic_sources:
        if source.name == name:
            return source
    raise SourceNotFound(
        f"no source named {name[:64]!r}; add it to REDLINE_GENERIC_SOURCES"
    )


def _decode(body: bytes) -> Any:
    """Parse a verified body as strict JSON, raising `PayloadInvalid`."""
    try:
        return parse_json(body)
    except InvalidJson as error:
        raise PayloadInvalid(f"body is not valid JSON: {error}") from None


def _dedupe_key(source: str, ids: list[str], body: bytes) -> str:
    """Return source, interaction id and body digest; a batch's ids are hashed."""
    if len(ids) == 1:
        label = ids[0]
    else:
        label = "batch-" + hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]
    return f"generic:{source}:{label}:{hashlib.sha256(body).hexdigest()}"


def _generic_interactions(
    data: Any, source: GenericSourceSettings
) -> tuple[list[Interaction], str | None]:
    """Read one interaction, or a batch with an optional callback URL."""
    if isinstance(data, dict) and "interactions" in data:
        items = data["interactions"]
        if not isinstance(items, list) or not items:
            raise PayloadInvalid("interactions must be a non-empty JSON list")
        unknown = sorted(set(data) - {"interactions", "callback_url"})
        if unknown:
            raise PayloadInvalid(
                f"unknown keys beside interactions: {', '.join(unknown)[:120]}"
            )
        callback = data.get("callback_url")
        callback_url = (
            None if callback is None else check_callback_url(callback, source)
        )
        prefixes = [f"interactions[{index}]" for index in range(len(items))]
    else:
        items, callback_url, prefixes = [data], None, [""]
    interactions = []
    for prefix, item in zip(prefixes, items, strict=True):
        try:
            interactions.append(interaction_from_dict(item))
        except ValidationError as error:
            raise PayloadInvalid(
                f"invalid interaction: {describe_errors(error, prefix)}"
            ) from None
    return interactions, callback_url


def _contact_lens_interactions(
    data: Any, source: GenericSourceSettings
) -> tuple[list[Interaction], str | None]:
    key = _runtime().detector.fingerprint_key
    return [interaction_from_analysis(data, id_key=key)], None


# -- job handler ----------------------------------------------------------


class GenericInteractionsHandler:
    """Detects on the interactions of one delivery, records them and calls back."""

    def __init__(
        self,
        detector: Detector,
        ledger: Ledger,
        sources: tuple[GenericSourceSettings, ...],
        clock: Callable[[], datetime.datetime],
        voice: VoiceInspector | None = None,
    ) -> None:
        self.detector = detector
        self.ledger = ledger
        self.sources: Mapping[str, GenericSourceSettings] = {
            source.name: source for source in sources
        }
        self.clock = clock
        # Voice interactions get time ranges, context and a muted recording.
        self.voice = voice

    def __call__(self, job: Job) -> Outcome:
        payload = job.payload
        source = self.sources.get(str(payload.get("source")))
        if source is None:
            raise PermanentFailure(
                f"source {str(payload.get('source'))[:64]!r} is no longer in "
                "REDLINE_GENERIC_SOURCES"
            )
        try:
            interactions = [
                interaction_from_dict(item) for item in payload["interactions"]
            ]
        except (KeyError, TypeError, ValidationError):
            raise PermanentFailure("job payload holds no valid interactions") from None
        results: list[dict[str, Any]] = []
        case_id: str | None = None
        findings = 0
        for interaction in interactions:
            result = self._inspect(source, interaction)
            case_id = result["case_id"] or case_id
            findings += len(result["findings"])
            results.append(result)
        callback_url = payload.get("callback_url")
        if callback_url:
            self._call_back(source, check_callback_url(callback_url, source), results)
        severities = sorted({r["severity"] for r in results if r["severity"]})
        verdict = f"recorded {', '.join(severities)}" if severities else "clean"
        if callback_url:
            verdict += ", callback sent"
        return Outcome(verdict, case_id, findings)

    def _inspect(
        self, source: GenericSourceSettings, interaction: Interaction
    ) -> dict[str, Any]:
        """Detect and record one interaction; return its masked prediction line."""
        voice = self.voice if interaction.channel == "voice" else None
        detect = self.detector.detect if voice is None else voice.detect
        report = detect(interaction)
        secret = self.detector.fingerprint_key
        key = f"generic:{source.name}:{keyed_id(interaction.id, secret)}"
        platform = f"generic:{source.name}"
        stored_source = safe_source(interaction.source, secret)
        agent_id = _agent_for(interaction, report.findings)
        if agent_id is not None:
            agent_id = keyed_id(agent_id, secret)
        team = safe_team(interaction.team)
        update: CaseUpdate | None
        if voice is not None:
            update = voice.record(report, key, platform, agent_id, team)
        else:
            # Segment ids come from the integrator too; the callback below
            # names them as sent, the ledger only as kept.
            findings = [
                replace(f, segment=keyed_id(f.segment, secret)) for f in report.findings
            ]
            update = self.ledger.record(
                key,
                platform,
                interaction.channel,
                stored_source,
                findings,
                agent_id=agent_id,
                team=team,
            )
        prediction = report.to_prediction()
        # The excerpt shows the text around a finding, which may hold data no
        # recognizer found, so the callback carries the masked value only.
        for finding in prediction["findings"]:
            finding.pop("excerpt", None)
        prediction["case_id"] = update.case.id if update is not None else None
        return prediction

    def _call_back(
        self, source: GenericSourceSettings, url: str, results: list[dict[str, Any]]
    ) -> None:
        body = json.dumps(
            {"source": source.name, "results": results}, ensure_ascii=False
        ).encode()
        timestamp = str(int(self.clock().timestamp()))
        host = urlsplit(url).hostname
        try:
            response = requests.post(
                url,
                data=body,
                headers={
                    "Content-Type": "application/json",
                    SOURCE_HEADER: source.name,
                    TIMESTAMP_HEADER: timestamp,
                    SIGNATURE_HEADER: sign(source.secret, timestamp, body),
                },
                timeout=CALLBACK_TIMEOUT_SECONDS,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise RetryLater(
                f"callback to host {host} failed: {type(error).__name__}"
            ) from None
        if not 200 <= response.status_code < 300:
            raise RetryLater(
                f"callback to host {host} returned HTTP {response.status_code}"
            )


def _agent_for(interaction: Interaction, findings: list[Finding]) -> str | None:
    """Return who a case belongs to: the writer of an agent finding, else any agent."""
    for finding in findings:
        segment = interaction.segment(finding.segment)
        if finding.behaviour and segment is not None and segment.agent_id:
            return segment.agent_id
    agents = interaction.agent_ids
    return agents[0] if agents else None


# Keys the gateway itself writes into a case's source; an integrator's
# values for them are dropped.
RESERVED_SOURCE_KEYS = frozenset({"not_inspected", "muted_recording"})
# Depth and width of an integrator's `source` object kept in a case.
MAX_SOURCE_DEPTH = 3
MAX_SOURCE_ITEMS = 50


def safe_source(source: Any, key: bytes, depth: int = 0) -> Any:
    """Return an integrator's `source` object fit to keep in the ledger.

    Keys and values that are plain ids stay as they are. Any other text,
    which could be a phone number or a name, becomes its keyed hash (see
    `keyed_id`), so cases of one customer record still match. Numbers
    become text first; deeper or longer structures are cut.
    """
    if isinstance(source, dict):
        if depth >= MAX_SOURCE_DEPTH:
            return "…"
        if depth == 0:
            source = {k: v for k, v in source.items() if k not in RESERVED_SOURCE_KEYS}
        return {
            keyed_id(str(name)[:128] or "-", key): safe_source(value, key, depth + 1)
            for name, value in list(source.items())[:MAX_SOURCE_ITEMS]
        }
    if isinstance(source, list):
        if depth >= MAX_SOURCE_DEPTH:
            return "…"
        return [
            safe_source(value, key, depth + 1) for value in source[:MAX_SOURCE_ITEMS]
        ]
    if source is None or isinstance(source, bool):
        return source
    return keyed_id(str(source) or "-", key)


def mask_loose(text: str) -> str:
    """Return `text` with digit runs and email addresses in it masked."""
    return MaskedText(text, []).whole()


def safe_team(team: str | None) -> str | None:
    """Return a team name with any number or email address in it masked.

    Team names are shown in alerts and digests as they are, so a value an
    integrator put into one must not ride along.
    """
    return mask_loose(team) if team else team
