"""WeCom (企业微信) in the gateway: callback routes, job handlers and installation.

    GET  /webhooks/wecom[/<app>]   URL verification: the bare plaintext, 200
    POST /webhooks/wecom[/<app>]   decrypt, queue, return 200 with an empty body

A message to an app is queued as `wecom.message`; a 微信客服 (kf) event as
`wecom.kf_sync`, whose handler pulls the new kf messages after the stored
cursor. Both handlers detect, record the case and warn the agent who wrote
the finding through an app message (high severity also warns the
configured managers). Warnings carry masked values only. Without an app
secret and agent id, or with the API turned off, warnings go to the outbox.

An image or file that cannot be downloaded or read never counts as clean.
It is listed on the interaction's case with its kind, message id, sender and
the reason, and a low-severity case without findings is opened for it when
there is no case. Its sender and the managers are warned once per media
item. Voice and video, whose content is not inspected yet, are listed and
warned about only on a case that exists for other reasons. The file name is
left out because it can name a person.

Each URL check leaves a record in the key-value store (app name, time and,
for a rejected check, the reason), which `install wecom --wait` reads to
confirm that WeCom reached the gateway.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import os
import secrets
import sqlite3
import string
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from flask import Blueprint, Response, request

from adapters.errors import DeliveryRejected, PermanentFailure, RetryLater
from adapters.wecom.api import MAX_MEDIA_BYTES, MAX_TEXT_BYTES, WeComApi
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
    check_url,
    decrypt_delivery,
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
from infra.datadir import DataDirLock
from infra.errors import ConfigError, DataDirLocked, InfraError, StorageError
from infra.ports import Job, KeyValue, Ledger, Outbox
from infra.sqlite import Database, SqliteKeyValue
from infra.sqlite.ledger import iso

if TYPE_CHECKING:
    from gateway.runtime import Runtime

log = logging.getLogger(__name__)

WECOM_MESSAGE = "wecom.message"
WECOM_KF_SYNC = "wecom.kf_sync"
NOT_INSPECTED = "not inspected"
# File that `python -m gateway install wecom` writes, below DATA_DIR/keys.
INSTALLED_APP_FILE = "wecom-app.json"
INSTALLED_APP_NAME = "default"
# 9999-12-31T23:59:59Z, the last second `datetime` can hold.
MAX_UNIX_SECONDS = 253_402_300_799
# Media kinds whose text `detectors.documents` can extract.
EXTRACTABLE_MEDIA = frozenset({"image", "file"})
NO_APP_REASON = (
    "no WeCom app is configured; set REDLINE_WECOM_APPS (or "
    "REDLINE_WECOM_APPS_FILE), or run `python -m gateway install wecom`"
)
# Key-value records of the last verified and the last rejected URL check of
# each app, followed by the app name.
URL_VERIFIED_KEY = "wecom.url_verified:"
URL_REJECTED_KEY = "wecom.url_rejected:"

try:
    from detectors import documents
    from gateway.scan import inspect_document
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
        check = check_url(
            request.query_string,
            runtime.wecom_apps,
            app_name=app,
            now=runtime.clock(),
            tolerance_seconds=runtime.settings.signature_tolerance_seconds,
        )
    except DeliveryRejected as error:
        # Only a configured name is recorded, so a stranger cannot add keys.
        if any(known.name == app for known in runtime.wecom_apps):
            _record_url_check(runtime, str(app), error)
        return _rejected("URL check", app, error)
    _record_url_check(runtime, check.app)
    log.info("wecom URL check for app %s verified", check.app)
    return Response(check.plaintext, status=200, mimetype="text/plain")


def _record_url_check(
    runtime: Runtime, app: str, error: DeliveryRejected | None = None
) -> None:
    """Store the outcome of a URL check for `install wecom --wait`.

    The record contains the app name, the time, a count of verified checks
    and, for a rejected check, the status and reason. It never contains a
    token or key. A storage failure is logged and does not change the reply.
    """
    if runtime.key_values is None:
        return
    record: dict[str, Any] = {"app": app, "at": iso(runtime.clock())}
    try:
        if error is None:
            key = URL_VERIFIED_KEY + app
            previous = runtime.key_values.get(key) or {}
            record["count"] = int(previous.get("count", 0)) + 1
        else:
            key = URL_REJECTED_KEY + app
            record["status"] = error.status
            detail = f" ({error.log_detail})" if error.log_detail else ""
            record["reason"] = f"{error}{detail}"
        runtime.key_values.set(key, record)
    except (StorageError, sqlite3.Error) as failure:
        log.warning("wecom URL check for app %s not recorded: %s", app, failure)


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
# Media kind -> (Chinese label, English label) for attachments not inspected.
_MEDIA_LABELS: Mapping[str, tuple[str, str]] = {
    "image": ("图片", "an image"),
    "file": ("文件", "a file"),
    "voice": ("语音", "a voice message"),
    "video": ("视频", "a video"),
}
# A warning lists at most this many attachments that were not inspected, each
# reason cut to the given length, so that the list and at least one finding
# fit in WeCom's text limit.
MAX_WARNED_NOT_INSPECTED = 2
MAX_WARNED_REASON_CHARS = 100


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
    article = "an" if english[:1] in "aeiou" else "a"
    if finding.behaviour == "document_exposure":
        return (
            f"{zh_prefix}图片或文件中有完整的{chinese}（已遮盖：{finding.masked}）。"
            "请撤回该消息，如需发送请改发遮盖后的副本。\n"
            f"{en_prefix}an image or file shows {article} {english} in full "
            f"(masked: {finding.masked}). Recall the message; if it must be sent, "
            "send a redacted copy."
        )
    if finding.type == "RISKY_PHRASE":
        behaviour = (finding.behaviour or "risk").replace("_", " ")
        return (
            f"{zh_prefix}消息中有泄露个人信息的风险（{behaviour}，已遮盖：{finding.masked}）。"
            "请撤回该消息，今后不要索要或发送此类信息。\n"
            f"{en_prefix}a message shows {behaviour} (masked: {finding.masked}). "
            "Recall the message; never ask for or send such data again."
        )
    return (
        f"{zh_prefix}完整的{chinese}已被发送（已遮盖：{finding.masked}）。"
        "请撤回该消息，今后不要索要或发送此类信息。\n"
        f"{en_prefix}{article} {english} was sent in full (masked: "
        f"{finding.masked}). Recall the message; never ask for or send it again."
    )


def not_inspected_line(item: Mapping[str, Any]) -> str:
    """Return the bilingual notice for one attachment that was not inspected."""
    chinese, english = _MEDIA_LABELS.get(
        str(item.get("kind", "")), ("附件", "an attachment")
    )
    reason = str(item.get("reason", "")) or "unknown reason"
    if len(reason) > MAX_WARNED_REASON_CHARS:
        reason = reason[: MAX_WARNED_REASON_CHARS - 1] + "…"
    if item.get("kind") not in EXTRACTABLE_MEDIA:
        return (
            f"Redline：会话中的{chinese}未经检查（{reason}）。请人工查看，如含个人信息请撤回。\n"
            f"Redline: {english} in this conversation was not checked ({reason}). "
            "Check it by hand, and recall it if it shows personal data."
        )
    return (
        f"Redline：会话中的{chinese}未能检查（{reason}）。"
        "如是您发送的，请重新发送以便检查；否则请人工查看。如含个人信息请撤回。\n"
        f"Redline: {english} in this conversation could not be checked ({reason}). "
        "If you sent it, send it again so that it can be checked; otherwise "
        "check it by hand. Recall it if it shows personal data."
    )


def warning_text(
    findings: Sequence[Finding],
    case_id: str,
    not_inspected: Sequence[Mapping[str, Any]] = (),
) -> str:
    """Join the warnings of `findings` and the attachments not inspected.

    Findings past WeCom's text limit are left out and counted; the notices
    of attachments not inspected are always kept.
    """
    tail = [
        not_inspected_line(item) for item in not_inspected[:MAX_WARNED_NOT_INSPECTED]
    ]
    if len(not_inspected) > MAX_WARNED_NOT_INSPECTED:
        others = len(not_inspected) - MAX_WARNED_NOT_INSPECTED
        tail.append(f"… {others} more attachment(s) not inspected")
    tail.append(f"(case {case_id})")
    footer = "\n".join(tail)
    lines: list[str] = []
    for number, finding in enumerate(findings):
        line = warning_line(finding)
        left = len(findings) - number
        more = [f"… {left - 1} more finding(s)"] if left > 1 else []
        candidate = "\n".join([*lines, line, *more, footer])
        if len(candidate.encode("utf-8")) > MAX_TEXT_BYTES and lines:
            return "\n".join([*lines, f"… {left} more finding(s)", footer])
        lines.append(line)
    return "\n".join([*lines, footer])


# -- inspection -----------------------------------------------------------


@dataclass
class _Inspected:
    """The findings of one interaction and its attachments."""

    findings: list[Finding] = field(default_factory=list)
    not_inspected: list[dict[str, Any]] = field(default_factory=list)
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
        max_media_bytes: int = MAX_MEDIA_BYTES,
    ) -> None:
        self.apps = {app.name: app for app in apps}
        self.detector = detector
        self.ledger = ledger
        self.outbox = outbox
        self.api_base = api_base
        self.agents = agents
        self.managers = list(managers)
        self.clock = clock
        self.max_media_bytes = max_media_bytes
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
                    app,
                    api_base_url=self.api_base,
                    clock=self.clock,
                    max_media_bytes=self.max_media_bytes,
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
        *,
        last_attempt: bool = False,
    ) -> Outcome:
        """Detect on an interaction and its media, record the case and warn.

        `recipients` returns the WeCom user ids to warn about a finding in
        a segment; managers are added for high severity. Media that could
        not be inspected is listed on the case and the verdict names it
        instead of "clean". An image or file that failed opens the case if
        need be. Its sender and the managers are warned once per media item,
        within a finding's warning when that warning goes to all of them,
        else in a notice of its own.

        A download that fails with `RetryLater` (WeCom busy, HTTP 5xx)
        raises it again, except on the job's `last_attempt`: there the media
        is listed as not inspected, so it is not lost with the dead job.
        """
        inspected = self._detect(app, interaction, last_attempt)
        failed = [
            item
            for item in inspected.not_inspected
            if item["kind"] in EXTRACTABLE_MEDIA
        ]
        update = self.ledger.record(
            interaction.id,
            "wecom",
            interaction.channel,
            dict(interaction.source),
            inspected.findings,
            agent_id=_agent_for(
                interaction, inspected.findings, inspected.document_segments
            ),
            team=interaction.team,
            not_inspected=failed,
        )
        unchecked = inspected.not_inspected
        if update is None:
            verdict = NOT_INSPECTED if unchecked else "clean"
            return Outcome(verdict, findings=len(inspected.findings))
        case = update.case
        # Voice and video are listed on a case that exists, but open none.
        other_media = [item for item in unchecked if item not in failed]
        if other_media and self.ledger.add_not_inspected(case.id, other_media):
            case = self.ledger.get_case(case.id) or case
        # Listed before warning, so a failed send still leaves the case
        # complete. An item is marked warned only after its notice was sent.
        notices = _unwarned_media(case.source)
        pending = self.ledger.unreported(case.id)
        if pending:
            notices = self._warn_findings(
                app, interaction, recipients, case.id, pending, inspected, notices
            )
            verdict = f"warned {case.severity}"
        else:
            verdict = "warned" if notices else "already reported"
        if notices:
            self._warn_not_inspected(app, interaction, recipients, case.id, notices)
        if unchecked:
            verdict += f", {len(unchecked)} attachment(s) {NOT_INSPECTED}"
        return Outcome(verdict, case.id, len(pending))

    def _warn_findings(
        self,
        app: WeComApp,
        interaction: Interaction,
        recipients: Callable[[Segment], list[str]],
        case_id: str,
        pending: list[Finding],
        inspected: _Inspected,
        notices: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Warn about unreported findings, one message per group of recipients.

        A media notice goes into the message of the first group that
        contains all of its recipients. Return the notices no message carried.
        """
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
            carried = [
                notice
                for notice in notices
                if set(self._notice_users(interaction, recipients, [notice]))
                <= set(group_users)
            ]
            notices = [notice for notice in notices if notice not in carried]
            # Each group is marked once sent, so a retry resends only the rest.
            self._send(app, list(group_users), findings, case_id, carried)
            self.ledger.mark_reported(
                case_id, [f.key for f in findings], report_id_for(case_id, findings)
            )
            if carried:
                self.ledger.mark_not_inspected_warned(
                    case_id, [str(notice.get("segment")) for notice in carried]
                )
        return notices

    def _warn_not_inspected(
        self,
        app: WeComApp,
        interaction: Interaction,
        recipients: Callable[[Segment], list[str]],
        case_id: str,
        notices: list[dict[str, Any]],
    ) -> None:
        """Send the notice of media not inspected to who sent or saw it, and to managers."""
        users = self._notice_users(interaction, recipients, notices)
        self._send(app, users, [], case_id, notices)
        self.ledger.mark_not_inspected_warned(
            case_id, [str(notice.get("segment")) for notice in notices]
        )

    def _notice_users(
        self,
        interaction: Interaction,
        recipients: Callable[[Segment], list[str]],
        notices: list[dict[str, Any]],
    ) -> list[str]:
        users: list[str] = []
        for notice in notices:
            segment = interaction.segment(str(notice.get("segment", "")))
            if segment is not None:
                users += recipients(segment)
        return list(dict.fromkeys(users + self.managers))

    def _detect(
        self, app: WeComApp, interaction: Interaction, last_attempt: bool
    ) -> _Inspected:
        inspected = _Inspected(list(self.detector.detect(interaction).findings))
        for segment in interaction.segments:
            if segment.attachment is None:
                continue
            reason = self._inspect_media(
                app, interaction, segment, inspected, last_attempt
            )
            if reason:
                inspected.not_inspected.append(_media_item(segment, reason))
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
        last_attempt: bool,
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
            # MediaTooLarge is one: a file over the limit is never read.
            return f"download failed: {error}"
        except RetryLater as error:
            if not last_attempt:
                raise
            return f"download failed on every attempt: {error}"
        limits = documents.Limits(max_bytes=self.max_media_bytes)
        document = documents.extract(
            media.content, media.file_name, media.content_type, limits=limits
        )
        if not document.inspected:
            return f"extraction failed: {document.reason}"
        # The document's own ids ("p1l1") are prefixed with the message's
        # segment id, which is how findings find their way to the sender.
        report = inspect_document(
            self.detector, document, f"{interaction.id}/{segment.id}", segment.speaker
        )
        prefix = f"{segment.id}/"
        for line in report.interaction.segments:
            inspected.document_segments[prefix + line.id] = segment.id
        inspected.findings += [
            dataclasses.replace(finding, segment=prefix + finding.segment)
            for finding in report.findings
        ]
        return ""

    def _send(
        self,
        app: WeComApp,
        users: list[str],
        findings: list[Finding],
        case_id: str,
        not_inspected: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        text = warning_text(findings, case_id, not_inspected)
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


def _media_item(segment: Segment, reason: str) -> dict[str, Any]:
    """Describe media not inspected for the case, without its file name.

    The segment id is the WeCom message id. The sender is the agent id of an
    agent's message, else the speaker, such as "customer".
    """
    attachment = segment.attachment or {}
    item: dict[str, Any] = {
        "segment": segment.id,
        "msg_id": segment.id,
        "kind": str(attachment.get("kind", "")),
        "media_id": str(attachment.get("media_id", "")),
        "sender": segment.agent_id or segment.speaker,
        "reason": reason,
    }
    sent = segment.extra.get("send_time") or segment.extra.get("create_time")
    # A time past the year 9999 cannot be shown, so it counts as unknown.
    if isinstance(sent, int) and 0 < sent <= MAX_UNIX_SECONDS:
        item["sent_at"] = iso(datetime.datetime.fromtimestamp(sent, datetime.UTC))
    return item


def _unwarned_media(source: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return one listed item per media item whose warning was not sent yet."""
    listed = [item for item in source.get("not_inspected") or [] if item]
    warned = {item.get("segment") for item in listed if item.get("warned_at")}
    notices: dict[Any, dict[str, Any]] = {}
    for item in listed:
        segment = item.get("segment")
        if segment not in warned and segment not in notices:
            notices[segment] = item
    return list(notices.values())


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

    def __call__(self, job: Job) -> Outcome:
        delivery = Delivery.from_payload(job.payload)
        app = self.inspector.app(delivery.app)
        interaction = app_interaction(delivery, self.inspector.agents)
        sender = delivery.message.sender
        return self.inspector.inspect(
            app,
            interaction,
            lambda segment: [sender] if sender else [],
            last_attempt=job.last_attempt,
        )


def kf_cursor_key(corp_id: str, open_kfid: str) -> str:
    return f"wecom.kf_cursor:{corp_id}:{open_kfid}"


class WeComKfSyncHandler:
    """Pulls new 微信客服 messages after the stored cursor and inspects them."""

    def __init__(self, inspector: WeComInspector, cursors: KeyValue) -> None:
        self.inspector = inspector
        self.cursors = cursors

    def __call__(self, job: Job) -> Outcome:
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
            outcome = self.inspector.inspect(
                app,
                interaction,
                _kf_recipients(group),
                last_attempt=job.last_attempt,
            )
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
    *,
    app_name: str | None = None,
    wait_seconds: float | None = None,
) -> int:
    """Print the callback URL, Token and EncodingAESKey for the WeCom console.

    Without configured apps, generate a token and key into
    DATA_DIR/keys/wecom-app.json (mode 0600), which the gateway reads when
    REDLINE_WECOM_APPS is unset. `app_name` limits the output to one app.
    With `wait_seconds`, wait that long for the gateway to verify WeCom's
    URL check of each app shown (see `wait_for_url_check`). Return the exit
    status: 0 done or verified, 1 timed out, 2 for a configuration error.
    """
    base = (url or f"http://{settings.host}:{settings.port}").rstrip("/")
    app_file_changed = False
    if settings.wecom.apps:
        apps = list(settings.wecom.apps)
        heading = "WeCom apps from the configuration:"
    else:
        path = settings.data_dir / "keys" / INSTALLED_APP_FILE
        before = path.read_bytes() if path.exists() else None
        try:
            apps = [_installed_app(path, corp_id, secret, agent_id)]
        except ConfigError as error:
            print(f"configuration error: {error}")
            return 2
        app_file_changed = before != path.read_bytes()
        heading = f"WeCom app stored in {path}:"
    if app_name is not None:
        names = ", ".join(app.name for app in apps)
        apps = [app for app in apps if app.name == app_name]
        if not apps:
            print(
                f"configuration error: no WeCom app is named {app_name[:40]!r}; "
                f"the configured apps are {names}"
            )
            return 2
    print(heading)
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
        "     the gateway answers (--wait shows when it arrives).\n"
        "  3. To send warnings, give the app's Secret and AgentId (--secret and\n"
        "     --agent-id here, or secret and agent_id in REDLINE_WECOM_APPS);\n"
        "     without them warnings go to the outbox (GET /api/outbox)."
    )
    if app_file_changed and gateway_running(settings.data_dir):
        print(
            "\nA gateway is running on this data folder and read the app file "
            "when it started: restart it so that it uses the values above."
        )
    if wait_seconds is None:
        return 0
    without_corp = [app.name for app in apps if not app.corp_id]
    if without_corp:
        print(
            f"\ncannot wait for app {', '.join(without_corp)}: without a corp id "
            "the gateway cannot decrypt WeCom's verification request; run this "
            "command again with --corp-id YOUR_CORP_ID"
        )
        return 2
    print()
    return wait_for_url_check(
        settings.data_dir, [app.name for app in apps], wait_seconds, base_url=base
    )


# Seconds that `install wecom --wait` waits by default, and between two reads.
DEFAULT_WAIT_SECONDS = 600.0
WAIT_POLL_SECONDS = 0.5
# The database file that `Runtime.build` opens in the data folder.
DATABASE_FILE = "redline.db"


def wait_for_url_check(
    data_dir: Path,
    app_names: Sequence[str],
    timeout_seconds: float,
    *,
    base_url: str = "",
    poll_seconds: float = WAIT_POLL_SECONDS,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    out: TextIO | None = None,
) -> int:
    """Wait until the gateway has verified a new URL check of each app.

    The gateway records every URL check in the database of `data_dir`, so
    this works with the gateway in this process or in another one on the
    same data folder. A check recorded before the wait started does not
    count. Rejected checks are printed with their reason as they arrive.
    Return 0 when every app was verified, 1 on timeout, and 2 when the
    database cannot be read.
    """
    out = out or sys.stdout
    try:
        database = Database(data_dir / DATABASE_FILE)
    except InfraError as error:
        print(f"cannot open the gateway's database: {error}", file=out)
        return 2
    try:
        records = SqliteKeyValue(database)
        return _poll_url_checks(
            records,
            data_dir,
            app_names,
            timeout_seconds,
            base_url,
            poll_seconds,
            monotonic,
            sleep,
            out,
        )
    except (StorageError, sqlite3.Error) as error:
        print(f"cannot read the gateway's database: {error}", file=out)
        return 2
    finally:
        database.close()


def _poll_url_checks(
    records: KeyValue,
    data_dir: Path,
    app_names: Sequence[str],
    timeout_seconds: float,
    base_url: str,
    poll_seconds: float,
    monotonic: Callable[[], float],
    sleep: Callable[[float], None],
    out: TextIO,
) -> int:
    verified = {name: records.get(URL_VERIFIED_KEY + name) for name in app_names}
    rejected = {name: records.get(URL_REJECTED_KEY + name) for name in app_names}
    for name, record in verified.items():
        if record:
            print(
                f"App {name} was last verified at {record.get('at')}; waiting for "
                "a new verification request.",
                file=out,
            )
    if gateway_running(data_dir) is False:
        print(
            f"No gateway is running on the data folder {data_dir} yet; start one "
            "(python -m gateway run) with this REDLINE_DATA_DIR.",
            file=out,
        )
    names = ", ".join(app_names)
    print(
        f"Waiting up to {timeout_seconds:g} s for WeCom's verification request to "
        f"app {names}: save the settings in the WeCom admin console now.",
        file=out,
        flush=True,
    )
    pending = list(app_names)
    deadline = monotonic() + timeout_seconds
    while True:
        for name in list(pending):
            rejection = records.get(URL_REJECTED_KEY + name)
            if isinstance(rejection, dict) and rejection != rejected[name]:
                rejected[name] = rejection
                print(
                    f"Rejected: a verification request for app {name} at "
                    f"{rejection.get('at')} got HTTP {rejection.get('status')}: "
                    f"{rejection.get('reason')}",
                    file=out,
                    flush=True,
                )
            record = records.get(URL_VERIFIED_KEY + name)
            if isinstance(record, dict) and record != verified[name]:
                pending.remove(name)
                at = record.get("at")
                print(
                    f"Verified: the gateway answered WeCom's verification request "
                    f"for app {name} at {at}. WeCom can now send callbacks.",
                    file=out,
                    flush=True,
                )
        if not pending:
            return 0
        left = deadline - monotonic()
        if left <= 0:
            break
        sleep(min(poll_seconds, left))
    print(_timeout_message(pending, timeout_seconds, data_dir, base_url), file=out)
    return 1


def _timeout_message(
    pending: Sequence[str], timeout_seconds: float, data_dir: Path, base_url: str
) -> str:
    urls = ", ".join(f"{base_url}/webhooks/wecom/{name}" for name in pending)
    gateway = (
        f"a gateway runs on the data folder {data_dir} (none is running now)"
        if gateway_running(data_dir) is False
        else f"the gateway on the data folder {data_dir} was started after the "
        "last change to the app settings"
    )
    checks = [
        f"the callback URL {urls} is reachable from the internet, because WeCom "
        "calls it from its own servers;",
        f"{gateway};",
        "the Token and EncodingAESKey in the console are exactly the ones printed "
        "above, without spaces;",
        "the corp id is the CorpID under My Company > Company Information "
        "(我的企业 > 企业信息);",
        "the console saved without an error such as 回调URL校验失败 (-40001).",
    ]
    lines = [
        f"Timed out after {timeout_seconds:g} s: no verification request for app "
        f"{', '.join(pending)} was verified. Check that:"
    ]
    lines += [
        textwrap.fill(check, 79, initial_indent="  - ", subsequent_indent="    ")
        for check in checks
    ]
    lines.append(
        "Then save in the console again, or run this command again to wait longer."
    )
    return "\n".join(lines)


def gateway_running(data_dir: Path) -> bool | None:
    """Tell whether a gateway holds the lock of `data_dir`; None if unknown.

    The probe takes the lock for an instant when it is free, so a gateway
    that starts in that instant stops with "another gateway is running".
    """
    if not data_dir.is_dir():
        return False
    lock = DataDirLock(data_dir)
    try:
        lock.acquire()
    except DataDirLocked:
        return True
    except ConfigError:
        return None
    lock.release()
    return False


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
