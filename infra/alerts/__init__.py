"""Alert delivery: the content of an alert, its recipients, and the channels.

An `Alert` is already masked when it is built: channels format and send it,
they never look anything up. Each channel sends to the recipients that have
an address for it and returns one `Delivery` per address, so the caller can
record what went out and retry what failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

# Alert kinds.
CASE_ALERT = "case"
ESCALATION = "escalation"
DAILY_DIGEST = "daily_digest"
WEEKLY_SUMMARY = "weekly_summary"
TRAINING = "training"
# Many high cases of one team in a short window, counted in one message.
STORM = "storm"

# Actions a case alert offers, by the status each one sets.
CASE_ACTIONS: dict[str, str] = {
    "acknowledged": "Acknowledge",
    "resolved": "Resolve",
    "false_positive": "Not a leak",
}


@dataclass(frozen=True)
class Recipient:
    """A person or room that receives alerts, with an address per channel.

    `slack` is a Slack user id (a direct message) or channel id, `wecom` a
    WeCom user id, `phone` an E.164 number for SMS, `email` an address for
    the digests' HTML.
    """

    name: str
    slack: str = ""
    wecom: str = ""
    phone: str = ""
    email: str = ""


@dataclass
class Alert:
    """One message about a case, a digest or a training assignment, masked.

    `key` is stable for the same content, so sending an alert twice can be
    detected. `lines` are plain text; `html` is an email-ready rendering of a
    digest. `actions` requests the case buttons of `CASE_ACTIONS`.
    `status_line` is the case's latest move (who acknowledged it and when),
    for a message updated in place.
    """

    key: str
    kind: str
    title: str
    lines: list[str] = field(default_factory=list)
    severity: str | None = None
    team: str | None = None
    case_id: str | None = None
    count: int = 1
    deadline: str | None = None
    link: str | None = None
    actions: bool = False
    status: str | None = None
    status_line: str = ""
    html: str | None = None
    sms_text: str = ""


@dataclass
class Delivery:
    """The outcome of sending one alert through one channel to one address.

    `ref` identifies the sent message where the channel can update it later
    (for Slack, "channel id:message ts"). `error` is set when sending failed:
    the platform's error code, never the message text.
    """

    channel: str
    target: str
    ref: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


class AlertChannel(Protocol):
    """A way to reach people: Slack, WeCom, SMS, or the local outbox."""

    name: str

    def send(self, alert: Alert, recipients: Sequence[Recipient]) -> list[Delivery]:
        """Send `alert` to each recipient with an address for this channel."""

    def update(self, ref: str, alert: Alert) -> Delivery | None:
        """Replace a message sent earlier, or return None if this channel cannot."""
