"""Configuration from one prefixed set of environment variables (`REDLINE_`).

Every variable is listed in `VARIABLES` with its default and meaning; the
README's table is written from it. A bad value raises `ConfigError` naming
the variable, the value's problem and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from infra.errors import ConfigError

PREFIX = "REDLINE_"

# name -> (default, meaning); defaults are strings as they would be set.
VARIABLES: dict[str, tuple[str, str]] = {
    "DATA_DIR": ("./data", "folder for the SQLite database, keys and outbox"),
    "HOST": ("127.0.0.1", "address the gateway listens on"),
    "PORT": ("8080", "port the gateway listens on"),
    "WORKERS": ("1", "worker threads draining the local queue"),
    "MAX_BODY_BYTES": ("1048576", "largest webhook body accepted, in bytes"),
    "SIGNATURE_TOLERANCE_SECONDS": (
        "300",
        "how far a signed timestamp may be from the gateway's clock",
    ),
    "FINGERPRINT_KEY": (
        "",
        "secret for keyed fingerprints; generated into DATA_DIR/keys when unset",
    ),
    "API_TOKEN": ("", "bearer token required on /api/* when set"),
    "LOG_LEVEL": ("INFO", "logging level of the gateway process"),
    "MAX_ATTEMPTS": ("8", "tries of a queued job before it is dead-lettered"),
    "ZENDESK_SUBDOMAIN": ("", "Zendesk subdomain (acme for acme.zendesk.com)"),
    "ZENDESK_DOMAIN": ("zendesk.com", "Zendesk domain after the subdomain"),
    "ZENDESK_EMAIL": ("", "agent email for API token authentication"),
    "ZENDESK_API_TOKEN": ("", "Zendesk API token (with ZENDESK_EMAIL)"),
    "ZENDESK_OAUTH_TOKEN": ("", "Zendesk OAuth access token, instead of email+token"),
    "ZENDESK_WEBHOOK_SECRETS": (
        "",
        "comma-separated webhook signing secrets, one per Zendesk webhook; "
        "one is generated into DATA_DIR/keys when unset",
    ),
}


def _text(env: Mapping[str, str], name: str) -> str:
    return env.get(PREFIX + name, VARIABLES[name][0]).strip()


def _integer(env: Mapping[str, str], name: str, minimum: int, maximum: int) -> int:
    raw = _text(env, name)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(
            f"{PREFIX}{name} must be a whole number, got {raw!r}; "
            f"set it to a value from {minimum} to {maximum}"
        ) from None
    if not minimum <= value <= maximum:
        raise ConfigError(
            f"{PREFIX}{name} is {value}, outside {minimum}..{maximum}; "
            "set it within that range"
        )
    return value


@dataclass(frozen=True)
class ZendeskSettings:
    subdomain: str = ""
    domain: str = "zendesk.com"
    email: str = ""
    api_token: str = field(default="", repr=False)
    oauth_token: str = field(default="", repr=False)
    webhook_secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def has_credentials(self) -> bool:
        """Whether the gateway can call the Zendesk API for this account."""
        if not self.subdomain:
            return False
        return bool(self.oauth_token or (self.email and self.api_token))


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("./data")
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    max_body_bytes: int = 1_048_576
    signature_tolerance_seconds: int = 300
    fingerprint_key: str = field(default="", repr=False)
    api_token: str = field(default="", repr=False)
    log_level: str = "INFO"
    max_attempts: int = 8
    zendesk: ZendeskSettings = field(default_factory=ZendeskSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every `REDLINE_` variable, raising `ConfigError` on a bad one."""
        env = os.environ if env is None else env
        log_level = _text(env, "LOG_LEVEL").upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ConfigError(
                f"{PREFIX}LOG_LEVEL is {log_level!r}; use DEBUG, INFO, WARNING or ERROR"
            )
        subdomain = _text(env, "ZENDESK_SUBDOMAIN")
        if subdomain and not subdomain.replace("-", "").isalnum():
            raise ConfigError(
                f"{PREFIX}ZENDESK_SUBDOMAIN is {subdomain!r}; give the subdomain "
                "only, such as 'acme' for acme.zendesk.com"
            )
        secrets = tuple(
            s.strip()
            for s in _text(env, "ZENDESK_WEBHOOK_SECRETS").split(",")
            if s.strip()
        )
        zendesk = ZendeskSettings(
            subdomain=subdomain,
            domain=_text(env, "ZENDESK_DOMAIN"),
            email=_text(env, "ZENDESK_EMAIL"),
            api_token=_text(env, "ZENDESK_API_TOKEN"),
            oauth_token=_text(env, "ZENDESK_OAUTH_TOKEN"),
            webhook_secrets=secrets,
        )
        if subdomain and not zendesk.has_credentials:
            raise ConfigError(
                f"{PREFIX}ZENDESK_SUBDOMAIN is set but no credentials are; set "
                f"{PREFIX}ZENDESK_EMAIL and {PREFIX}ZENDESK_API_TOKEN, or "
                f"{PREFIX}ZENDESK_OAUTH_TOKEN"
            )
        return cls(
            data_dir=Path(_text(env, "DATA_DIR") or "./data"),
            host=_text(env, "HOST"),
            port=_integer(env, "PORT", 1, 65535),
            workers=_integer(env, "WORKERS", 1, 64),
            max_body_bytes=_integer(env, "MAX_BODY_BYTES", 1024, 64 * 1024 * 1024),
            signature_tolerance_seconds=_integer(
                env, "SIGNATURE_TOLERANCE_SECONDS", 1, 3600
            ),
            fingerprint_key=_text(env, "FINGERPRINT_KEY"),
            api_token=_text(env, "API_TOKEN"),
            log_level=log_level,
            max_attempts=_integer(env, "MAX_ATTEMPTS", 1, 100),
            zendesk=zendesk,
        )
