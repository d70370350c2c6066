"""Settings of one WeCom app, passed in by the gateway from its configuration."""

from __future__ import annotations

import string
from dataclasses import dataclass, field

# WeCom generates the EncodingAESKey as 43 letters and digits, which is the
# base64 text of a 32-byte AES key without its trailing "=".
ENCODING_AES_KEY_LENGTH = 43
_KEY_ALPHABET = frozenset(string.ascii_letters + string.digits)


@dataclass(frozen=True)
class WeComApp:
    """One self-built app (or 微信客服 account) of a corp, as configured in WeCom.

    `name` is Redline's own key for the app, such as the last part of the
    callback URL. `token` and `encoding_aes_key` come from the app's "receive
    messages" settings, `secret` from its credentials. `agent_id` is needed
    only to send app messages. The repr never shows the three secrets.
    """

    name: str
    corp_id: str
    token: str = field(repr=False)
    encoding_aes_key: str = field(repr=False)
    secret: str = field(default="", repr=False)
    agent_id: int | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.corp_id:
            raise ValueError("a WeCom app needs a name and a corp id")
        if not self.token:
            raise ValueError(f"WeCom app {self.name!r} has an empty callback token")
        key = self.encoding_aes_key
        if len(key) != ENCODING_AES_KEY_LENGTH or not set(key) <= _KEY_ALPHABET:
            raise ValueError(
                f"EncodingAESKey of WeCom app {self.name!r} must be "
                f"{ENCODING_AES_KEY_LENGTH} letters and digits, got {len(key)} "
                "characters; copy it again from the app's callback settings"
            )
