"""Errors of the WeCom adapter, added to the shared tree in `adapters.errors`.

AdapterError
├── DeliveryRejected
│   └── UnknownApp        404: no configured app matches the app name or corp
├── RetryLater
│   └── WeComBusy         WeCom returned "busy", a rate limit or HTTP 5xx
└── PermanentFailure
    ├── WeComApiError     any other WeCom error code
    ├── MediaTooLarge     a media file is larger than the download limit
    └── TextTooLong       a warning is longer than WeCom accepts (also ValueError)

API errors carry WeCom's `errcode` and `errmsg` and the endpoint, never the
request: its body holds message text and its URL the access token.
"""

from __future__ import annotations

from adapters.errors import DeliveryRejected, PermanentFailure, RetryLater

# Maximum length of WeCom's errmsg kept in an error, so one odd reply cannot
# flood a log line.
MAX_ERRMSG_LENGTH = 200


class UnknownApp(DeliveryRejected):
    """A callback for an app name or corp id that is not configured."""

    status = 404


def _clean_errmsg(errmsg: object) -> str:
    text = "" if errmsg is None else str(errmsg)
    printable = "".join(ch if ch.isprintable() else " " for ch in text)
    return printable[:MAX_ERRMSG_LENGTH]


class WeComBusy(RetryLater):
    """WeCom asked to retry later: system busy, rate limit or HTTP 5xx."""

    def __init__(
        self,
        endpoint: str,
        errcode: int | None,
        errmsg: object,
        retry_after: float = 60.0,
    ) -> None:
        self.endpoint = endpoint
        self.errcode = errcode
        self.errmsg = _clean_errmsg(errmsg)
        super().__init__(
            f"WeCom is busy on {endpoint} (errcode {errcode}: {self.errmsg}); "
            "retry later",
            retry_after=retry_after,
        )


class WeComApiError(PermanentFailure):
    """WeCom rejected a call with an error code that retrying does not fix."""

    def __init__(
        self, endpoint: str, errcode: int | None, errmsg: object, hint: str = ""
    ) -> None:
        self.endpoint = endpoint
        self.errcode = errcode
        self.errmsg = _clean_errmsg(errmsg)
        message = f"WeCom returned errcode {errcode} on {endpoint}: {self.errmsg}"
        super().__init__(f"{message}; {hint}" if hint else message)


class MediaTooLarge(PermanentFailure):
    """A media file is larger than the configured download limit."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        super().__init__(
            f"WeCom media file is larger than the download limit of "
            f"{limit_bytes} bytes; raise the limit to inspect it"
        )


class TextTooLong(PermanentFailure, ValueError):
    """A text is longer than WeCom accepts for a text message."""

    def __init__(self, size_bytes: int, limit_bytes: int) -> None:
        self.size_bytes = size_bytes
        self.limit_bytes = limit_bytes
        super().__init__(
            f"message text is {size_bytes} bytes in UTF-8, but WeCom accepts at "
            f"most {limit_bytes}; shorten it (WeCom would cut it off)"
        )
