"""The alert channels this gateway is configured for, and WeCom as one of them.

Slack and SMS live in `infra.alerts`; WeCom app messages go through the
WeCom adapter, which infra may not import, so that channel is built here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from adapters.errors import AdapterError
from adapters.wecom.api import WeComApi
from gateway.disposal import alert_text
from infra.alerts import Alert, AlertChannel, Delivery, Recipient
from infra.config import Settings

log = logging.getLogger(__name__)

# WeCom cuts an app text message at 2048 bytes; leave room for the ellipsis.
WECOM_TEXT_BYTES = 2000


class WeComChannel:
    """Sends alerts as WeCom app text messages to the recipients' user ids."""

    name = "wecom"

    def __init__(self, api: WeComApi) -> None:
        self.api = api

    def send(self, alert: Alert, recipients: Sequence[Recipient]) -> list[Delivery]:
        users = list(dict.fromkeys(r.wecom for r in recipients if r.wecom))
        if not users:
            return []
        text = fit_bytes(alert_text(alert), WECOM_TEXT_BYTES)
        try:
            missed = set(self.api.send_warning(users, text))
        except (AdapterError, ValueError) as error:
            code = getattr(error, "errcode", None) or type(error).__name__
            return [Delivery(self.name, user, error=str(code)) for user in users]
        return [
            Delivery(self.name, user, error="invaliduser" if user in missed else "")
            for user in users
        ]

    def update(self, ref: str, alert: Alert) -> Delivery | None:
        return None  # an app text message cannot be edited


def fit_bytes(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` bytes of UTF-8, ending with an ellipsis."""
    if len(text.encode()) <= limit:
        return text
    cut = text.encode()[: limit - 3].decode("utf-8", errors="ignore")
    return cut + "…"


def build_channels(
    settings: Settings, wecom_api: WeComApi | None
) -> list[AlertChannel]:
    """Return a channel for each of Slack, WeCom and SMS that is configured."""
    channels: list[AlertChannel] = []
    alerts = settings.alerts
    if alerts.slack_bot_token:
        from infra.alerts.slack import SlackChannel, web_client

        slack = web_client(alerts.slack_bot_token, base_url=alerts.slack_api_base)
        channels.append(SlackChannel(slack))
    if wecom_api is not None:
        channels.append(WeComChannel(wecom_api))
    if alerts.sms_region:
        from infra.alerts.sms import SmsChannel, sns_client

        client = sns_client(alerts.sms_region, alerts.sms_endpoint_url or None)
        channels.append(
            SmsChannel(
                client,
                sender_id=alerts.sms_sender_id,
                signature=alerts.sms_signature,
            )
        )
    names = ", ".join(c.name for c in channels) or "the outbox only"
    log.info("alert channels: %s", names)
    return channels
