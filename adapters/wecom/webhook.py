"""Inbound WeCom callbacks: URL verification (GET) and encrypted deliveries (POST).

WeCom signs a callback with `msg_signature`, the SHA-1 hex digest of the
token, timestamp, nonce and ciphertext sorted and joined. The ciphertext is
AES-256-CBC under the app's EncodingAESKey with PKCS#7 padding to 32-byte
blocks, and the plaintext ends with the receive id, which is the corp id for
a self-built app. wechatpy's enterprise `WeChatCrypto` (1.8.18) does the
cryptography. This module reads the raw query string, picks the app, checks
the timestamp and maps each failure to the HTTP status the gateway returns:

    GET  ?msg_signature=&timestamp=&nonce=&echostr=   reply with bare plaintext
    POST ?msg_signature=&timestamp=&nonce=            body <xml><Encrypt>...

Several apps, also of several corps, can share one gateway. The gateway
either passes the app name from the callback path (`app_name`), or lets the
signature pick among all apps: each app whose token gives the signature is
tried in turn.
"""

from __future__ import annotations

import binascii
import datetime
import hashlib
import hmac
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote

from wechatpy.enterprise import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import WeChatSigner

from adapters.errors import PayloadInvalid, SignatureInvalid
from adapters.wecom.app import WeComApp
from adapters.wecom.errors import UnknownApp
from adapters.wecom.messages import (
    Event,
    Message,
    UnknownMessage,
    message_from_payload,
    parse_callback,
    parse_xml,
    xml_fields,
)

SIGNATURE_PARAM = "msg_signature"
TIMESTAMP_PARAM = "timestamp"
NONCE_PARAM = "nonce"
ECHOSTR_PARAM = "echostr"
KF_EVENT = "kf_msg_or_event"
# Maximum length of a query parameter value. A real echostr has about 90
# characters and a signature 40, so the limit only keeps hostile input small.
MAX_PARAM_LENGTH = 4096
# WeCom's timestamps are Unix seconds, and 12 digits reach the year 33658.
MAX_TIMESTAMP_DIGITS = 12
SIGNATURE_LENGTH = 40

T = TypeVar("T")


# -- query string -------------------------------------------------------


def parse_query(query_string: bytes) -> dict[str, str]:
    """Split a raw query string into parameters, percent-decoding each once.

    `urllib.parse.unquote` keeps a literal `+` as `+`. Flask's `request.args`
    and `parse_qs` turn it into a space, which breaks the base64 `echostr`.
    Raise `PayloadInvalid` for non-ASCII bytes, invalid UTF-8 after decoding,
    or a callback parameter given twice.
    """
    try:
        text = query_string.decode("ascii")
    except UnicodeDecodeError:
        raise PayloadInvalid(
            "query string contains non-ASCII bytes; expected the URL WeCom requests"
        ) from None
    params: dict[str, str] = {}
    for part in text.split("&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition("=")
        try:
            name = unquote(raw_name, errors="strict")
            value = unquote(raw_value, errors="strict")
        except UnicodeDecodeError:
            raise PayloadInvalid(
                "query string has a percent-encoded value that is not UTF-8"
            ) from None
        if name in params and name in _CALLBACK_PARAMS:
            raise PayloadInvalid(f"query parameter {name} is given more than once")
        params.setdefault(name, value)
    return params


_CALLBACK_PARAMS = frozenset(
    {SIGNATURE_PARAM, TIMESTAMP_PARAM, NONCE_PARAM, ECHOSTR_PARAM}
)


@dataclass(frozen=True)
class _Signed:
    """The signed parameters of one callback."""

    signature: str
    timestamp: str
    nonce: str


def _signed_params(
    params: Mapping[str, str],
    now: datetime.datetime | None,
    tolerance_seconds: int,
) -> _Signed:
    missing = [
        name
        for name in (SIGNATURE_PARAM, TIMESTAMP_PARAM, NONCE_PARAM)
        if not params.get(name)
    ]
    if missing:
        raise SignatureInvalid(
            f"missing query parameter {', '.join(missing)}; expected the "
            "msg_signature, timestamp and nonce WeCom sends"
        )
    for name in (SIGNATURE_PARAM, TIMESTAMP_PARAM, NONCE_PARAM):
        if len(params[name]) > MAX_PARAM_LENGTH:
            raise PayloadInvalid(f"query parameter {name} is too long")
    signature = params[SIGNATURE_PARAM].lower()
    if len(signature) != SIGNATURE_LENGTH:
        raise SignatureInvalid(
            f"{SIGNATURE_PARAM} has {len(signature)} characters; expected a "
            f"{SIGNATURE_LENGTH}-digit SHA-1 hex digest"
        )
    timestamp = params[TIMESTAMP_PARAM]
    _check_timestamp(timestamp, now, tolerance_seconds)
    return _Signed(signature, timestamp, params[NONCE_PARAM])


def _check_timestamp(
    timestamp: str, now: datetime.datetime | None, tolerance_seconds: int
) -> None:
    """Reject a timestamp that is not Unix seconds or is outside the window.

    WeCom documents no replay window. The window bounds how long a captured
    callback can be replayed; dedupe keys catch replays inside it.
    """
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise SignatureInvalid("timestamp must be Unix seconds in decimal digits")
    if len(timestamp) > MAX_TIMESTAMP_DIGITS:
        raise SignatureInvalid(
            f"timestamp has {len(timestamp)} digits; expected Unix seconds"
        )
    moment = now or datetime.datetime.now(datetime.UTC)
    offset = moment.timestamp() - int(timestamp)
    if abs(offset) > tolerance_seconds:
        direction = "behind" if offset > 0 else "ahead of"
        raise SignatureInvalid(
            f"signature timestamp outside the allowed window of "
            f"{tolerance_seconds} s; sign the callback with the current time",
            log_detail=f"timestamp {int(abs(offset))} s {direction} the gateway's clock",
        )


# -- choosing the app ---------------------------------------------------


def _configured(
    apps: Sequence[WeComApp], app_name: str | None, corp_id: str | None
) -> list[WeComApp]:
    """Return the apps a callback may be for, by path name and by corp id.

    Raise `ValueError` when no app is configured at all (a setup error) and
    `UnknownApp` when none matches the name or corp.
    """
    if not apps:
        raise ValueError("no WeCom app is configured")
    chosen = list(apps)
    if app_name is not None:
        chosen = [app for app in chosen if app.name == app_name]
        if not chosen:
            raise UnknownApp(
                f"no WeCom app named {app_name[:40]!r} is configured; check the "
                "callback URL set in WeCom"
            )
    if corp_id:
        chosen = [app for app in chosen if app.corp_id == corp_id]
        if not chosen:
            raise UnknownApp(
                "no WeCom app is configured for the corp id in ToUserName; check "
                "the corp id in Redline's settings"
            )
    return chosen


def _signature(app: WeComApp, signed: _Signed, ciphertext: str) -> str:
    """Compute msg_signature with wechatpy's signer (sorted, joined, SHA-1)."""
    signer = WeChatSigner()
    signer.add_data(app.token, signed.timestamp, signed.nonce, ciphertext)
    return str(signer.signature)


def _decrypt_with_any(
    apps: Sequence[WeComApp],
    signed: _Signed,
    ciphertext: str,
    decrypt: Callable[[WeChatCrypto], T],
) -> tuple[WeComApp, T]:
    """Decrypt with the first app whose token gives the signature.

    The signature is compared in constant time here. wechatpy then compares
    it again with `!=`, but only for strings already found equal.
    """
    offered = signed.signature.encode()
    signers = [
        app
        for app in apps
        if hmac.compare_digest(_signature(app, signed, ciphertext).encode(), offered)
    ]
    if not signers:
        raise SignatureInvalid(
            "msg_signature does not match the token of any configured WeCom app; "
            "check the callback Token"
        )
    wrong_corp = False
    for app in signers:
        crypto = WeChatCrypto(app.token, app.encoding_aes_key, app.corp_id)
        try:
            return app, decrypt(crypto)
        except InvalidCorpIdException:
            wrong_corp = True
        except InvalidSignatureException:
            continue
        except (ValueError, IndexError, struct.error, binascii.Error):
            # A wrong EncodingAESKey yields random plaintext: bad base64,
            # a broken length prefix or bytes that are not UTF-8.
            continue
    if wrong_corp:
        raise UnknownApp(
            "the callback was encrypted for a receive id (corp id) that no "
            "configured WeCom app has"
        )
    raise PayloadInvalid(
        "the ciphertext does not decrypt with the EncodingAESKey of the app whose "
        "token signed it; check the EncodingAESKey"
    )


# -- GET: URL verification ----------------------------------------------


@dataclass(frozen=True)
class UrlCheck:
    """A verified URL check: the app whose token signed it, and the reply body."""

    app: str
    plaintext: str


def verify_url(
    query_string: bytes,
    apps: Sequence[WeComApp],
    *,
    app_name: str | None = None,
    now: datetime.datetime | None = None,
    tolerance_seconds: int = 300,
) -> str:
    """Verify WeCom's URL check and return the plaintext for the response.

    Pass the raw query string (Flask: `request.query_string`). The gateway
    returns 200 with exactly this text as body, without quotes, JSON or newline.
    Raise `SignatureInvalid` (401), `PayloadInvalid` (400) or `UnknownApp`
    (404).
    """
    return check_url(
        query_string,
        apps,
        app_name=app_name,
        now=now,
        tolerance_seconds=tolerance_seconds,
    ).plaintext


def check_url(
    query_string: bytes,
    apps: Sequence[WeComApp],
    *,
    app_name: str | None = None,
    now: datetime.datetime | None = None,
    tolerance_seconds: int = 300,
) -> UrlCheck:
    """Verify WeCom's URL check like `verify_url`, and also name the app it was for."""
    params = parse_query(query_string)
    signed = _signed_params(params, now, tolerance_seconds)
    echostr = params.get(ECHOSTR_PARAM, "")
    if not echostr:
        raise PayloadInvalid(
            "missing query parameter echostr; expected WeCom's URL check"
        )
    if len(echostr) > MAX_PARAM_LENGTH:
        raise PayloadInvalid("query parameter echostr is too long")
    candidates = _configured(apps, app_name, None)
    app, plaintext = _decrypt_with_any(
        candidates,
        signed,
        echostr,
        lambda crypto: crypto.check_signature(
            signed.signature, signed.timestamp, signed.nonce, echostr
        ),
    )
    return UrlCheck(app.name, str(plaintext))


# -- POST: deliveries ---------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """A message to inspect, from the app `app` (a `WeComApp.name`)."""

    app: str
    dedupe_key: str
    message: Message

    @property
    def event(self) -> str:
        return self.message.kind

    def to_payload(self) -> dict[str, Any]:
        """Return the queue payload: plain JSON, rebuilt by `from_payload`."""
        return {
            "app": self.app,
            "dedupe_key": self.dedupe_key,
            "message": self.message.to_payload(),
        }

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Delivery:
        return cls(
            app=str(data["app"]),
            dedupe_key=str(data["dedupe_key"]),
            message=message_from_payload(data["message"]),
        )


@dataclass(frozen=True)
class KfSync:
    """A 微信客服 `kf_msg_or_event`: pull new messages with `sync_kf_messages`.

    `token` lets `kf/sync_msg` run without the strict rate limit; WeCom keeps
    it valid for 10 minutes, so queue the sync at once. The repr hides it.
    """

    app: str
    dedupe_key: str
    corp_id: str
    open_kfid: str
    token: str = field(repr=False)
    create_time: int = 0

    @property
    def event(self) -> str:
        return KF_EVENT

    def to_payload(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "dedupe_key": self.dedupe_key,
            "corp_id": self.corp_id,
            "open_kfid": self.open_kfid,
            "token": self.token,
            "create_time": self.create_time,
        }

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> KfSync:
        return cls(
            app=str(data["app"]),
            dedupe_key=str(data["dedupe_key"]),
            corp_id=str(data["corp_id"]),
            open_kfid=str(data["open_kfid"]),
            token=str(data["token"]),
            create_time=int(data.get("create_time") or 0),
        )


@dataclass(frozen=True)
class Ignored:
    """A well-formed callback Redline has nothing to do with."""

    app: str
    dedupe_key: str
    event: str
    reason: str


@dataclass(frozen=True)
class _Envelope:
    ciphertext: str
    corp_id: str | None


def _read_envelope(body: bytes) -> _Envelope:
    """Read the outer `<xml>` of a POST: `Encrypt`, and `ToUserName` when present."""
    if not body.strip():
        raise PayloadInvalid("empty body; expected WeCom's encrypted <xml>")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadInvalid(
            "body is not UTF-8; expected WeCom's encrypted <xml>"
        ) from None
    values = dict(xml_fields(parse_xml(text, "body")))
    ciphertext = values.get("Encrypt", "")
    if not ciphertext:
        raise PayloadInvalid(
            "body has no Encrypt element; expected WeCom's encrypted <xml>"
        )
    return _Envelope(ciphertext, values.get("ToUserName") or None)


def decrypt_delivery(
    query_string: bytes,
    body: bytes,
    apps: Sequence[WeComApp],
    *,
    app_name: str | None = None,
    now: datetime.datetime | None = None,
    tolerance_seconds: int = 300,
) -> Delivery | KfSync | Ignored:
    """Verify, decrypt and parse one POSTed callback.

    Return a `Delivery` for a message to inspect, a `KfSync` for a 微信客服
    event, or `Ignored` for every other event and message kind. Raise
    `SignatureInvalid` (401) for a missing, wrong or stale signature,
    `PayloadInvalid` (400) for a broken body or plaintext, and `UnknownApp`
    (404) when no configured app matches the app name or the corp id.
    """
    params = parse_query(query_string)
    signed = _signed_params(params, now, tolerance_seconds)
    envelope = _read_envelope(body)
    candidates = _configured(apps, app_name, envelope.corp_id)
    # wechatpy takes the parsed envelope as a dict, so the body is parsed once.
    envelope_fields = {"Encrypt": envelope.ciphertext}
    app, plaintext = _decrypt_with_any(
        candidates,
        signed,
        envelope.ciphertext,
        lambda crypto: crypto.decrypt_message(
            envelope_fields, signed.signature, signed.timestamp, signed.nonce
        ),
    )
    callback, fields = parse_callback(str(plaintext))
    return _classify(app, callback, fields)


def _classify(
    app: WeComApp,
    callback: Message | Event | UnknownMessage,
    fields: tuple[tuple[str, str], ...],
) -> Delivery | KfSync | Ignored:
    key = dedupe_key(app, callback, fields)
    if isinstance(callback, Message):
        return Delivery(app=app.name, dedupe_key=key, message=callback)
    if isinstance(callback, UnknownMessage):
        return Ignored(
            app.name, key, callback.msg_type, "message type is not inspected"
        )
    if callback.event == KF_EVENT:
        token = callback.get("Token")
        open_kfid = callback.get("OpenKfId")
        if not token and not open_kfid:
            raise PayloadInvalid("kf_msg_or_event has neither Token nor OpenKfId")
        return KfSync(
            app=app.name,
            dedupe_key=key,
            corp_id=app.corp_id,
            open_kfid=open_kfid,
            token=token,
            create_time=callback.create_time,
        )
    return Ignored(
        app.name, key, callback.event or "event", "event carries no text to inspect"
    )


def dedupe_key(
    app: WeComApp,
    callback: Message | Event | UnknownMessage,
    fields: tuple[tuple[str, str], ...],
) -> str:
    """Return the key that is equal for redeliveries of the same callback.

    Messages are keyed by `MsgId`. Events have no id, and two distinct events
    can share sender, type and second (two `change_external_contact` with
    different `ChangeType`, two `kf_msg_or_event` with different `Token`),
    so an event's key covers every element of its decrypted XML. WeCom
    re-encrypts a retried callback, but its plaintext stays the same.
    """
    prefix = f"wecom:{app.corp_id}:{callback.agent_id or '-'}"
    if isinstance(callback, Message | UnknownMessage):
        return f"{prefix}:msg:{callback.msg_id}"
    digest = hashlib.sha256()
    for path, value in fields:
        # Length prefixes keep ("a", "bc") and ("ab", "c") apart.
        for part in (path, value):
            encoded = part.encode()
            digest.update(len(encoded).to_bytes(4, "big") + encoded)
    return f"{prefix}:event:{callback.event or '-'}:{digest.hexdigest()[:32]}"
