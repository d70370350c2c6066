"""WeCom (企业微信) in the gateway: callback routes, job handlers and installation.

    GET  /webhooks/wecom[/<app>]   URL verification: the bare plaintext, 200
    POST /webhooks/wecom[/<app>]   decrypt, queue, return 200 with an empty body

A message to an app is queued as `wecom.message`; a 微信客服 (kf) event as
`wecom.kf_sync`, whose handler pulls the new kf messages after the stored
cursor. Both handlers detect, record the case and warn the agent who wrote
the finding through an app message (high severity also warns the
configured managers). Warnings carry masked values only. Without an app
secret and agent id, or with the API turned off, warnings go to the outbox.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, request

from adapters.errors import DeliveryRejected, PermanentFailure
from adapters.wecom.api import MAX_TEXT_BYTES, WeComApi
from adapters.wecom.app import WeComApp
from adapters.wecom.interaction import (
    AgentDirectory,
    app_interaction,
    kf_interactions,
)
from adapters.wecom.messages import ORIGIN_SERVICER, KfMessage
from adapters.wecom.webhook import (
    Delivery,
    Ignored,
    KfSync,
    decrypt_delivery,
    verify_url,
)
from detectors.engine import Detector
from detectors.types import Finding, Interaction, Segment
from gateway.pipeline import Outcome, report_id_for
from infra.config import (
    PREFIX,
    Settings,
    WeComAppSettings,
    load_wecom_apps_file,
)
from infra.errors import ConfigError
from infra.ports import KeyValue, Ledger, Outbox

if TYPE_CHECKING:
    from gateway.runtime import Runtime

log = logging.getLogger(__name__)

WECOM_MESSAGE = "wecom.message"
WECOM_KF_SYNC = "wecom.kf_sync"
NOT_INSPECTED = "not inspected"
# File that `python -m gateway install wecom` writes, below DATA_DIR/keys.
INSTALLED_APP_FILE = "wecom-app.json"
INSTALLED_APP_NAME = "default"
# Media kinds whose text `detectors.documents` can extract.
EXTRACTABLE_MEDIA = frozenset({"image", "file"})
NO_APP_REASON = (
    "no WeCom app is configured; set REDLINE_WECOM_APPS (or "
    "REDLINE_WECOM_APPS_FILE), or run `python -m gateway install wecom`"
)

try:
    from detectors import documents
except ImportError:  # Pillow, pytesseract or PyMuPDF missing
    documents = None  # type: ignore[assignment]


# -- settings -------------------------------------------------------------


def wecom_apps(settings: Settings) -> tuple[tuple[WeComApp, ...], str]:
    """Return the configured apps, and the reason for a 404 when there are none.

    REDLINE_WECOM_APPS (or its file) wins; without it the gateway reads the
    file that `install wecom` writes. An app in that file without a corp id
    is left out, because decryption checks the corp id.
    """
    configured = settings.wecom.apps
    variable = f"{PREFIX}WECOM_APPS"
    if not configured:
        path = settings.data_dir / "keys" / INSTALLED_APP_FILE
        if not path.exists():
            return (), NO_APP_REASON
        variable = str(path)
        configured = load_wecom_apps_file(path, variable, require_corp_id=False)
        if not all(app.corp_id for app in configured):
            reason = (
                f"the WeCom app in {path} has no corp id; run `python -m gateway "
                "install wecom --corp-id YOUR_CORP_ID`"
            )
            log.warning("%s", reason)
            configured = tuple(app for app in configured if app.corp_id)
            if not configured:
                return (), reason
    apps = tuple(_adapter_app(app, variable) for app in configured)
    return apps, ""


def _adapter_app(app: WeComAppSettings, variable: str) -> WeComApp:
    try:
        return WeComApp(
            name=app.name,
            corp_id=app.corp_id,
            token=app.token,
            encoding_aes_key=app.encoding_aes_key,
            secret=app.secret,
            agent_id=app.agent_id,
        )
    except ValueError as error:
        raise ConfigError(f"{variable}: {error}") from None


# -- routes ---------------------------------------------------------------

wecom_blueprint = Blueprint("wecom", __name__)


def _runtime() -> Runtime:
    from gateway.http import current_runtime

    return current_runtime()


def _error(status: int, reason: str) -> Response:
    from gateway.http import error_response

    return error_response(status, reason)


@wecom_blueprint.get("/webhooks/wecom")
@wecom_blueprint.get("/webhooks/wecom/<app>")
def wecom_url_check(app: str | None = None) -> Response:
    runtime = _runtime()
    if not runtime.wecom_apps:
        return _error(404, runtime.wecom_setup_reason or NO_APP_REASON)
    try:
        plaintext = verify_url(
            request.query_string,
            runtime.wecom_apps,
            app_name=app,
            now=runtime.clock(),
            tolerance_seconds=runtime.settings.signature_tolerance_seconds,
        )
    except DeliveryRejected as error:
        return _rejected("URL check", app, error)
    log.info("wecom URL check for app %s verified", app or "-")
    return Response(plaintext, status=200, mimetype="text/plain")


@wecom_blueprint.post("/webhooks/wecom")
@wecom_blueprint.post("/webhooks/wecom/<app>")
def wecom_callback(app: str | None = None) -> Response:
    runtime = _runtime()
    started = time.monotonic()
    if not runtime.wecom_apps:
        return _error(404, runtime.wecom_setup_reason or NO_APP_REASON)
    try:
        parsed = decrypt_delivery(
            request.query_string,
            request.get_data(cache=True),
            runtime.wecom_apps,
            app_name=app,
            now=runtime.clock(),
            tolerance_seconds=runtime.settings.signature_tolerance_seconds,
        )
    except DeliveryRejected as error:
        return _rejected("callback", app, error)

    if isinstance(parsed, Ignored):
        log.info(
            "wecom callback %s app %s %s ignored: %s",
            parsed.dedupe_key,
            parsed.app,
            parsed.event,
            parsed.reason,
        )
        return _success()
    kind = WECOM_MESSAGE if isinstance(parsed, Delivery) else WECOM_KF_SYNC
    queued = runtime.queue.enqueue(kind, parsed.to_payload(), parsed.dedupe_key)
    runtime.worker.notify()
    log.info(
        "wecom callback %s app %s %s: %s in %.1f ms",
        parsed.dedupe_key,
        parsed.app,
        parsed.event,
        "queued" if queued else "duplicate",
        (time.monotonic() - started) * 1000,
    )
    return _success()


def _success() -> Response:
    """Return 200 with an empty body, which stops WeCom's retries."""
    return Response("", status=200, mimetype="text/plain")


def _rejected(what: str, app: str | None, error: DeliveryRejected) -> Response:
    detail = f" ({error.log_detail})" if error.log_detail else ""
    log.warning(
        "wecom %s for app %s rejected %d: %s%s",
        what,
        app or "-",
        error.status,
        error,
        detail,
    )
    return _error(error.status, str(error))


# -- warnings -------------------------------------------------------------

# Entity type -> (Chinese label, English label) for warning texts.
_TYPE_LABELS: Mapping[str, tuple[str, str]] = {
    "CN_RESIDENT_ID": ("身份证号", "resident ID number"),
    "BANK_CARD": ("银行卡号", "bank card number"),
    "BANK_ACCOUNT": ("银行账号", "bank account number"),
    "PASSPORT": ("护照号", "passport number"),
    "PHONE_NUMBER": ("电话号码", "phone number"),
    "EMAIL_ADDRESS": ("邮箱地址", "email address"),
    "VERIFICATION_CODE": ("验证码", "one-time code"),
    "PASSWORD": ("密码", "password"),
    "CARD_CVV": ("CVV 安全码", "card CVV"),
    "HK_MO_TW_ID": ("港澳台证件号", "Hong Kong, Macau or Taiwan ID number"),
    "SOCIAL_INSURANCE_NUMBER": ("社保号", "social insurance number"),
}
_SEVERITY_LABELS: Mapping[str, str] = {"high": "高", "medium": "中", "low": "低"}


def warning_line(finding: Finding) -> str:
    """Return the bilingual warning for one finding; it names the masked value only."""
    chinese, english = _TYPE_LABELS.get(
        finding.type, ("敏感信息", finding.type.lower().replace("_", " "))
    )
    if finding.severity == "high":
        zh_prefix, en_prefix = "Redline：", "Redline: "
    else:
        level = _SEVERITY_LABELS.get(finding.severity, finding.severity)
        zh_prefix = f"Redline（{level}风险）："
        en_prefix = f"Redline ({finding.severity} risk): "
    if finding.type == "RISKY_PHRASE":
        behaviour = (finding.behaviour or "risk").replace("_", " ")
        return (
            f"{zh_prefix}消息中有泄露个人信息的风险（{behaviour}，已遮盖：{finding.masked}）。"
            "请撤回该消息，今后不要索要或发送此类信息。\n"
            f"{en_prefix}a message shows {behaviour} (masked: {finding.masked}). "
            "Recall the message; never ask for or send such data again."
        )
    article = "an" if english[:1] in "aeiou" else "a"
    return (
        f"{zh_prefix}完整的{chinese}已被发送（已遮盖：{finding.masked}）。"
        "请撤回该消息，今后不要索要或发送此类信息。\n"
        f"{en_prefix}{article} {english} was sent in full (masked: "
        f"{finding.masked}). Recall the message; never ask for or send it again."
    )


def warning_text(findings: Sequence[Finding], case_id: str) -> str:
    """Join the warnings of `findings`, leaving out those past WeCom's text limit."""
    footer = f"\n(case {case_id})"
    lines: list[str] = []
    for number, finding in enumerate(findings):
        line = warning_line(finding)
        left = len(findings) - number
        more = f"\n… {left - 1} more finding(s)" if left > 1 else ""
        candidate = "\n".join([*lines, line]) + more + footer
        if len(candidate.encode("utf-8")) > MAX_TEXT_BYTES and lines:
            return "\n".join(lines) + f"\n… {left} more finding(s)" + footer
        lines.append(line)
    return "\n".join(lines) + footer


# -- inspection -----------------------------------------------------------


@dataclass
class _Inspected:
    """The findings of one interaction and its attachments."""

    findings: list[Finding] = field(default_factory=list)
    not_inspected: list[dict[str, str]] = field(default_factory=list)
    # segment id of an extracted document line -> segment id of its message
    document_segments: dict[str, str] = field(default_factory=dict)


class WeComInspector:
    """Detects, records and warns for WeCom interactions; shared by both handlers."""

    def __init__(
        self,
        apps: Sequence[WeComApp],
        detector: Detector,
        ledger: Ledger,
        outbox: Outbox,
        *,
        api_base: str,
        agents: AgentDirectory,
        managers: Sequence[str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.apps = {app.name: app for app in apps}
        self.detector = detector
        self.ledger = ledger
        self.outbox = outbox
        self.api_base = api_base
        self.agents = agents
        self.managers = list(managers)
        self.clock = clock
        self._apis: dict[str, WeComApi] = {}
        self._apis_lock = threading.Lock()

    def app(self, name: str) -> WeComApp:
        app = self.apps.get(name)
        if app is None:
            raise PermanentFailure(
                f"WeCom app {name[:40]!r} of a queued job is no longer configured; "
                "add it back to REDLINE_WECOM_APPS to process such jobs"
            )
        return app

    def api_for(self, app: WeComApp) -> WeComApi | None:
        """Return the API client of `app`, or None without a secret or API base."""
        if not self.api_base or not app.secret:
            return None
        with self._apis_lock:
            api = self._apis.get(app.name)
            if api is None:
                api = WeComApi.from_app(
                    app, api_base_url=self.api_base, clock=self.clock
                )
                self._apis[app.name] = api
            return api

    def warning_api(self, app: WeComApp) -> WeComApi | None:
        """Return a client that can send app messages in `app`'s corp, or None.

        A 微信客服 secret cannot send app messages, so a kf account borrows
        the first app of the same corp that has a secret and an agent id.
        """
        candidates = [app] + [
            other
            for other in self.apps.values()
            if other.corp_id == app.corp_id and other is not app
        ]
        for candidate in candidates:
            if candidate.agent_id is not None and candidate.secret:
                return self.api_for(candidate)
        return None

    def inspect(
        self,
        app: WeComApp,
        interaction: Interaction,
        recipients: Callable[[Segment], list[str]],
    ) -> Outcome:
        """Detect on an interaction and its media, record the case and warn.

        `recipients` returns the WeCom user ids to warn about a finding in
        a segment; managers are added for high severity.
        """
        inspected = self._detect(app, interaction)
        source = dict(interaction.source)
        if inspected.not_inspected:
            source["not_inspected"] = inspected.not_inspected
        update = self.ledger.record(
            interaction.id,
            "wecom",
            interaction.channel,
            source,
            inspected.findings,
            agent_id=_agent_for(
                interaction, inspected.findings, inspected.document_segments
            ),
            team=interaction.team,
        )
        partial = NOT_INSPECTED if inspected.not_inspected else "clean"
        if update is None:
            return Outcome(partial, findings=len(inspected.findings))
        case = update.case
        pending = self.ledger.unreported(case.id)
        if not pending:
            return Outcome("already reported", case.id, len(inspected.findings))
        groups: dict[tuple[str, ...], list[Finding]] = {}
        for finding in pending:
            segment_id = inspected.document_segments.get(
                finding.segment, finding.segment
            )
            segment = interaction.segment(segment_id)
            users = recipients(segment) if segment is not None else []
            if finding.severity == "high":
                users = users + self.managers
            groups.setdefault(tuple(dict.fromkeys(users)), []).append(finding)
        for group_users, findings in groups.items():
            # Each group is marked once sent, so a retry resends only the rest.
            self._send(app, list(group_users), findings, case.id)
            self.ledger.mark_reported(
                case.id, [f.key for f in findings], report_id_for(case.id, findings)
            )
        verdict = f"warned {case.severity}"
        if inspected.not_inspected:
            verdict += f", {len(inspected.not_inspected)} attachment(s) {NOT_INSPECTED}"
        return Outcome(verdict, case.id, len(pending))

    def _detect(self, app: WeComApp, interaction: Interaction) -> _Inspected:
        inspected = _Inspected(list(self.detector.detect(interaction).findings))
        for segment in interaction.segments:
            if segment.attachment is None:
                continue
            reason = self._inspect_media(app, interaction, segment, inspected)
            if reason:
                media_id = str(segment.attachment.get("media_id", ""))
                inspected.not_inspected.append(
                    {"segment": segment.id, "media_id": media_id, "reason": reason}
                )
                log.warning(
                    "wecom interaction %s segment %s: attachment %s (%s)",
                    interaction.id,
                    segment.id,
                    NOT_INSPECTED,
                    reason,
                )
        return inspected

    def _inspect_media(
        self,
        app: WeComApp,
        interaction: Interaction,
        segment: Segment,
        inspected: _Inspected,
    ) -> str:
        """Extract and detect on a segment's media; return why not, or ""."""
        attachment = segment.attachment or {}
        kind = str(attachment.get("kind", ""))
        if kind not in EXTRACTABLE_MEDIA:
            return f"{kind or 'media'} content is not inspected yet"
        if documents is None:
            return "detectors.documents is not installed (Pillow, pytesseract, PyMuPDF)"
        api = self.api_for(app)
        if api is None:
            return "no app secret or API base URL to download the media"
        try:
            media = api.download_media(str(attachment.get("media_id", "")))
        except PermanentFailure as error:
            return f"download failed: {error}"
        document = documents.extract(media.content, media.file_name, media.content_type)
        if not document.inspected:
            return f"extraction failed: {document.reason}"
        extracted = documents.to_interaction(
            document, f"{interaction.id}/{segment.id}", speaker=segment.speaker
        )
        for line in extracted.segments:
            line.id = f"{segment.id}/{line.id}"
            line.agent_id = segment.agent_id
            inspected.document_segments[line.id] = segment.id
        inspected.findings += self.detector.detect(extracted).findings
        return ""

    def _send(
        self, app: WeComApp, users: list[str], findings: list[Finding], case_id: str
    ) -> None:
        text = warning_text(findings, case_id)
        api = self.warning_api(app)
        if api is None or not users:
            reason = "no WeCom member to warn" if not users else "no API to send with"
            self.outbox.add(
                "wecom",
                f"{app.corp_id}/{app.name}",
                "send_warning",
                {"touser": users, "text": text, "case_id": case_id, "reason": reason},
            )
            return
        try:
            api.send_warning(users, text)
        except ValueError as error:
            # A user id from the configuration or WeCom is not valid for message/send.
            raise PermanentFailure(f"cannot send the WeCom warning: {error}") from None


def _agent_for(
    interaction: Interaction,
    findings: list[Finding],
    document_segments: Mapping[str, str],
) -> str | None:
    """Return who a case belongs to: the writer of an agent finding, else any agent."""
    for finding in findings:
        segment_id = document_segments.get(finding.segment, finding.segment)
        segment = interaction.segment(segment_id)
        if finding.behaviour and segment is not None and segment.agent_id:
            return segment.agent_id
    agents = interaction.agent_ids
    return agents[0] if agents else None


# -- job handlers ---------------------------------------------------------


class WeComMessageHandler:
    """Inspects one message a member sent to a self-built app (`wecom.message`)."""

    def __init__(self, inspector: WeComInspector) -> None:
        self.inspector = inspector

    def __call__(self, job: Any) -> Outcome:
        delivery = Delivery.from_payload(job.payload)
        app = self.inspector.app(delivery.app)
        interaction = app_interaction(delivery, self.inspector.agents)
        sender = delivery.message.sender
        return self.inspector.inspect(
            app, interaction, lambda segment: [sender] if sender else []
        )


def kf_cursor_key(corp_id: str, open_kfid: str) -> str:
    return f"wecom.kf_cursor:{corp_id}:{open_kfid}"


class WeComKfSyncHandler:
    """Pulls new 微信客服 messages after the stored cursor and inspects them."""

    def __init__(self, inspector: WeComInspector, cursors: KeyValue) -> None:
        self.inspector = inspector
        self.cursors = cursors

    def __call__(self, job: Any) -> Outcome:
        sync = KfSync.from_payload(job.payload)
        app = self.inspector.app(sync.app)
        if not sync.open_kfid:
            raise PermanentFailure(
                "kf_msg_or_event callback has no OpenKfId, so there is no account "
                "to sync; WeCom sends it in current callbacks"
            )
        api = self.inspector.api_for(app)
        if api is None:
            raise PermanentFailure(
                f"WeCom app {app.name!r} has no secret (or REDLINE_WECOM_API_BASE is "
                "empty), so 微信客服 messages cannot be pulled; set the kf secret"
            )
        key = kf_cursor_key(sync.corp_id, sync.open_kfid)
        cursor = str(self.cursors.get(key, ""))
        # NOTE: WeCom keeps the callback token valid for 10 minutes; a retry
        # after that syncs under WeCom's stricter rate limit for token-less calls.
        messages, next_cursor = api.sync_kf_messages(sync.token, sync.open_kfid, cursor)
        interactions = kf_interactions(messages, sync.corp_id, self.inspector.agents)
        case_id: str | None = None
        findings = 0
        verdicts: list[str] = []
        for interaction in interactions:
            group = _kf_group(messages, interaction)
            outcome = self.inspector.inspect(app, interaction, _kf_recipients(group))
            case_id = outcome.case_id or case_id
            findings += outcome.findings
            verdicts.append(outcome.verdict)
        # The cursor moves only after every interaction was recorded and warned.
        self.cursors.set(key, next_cursor)
        summary = "; ".join(sorted(set(verdicts))) or "nothing new"
        return Outcome(
            f"synced {len(messages)} kf message(s), {len(interactions)} "
            f"interaction(s): {summary}",
            case_id,
            findings,
        )


def _kf_group(
    messages: Iterable[KfMessage], interaction: Interaction
) -> dict[str, KfMessage]:
    """Map each segment id of `interaction` to the kf message it came from."""
    source = interaction.source
    by_segment: dict[str, KfMessage] = {}
    for message in messages:
        same = message.open_kfid == source.get(
            "open_kfid"
        ) and message.external_userid == source.get("external_userid")
        if not same:
            continue
        by_segment[message.msg_id] = message
        for name in message.text:
            by_segment[f"{message.msg_id}:{name}"] = message
    return by_segment


def _kf_recipients(group: Mapping[str, KfMessage]) -> Callable[[Segment], list[str]]:
    """Warn the servicer who wrote a finding; for a customer's, the session's servicers."""
    servicers = list(
        dict.fromkeys(
            message.servicer_userid
            for message in group.values()
            if message.origin == ORIGIN_SERVICER and message.servicer_userid
        )
    )

    def recipients(segment: Segment) -> list[str]:
        message = group.get(segment.id)
        if message is not None and message.origin == ORIGIN_SERVICER:
            return [message.servicer_userid] if message.servicer_userid else []
        return servicers

    return recipients


# -- installation ---------------------------------------------------------

_KEY_ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 32
AES_KEY_LENGTH = 43


def _random_text(length: int) -> str:
    return "".join(secrets.choice(_KEY_ALPHABET) for _ in range(length))


def install_wecom(
    settings: Settings,
    url: str | None,
    corp_id: str | None = None,
    secret: str | None = None,
    agent_id: int | None = None,
) -> int:
    """Print the callback URL, Token and EncodingAESKey for the WeCom console.

    Without configured apps, generate a token and key into
    DATA_DIR/keys/wecom-app.json (mode 0600), which the gateway reads when
    REDLINE_WECOM_APPS is unset. Return the exit status.
    """
    base = (url or f"http://{settings.host}:{settings.port}").rstrip("/")
    if settings.wecom.apps:
        apps = list(settings.wecom.apps)
        print("WeCom apps from the configuration:")
    else:
        path = settings.data_dir / "keys" / INSTALLED_APP_FILE
        try:
            apps = [_installed_app(path, corp_id, secret, agent_id)]
        except ConfigError as error:
            print(f"configuration error: {error}")
            return 2
        print(f"WeCom app stored in {path}:")
    for app in apps:
        print(f"\n  app:             {app.name}")
        print(f"  corp id:         {app.corp_id or '(not set; pass --corp-id)'}")
        print(f"  callback URL:    {base}/webhooks/wecom/{app.name}")
        print(f"  Token:           {app.token}")
        print(f"  EncodingAESKey:  {app.encoding_aes_key}")
    print(
        "\nNext steps:\n"
        "  1. In the WeCom admin console, open the app, then Receive Messages >\n"
        "     Set API Receive (接收消息 > 设置API接收), and paste the URL, Token and\n"
        "     EncodingAESKey above.\n"
        "  2. Start the gateway where that URL reaches it (python -m gateway run),\n"
        "     then save in the console: WeCom sends a verification request, which\n"
        "     the gateway answers.\n"
        "  3. To send warnings, give the app's Secret and AgentId (--secret and\n"
        "     --agent-id here, or secret and agent_id in REDLINE_WECOM_APPS);\n"
        "     without them warnings go to the outbox (GET /api/outbox)."
    )
    return 0


def _installed_app(
    path: Path, corp_id: str | None, secret: str | None, agent_id: int | None
) -> WeComAppSettings:
    """Read the installed app file, creating it with a new token and key if absent.

    Options given on the command line replace the stored values.
    """
    if path.exists():
        stored = load_wecom_apps_file(path, str(path), require_corp_id=False)
        if len(stored) != 1:
            raise ConfigError(f"{path} must hold exactly one app; move it aside")
        current = stored[0]
        entry: dict[str, Any] = {
            "name": current.name,
            "corp_id": current.corp_id,
            "token": current.token,
            "encoding_aes_key": current.encoding_aes_key,
            "secret": current.secret,
            "agent_id": current.agent_id,
        }
    else:
        entry = {
            "name": INSTALLED_APP_NAME,
            "corp_id": "",
            "token": _random_text(TOKEN_LENGTH),
            "encoding_aes_key": _random_text(AES_KEY_LENGTH),
            "secret": "",
            "agent_id": None,
        }
    if corp_id is not None:
        entry["corp_id"] = corp_id.strip()
    if secret is not None:
        entry["secret"] = secret.strip()
    if agent_id is not None:
        entry["agent_id"] = agent_id
    _write_private_json(path, [entry])
    app = load_wecom_apps_file(path, str(path), require_corp_id=False)[0]
    return app


def _write_private_json(path: Path, data: Any) -> None:
    """Write JSON to `path` with mode 0600, replacing the file in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    os.replace(temporary, path)
