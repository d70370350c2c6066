"""Outbound WeCom calls through wechatpy's enterprise `WeChatClient` (1.8.18).

`WeComClient` changes three things in wechatpy's client. Every URL starts at
one configurable base URL, including the token URL and the media download
URL that wechatpy hard-codes. Every request has a timeout. The token's expiry
is read from an injectable clock. wechatpy's own refresh on token errors
(`auto_retry`) is off, because it calls itself again for as long as WeCom
rejects the token.

`WeComApi` adds what the worker needs:

- one token refresh and one retry on the token errors 40001, 40014, 42001,
- errors mapped to `WeComBusy` and `WeComApiError`, with WeCom's errcode
  and errmsg,
- media download with a size limit,
- app text messages, and 微信客服 `kf/sync_msg` pagination.
"""

from __future__ import annotations

import email.message
import functools
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

import requests
from wechatpy.enterprise import WeChatClient
from wechatpy.enterprise.client.api import WeChatMedia
from wechatpy.exceptions import WeChatClientException

from adapters.errors import AdapterError, RetryLater
from adapters.wecom.app import WeComApp
from adapters.wecom.errors import (
    MediaTooLarge,
    TextTooLong,
    WeComApiError,
    WeComBusy,
)
from adapters.wecom.messages import KfMessage, parse_kf_message

log = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://qyapi.weixin.qq.com/cgi-bin/"
REQUEST_TIMEOUT_SECONDS = 30.0
# A cached token is replaced this many seconds before it expires, so no
# request starts with a token that runs out on the way.
TOKEN_REFRESH_MARGIN_SECONDS = 60
# Token lifetime that gettoken reports, used when a reply omits expires_in.
DEFAULT_TOKEN_LIFETIME_SECONDS = 7200
# 40001 invalid credential, 40014 invalid access token, 42001 token expired.
TOKEN_REJECTED_ERRCODES = frozenset({40001, 40014, 42001})
# -1 system busy, 45009 API call frequency limit.
BUSY_ERRCODES = frozenset({-1, 45009})
# Limits of message/send (WeCom's "发送应用消息" page): text content is cut
# off silently after 2048 bytes, and `touser` takes at most 1000 user ids.
MAX_TEXT_BYTES = 2048
MAX_RECIPIENTS = 1000
# kf/sync_msg returns at most 1000 items per page.
KF_SYNC_LIMIT = 1000
KF_SYNC_MAX_PAGES = 100
# WeCom's largest temporary media upload (a file) is 20 MB ("上传临时素材").
# NOTE: files that customers send through 微信客服 may be larger than this
# upload limit, and such a file raises MediaTooLarge unless the limit is raised.
MAX_MEDIA_BYTES = 20 * 1024 * 1024
_MEDIA_CHUNK_BYTES = 64 * 1024

T = TypeVar("T")


class _TokenRequestFailed(WeChatClientException):
    """gettoken itself failed; its 40001 means a wrong secret, not an old token."""


class _WeComMedia(WeChatMedia):
    """wechatpy's media API with the download URL under the client's base URL."""

    def get_url(self, media_id: str) -> str:
        client = self._client
        query = urlencode({"access_token": client.access_token, "media_id": media_id})
        return f"{client.API_BASE_URL}media/get?{query}"

    def download(self, media_id: str) -> requests.Response:
        return self._client._http.get(
            self.get_url(media_id), timeout=self._client.timeout
        )


class WeComClient(WeChatClient):
    """wechatpy's enterprise client aimed at `api_base_url`, with timeouts and a clock.

    `session` is wechatpy's token storage (in memory by default), not an
    HTTP session.
    """

    media = _WeComMedia()

    def __init__(
        self,
        corp_id: str,
        secret: str,
        *,
        api_base_url: str = DEFAULT_API_BASE_URL,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.time,
        session: Any = None,
    ) -> None:
        if not secret:
            raise ValueError(f"WeCom secret for corp {corp_id} is empty")
        self._clock = clock
        super().__init__(
            corp_id, secret, session=session, timeout=timeout, auto_retry=False
        )
        # wechatpy reads API_BASE_URL from the instance when it builds a URL.
        self.API_BASE_URL = api_base_url.rstrip("/") + "/"

    @property
    def access_token(self) -> str:
        """The cached access token, fetched again when it is about to expire."""
        token = self.session.get(self.access_token_key)
        expires_at = self.expires_at
        fresh = (
            expires_at is not None
            and self._clock() < expires_at - TOKEN_REFRESH_MARGIN_SECONDS
        )
        if token and fresh:
            return str(token)
        self.fetch_access_token()
        return str(self.session.get(self.access_token_key))

    def fetch_access_token(self) -> dict[str, Any]:
        """Fetch a new access token from `gettoken` and cache it until it expires.

        Raise `_TokenRequestFailed` (a `WeChatClientException`) with WeCom's
        errcode, or with errcode None after an HTTP error. The exception does
        not contain the request, whose URL contains the secret.
        """
        log.info("fetching a WeCom access token for corp %s", self.corp_id)
        response = self._http.get(
            f"{self.API_BASE_URL}gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
            timeout=self.timeout,
        )
        if response.status_code >= 400:
            raise _TokenRequestFailed(None, f"HTTP {response.status_code}")
        try:
            result = response.json()
        except ValueError:
            raise _TokenRequestFailed(None, "gettoken reply is not JSON") from None
        if not isinstance(result, dict):
            raise _TokenRequestFailed(None, "gettoken reply is not a JSON object")
        errcode = _errcode(result)
        if errcode:
            raise _TokenRequestFailed(errcode, result.get("errmsg"))
        token = result.get("access_token")
        if not isinstance(token, str) or not token:
            raise _TokenRequestFailed(None, "gettoken reply has no access_token")
        lifetime = _lifetime(result.get("expires_in"))
        self.session.set(self.access_token_key, token, lifetime)
        self.expires_at = self._clock() + lifetime
        return result

    def download_media(self, media_id: str, max_bytes: int) -> MediaFile:
        """Download temporary media (`media/get`), reading at most `max_bytes`.

        Raise `WeChatClientException` when WeCom returns a JSON error instead
        of the file, and `MediaTooLarge` above the limit.
        """
        response = self._http.get(
            f"{self.API_BASE_URL}media/get",
            params={"access_token": self.access_token, "media_id": media_id},
            timeout=self.timeout,
            stream=True,
        )
        with response:
            if response.status_code >= 400:
                raise WeChatClientException(None, None, response=response)
            content_type = response.headers.get("Content-Type", "")
            disposition = response.headers.get("Content-Disposition", "")
            # WeCom sends a file with Content-Disposition and an error as a bare
            # JSON object. A JSON file therefore still has the disposition header.
            is_json = "json" in content_type or "text/plain" in content_type
            if is_json and not disposition:
                _raise_json_error(next(response.iter_content(_MEDIA_CHUNK_BYTES), b""))
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise MediaTooLarge(max_bytes)
            content = _read_limited(response, max_bytes)
        return MediaFile(
            media_id=media_id,
            content=content,
            content_type=content_type.split(";")[0].strip(),
            file_name=_file_name(disposition),
        )


@dataclass(frozen=True)
class MediaFile:
    """A downloaded media file. The repr leaves out the content and the file
    name, because a file name can name a person."""

    media_id: str
    content: bytes = field(repr=False)
    content_type: str
    file_name: str = field(default="", repr=False)


def _raise_json_error(body: bytes) -> None:
    try:
        result = json.loads(body.decode("utf-8"))
    except ValueError:
        raise WeChatClientException(None, "media/get reply is not a file") from None
    errcode = _errcode(result)
    if errcode:
        raise WeChatClientException(errcode, result.get("errmsg"))
    raise WeChatClientException(None, "media/get replied with JSON instead of a file")


def _lifetime(expires_in: Any) -> int:
    try:
        lifetime = int(expires_in)
    except (TypeError, ValueError):
        return DEFAULT_TOKEN_LIFETIME_SECONDS
    return lifetime if lifetime > 0 else DEFAULT_TOKEN_LIFETIME_SECONDS


def _file_name(disposition: str) -> str:
    """Return the file name in a Content-Disposition header, decoding RFC 2231."""
    if not disposition:
        return ""
    header = email.message.Message()
    header["Content-Disposition"] = disposition
    return header.get_filename() or ""


def _errcode(result: Any) -> int:
    """Return a reply's errcode as an int, or 0 when it is absent or not a number.

    Callers still check the rest of the reply, so a garbled errcode fails later.
    """
    if not isinstance(result, dict):
        return 0
    try:
        return int(result.get("errcode") or 0)
    except (TypeError, ValueError):
        return 0


def _read_limited(response: requests.Response, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(_MEDIA_CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise MediaTooLarge(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


class WeComApi:
    """One WeCom app (or 微信客服 account) of a corp, with errors mapped for the queue.

    Pass the app's secret to send app messages and download its media. Pass
    the 微信客服 secret for `sync_kf_messages`, because an app secret cannot
    read kf messages.
    """

    def __init__(
        self,
        corp_id: str,
        secret: str,
        agent_id: int | None = None,
        *,
        api_base_url: str = DEFAULT_API_BASE_URL,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.time,
        token_storage: Any = None,
        max_media_bytes: int = MAX_MEDIA_BYTES,
    ) -> None:
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.max_media_bytes = max_media_bytes
        self.client = WeComClient(
            corp_id,
            secret,
            api_base_url=api_base_url,
            timeout=timeout,
            clock=clock,
            session=token_storage,
        )

    @classmethod
    def from_app(cls, app: WeComApp, **options: Any) -> WeComApi:
        """Build the API for a configured app; `options` go to the constructor."""
        return cls(app.corp_id, app.secret, app.agent_id, **options)

    # -- calls ----------------------------------------------------------

    def send_warning(self, user_ids: Sequence[str], text: str) -> list[str]:
        """Send `text` as an app text message to members; return the ids not reached.

        The caller masks the text first. Raise `TextTooLong` above
        `MAX_TEXT_BYTES` of UTF-8 instead of letting WeCom cut it off, and
        `ValueError` for no recipients, more than `MAX_RECIPIENTS`, `@all`, or
        an app without agent id. Error messages never contain the text.
        """
        if self.agent_id is None:
            raise ValueError("sending a WeCom app message needs the app's agent id")
        recipients = _recipients(user_ids)
        if not text.strip():
            raise ValueError("warning text is empty")
        size = len(text.encode("utf-8"))
        if size > MAX_TEXT_BYTES:
            raise TextTooLong(size, MAX_TEXT_BYTES)
        send = functools.partial(
            self.client.message.send_text, self.agent_id, recipients, text
        )
        result = self._call("message/send", send)
        invalid = [
            user for user in str(result.get("invaliduser") or "").split("|") if user
        ]
        if invalid:
            log.warning(
                "WeCom did not deliver a warning to %d of %d members; check the "
                "app's visible range",
                len(invalid),
                len(recipients),
            )
        return invalid

    def download_media(self, media_id: str) -> MediaFile:
        """Download an image, voice, video or file by media id.

        WeCom keeps temporary media for 3 days; after that the call raises
        `WeComApiError` with errcode 40007 (invalid media_id).
        """
        if not media_id:
            raise ValueError("media id is empty")
        download = functools.partial(
            self.client.download_media, media_id, self.max_media_bytes
        )
        return self._call("media/get", download)

    def sync_kf_messages(
        self,
        token: str,
        open_kfid: str,
        cursor: str = "",
        *,
        limit: int = KF_SYNC_LIMIT,
        max_pages: int = KF_SYNC_MAX_PAGES,
    ) -> tuple[list[KfMessage], str]:
        """Pull 微信客服 messages after `cursor`; return them and the next cursor.

        Follow `next_cursor` while `has_more` is 1, also past empty pages.
        Store the returned cursor and pass it to the next sync. `token` is
        the one from the `kf_msg_or_event` callback. After `max_pages` pages
        the sync stops early and logs a warning; the returned cursor then
        points at the rest. Malformed items are skipped and counted in a log
        line.
        """
        if not open_kfid:
            raise ValueError("open_kfid is empty")
        messages: list[KfMessage] = []
        skipped = 0
        for _page in range(max_pages):
            request: dict[str, Any] = {"open_kfid": open_kfid, "limit": limit}
            if token:
                request["token"] = token
            if cursor:
                request["cursor"] = cursor
            post = functools.partial(self.client.post, "kf/sync_msg", data=request)
            result = self._call("kf/sync_msg", post)
            items = result.get("msg_list") or []
            if not isinstance(items, list):
                raise WeComApiError("kf/sync_msg", None, "msg_list is not a list")
            for item in items:
                try:
                    messages.append(parse_kf_message(item))
                except ValueError:
                    skipped += 1
            next_cursor = result.get("next_cursor")
            if isinstance(next_cursor, str) and next_cursor:
                cursor = next_cursor
            if result.get("has_more") != 1:
                break
            if not next_cursor:
                raise WeComApiError(
                    "kf/sync_msg", None, "has_more is 1 but next_cursor is empty"
                )
        else:
            log.warning(
                "kf sync of %s stopped after %d pages; continue from the returned "
                "cursor",
                open_kfid,
                max_pages,
            )
        if skipped:
            log.warning("kf sync of %s skipped %d malformed items", open_kfid, skipped)
        return messages, cursor

    # -- error handling -------------------------------------------------

    def _call(self, endpoint: str, call: Callable[[], T]) -> T:
        """Run `call`; on a rejected token, fetch a new one and retry once.

        Errors are raised outside the `except` blocks, so they keep no link
        to wechatpy's exception, which contains the request body and URL.
        """
        for attempt in (1, 2):
            try:
                result = call()
            except WeChatClientException as error:
                failure = _mapped(error, endpoint)
                retry = attempt == 1 and _token_rejected(error)
            except requests.RequestException as error:
                failure = _unreachable(error, endpoint)
                retry = False
            else:
                if isinstance(result, requests.Response):
                    raise WeComApiError(endpoint, None, "reply is not JSON")
                return result
            if not retry:
                raise failure
            log.info(
                "WeCom rejected the access token on %s (errcode %s); fetching a "
                "new one and retrying once",
                endpoint,
                failure.errcode if isinstance(failure, WeComApiError) else None,
            )
            self._refresh_token()
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _refresh_token(self) -> None:
        try:
            self.client.fetch_access_token()
        except WeChatClientException as error:
            failure = _mapped(error, "gettoken")
        except requests.RequestException as error:
            failure = _unreachable(error, "gettoken")
        else:
            return
        raise failure


def _recipients(user_ids: Sequence[str]) -> list[str]:
    if isinstance(user_ids, str):
        raise TypeError("user_ids must be a list of WeCom user ids, not one string")
    recipients = list(dict.fromkeys(user_ids))
    if not recipients:
        raise ValueError("no WeCom user id to send the warning to")
    if len(recipients) > MAX_RECIPIENTS:
        raise ValueError(
            f"{len(recipients)} recipients; WeCom accepts at most {MAX_RECIPIENTS} "
            "per message, so send in batches"
        )
    for user in recipients:
        if not user or "|" in user or user.strip() != user:
            raise ValueError(
                "a WeCom user id is empty or contains '|' or spaces; expected "
                "member user ids"
            )
        if user.lower() == "@all":
            raise ValueError("warnings go to named members; @all is not allowed")
    return recipients


def _token_rejected(error: WeChatClientException) -> bool:
    return (
        not isinstance(error, _TokenRequestFailed)
        and error.errcode in TOKEN_REJECTED_ERRCODES
    )


def _mapped(error: WeChatClientException, endpoint: str) -> AdapterError:
    """Translate a wechatpy error into `WeComBusy` or `WeComApiError`."""
    errcode = error.errcode
    errmsg = error.errmsg
    if errcode is None:
        status = getattr(getattr(error, "response", None), "status_code", 0) or 0
        if status:
            errmsg = f"HTTP {status}"
        if status == 429 or status >= 500:
            return WeComBusy(endpoint, None, errmsg)
        return WeComApiError(endpoint, None, errmsg)
    if errcode in BUSY_ERRCODES:
        return WeComBusy(endpoint, errcode, errmsg)
    hint = ""
    if isinstance(error, _TokenRequestFailed):
        hint = "check the corp id and the secret of the app or 微信客服"
    return WeComApiError(endpoint, errcode, errmsg, hint=hint)


def _unreachable(error: requests.RequestException, endpoint: str) -> AdapterError:
    # str(error) would include the URL, and with it the access token.
    what = type(error).__name__
    if isinstance(error, requests.ConnectionError | requests.Timeout):
        return RetryLater(f"WeCom unreachable on {endpoint}: {what}")
    return WeComApiError(endpoint, None, f"request failed: {what}")
