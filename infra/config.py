"""Configuration from one prefixed set of environment variables (`REDLINE_`).

Every variable is listed in `VARIABLES` with its default and meaning; the
README's table is written from it. Every value, secrets included, is
stripped of surrounding whitespace. A bad value raises `ConfigError` naming
the variable, the value's problem and the fix.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from infra.errors import ConfigError

PREFIX = "REDLINE_"
# A shorter fingerprint key could be guessed, and with it the values behind
# the fingerprints in the ledger.
MIN_FINGERPRINT_KEY_LENGTH = 16

# One label of a host name (RFC 1123): letters, digits and inner hyphens.
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")

# name -> (default, meaning); defaults are strings as they would be set.
VARIABLES: dict[str, tuple[str, str]] = {
    "DATA_DIR": ("./data", "folder for the SQLite database, keys and outbox"),
    "HOST": ("127.0.0.1", "address the gateway listens on: an IP address or host name"),
    "PORT": ("8080", "port the gateway listens on"),
    "WORKERS": ("1", "worker threads draining the local queue"),
    "MAX_BODY_BYTES": ("1048576", "largest webhook body accepted, in bytes"),
    "SIGNATURE_TOLERANCE_SECONDS": (
        "300",
        "how far a signed timestamp may be from the gateway's clock",
    ),
    "FINGERPRINT_KEY": (
        "",
        "secret for keyed fingerprints, at least 16 characters; generated into "
        "DATA_DIR/keys when unset",
    ),
    "API_TOKEN": ("", "bearer token required on /api/* when set"),
    "LOG_LEVEL": ("INFO", "logging level of the gateway process"),
    "MAX_ATTEMPTS": ("8", "tries of a queued job before it is dead-lettered"),
    "ZENDESK_SUBDOMAIN": (
        "",
        "Zendesk subdomain (acme for acme.zendesk.com); required with credentials",
    ),
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
    """Return a variable's value, or its default, without surrounding whitespace."""
    return env.get(PREFIX + name, VARIABLES[name][0]).strip()


def unknown_variables(env: Mapping[str, str]) -> list[str]:
    """List the `REDLINE_` variables in `env` that no setting reads, sorted.

    A name close to a known one gets a hint, as in
    `REDLINE_WORKER (did you mean REDLINE_WORKERS?)`.
    """
    described = []
    for name in sorted(env):
        if not name.startswith(PREFIX) or name[len(PREFIX) :] in VARIABLES:
            continue
        close = difflib.get_close_matches(name[len(PREFIX) :], VARIABLES, n=1)
        hint = f" (did you mean {PREFIX}{close[0]}?)" if close else ""
        described.append(name + hint)
    return described


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


def _host(env: Mapping[str, str]) -> str:
    """Return REDLINE_HOST if it is an IP address or a host name."""
    host = _text(env, "HOST")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return host
    labels = host.rstrip(".").split(".")
    numeric = all(label.isdigit() for label in labels)
    if (
        numeric
        or len(host) > 253
        or not all(_HOST_LABEL.fullmatch(label) for label in labels)
    ):
        raise ConfigError(
            f"{PREFIX}HOST is {host[:80]!r}, which is neither an IP address nor a "
            "host name; set it to an address such as 127.0.0.1"
        )
    return host


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
        _check_zendesk_credentials(zendesk)

        fingerprint_key = _text(env, "FINGERPRINT_KEY")
        if fingerprint_key and len(fingerprint_key) < MIN_FINGERPRINT_KEY_LENGTH:
            raise ConfigError(
                f"{PREFIX}FINGERPRINT_KEY has {len(fingerprint_key)} characters; use "
                f"at least {MIN_FINGERPRINT_KEY_LENGTH} random characters, or unset "
                "it to have a key generated"
            )

        return cls(
            data_dir=Path(_text(env, "DATA_DIR") or "./data"),
            host=_host(env),
            port=_integer(env, "PORT", 1, 65535),
            workers=_integer(env, "WORKERS", 1, 64),
            max_body_bytes=_integer(env, "MAX_BODY_BYTES", 1024, 64 * 1024 * 1024),
            signature_tolerance_seconds=_integer(
                env, "SIGNATURE_TOLERANCE_SECONDS", 1, 3600
            ),
            fingerprint_key=fingerprint_key,
            api_token=_text(env, "API_TOKEN"),
            log_level=log_level,
            max_attempts=_integer(env, "MAX_ATTEMPTS", 1, 100),
            zendesk=zendesk,
        )


def _check_zendesk_credentials(zendesk: ZendeskSettings) -> None:
    """Raise `ConfigError` unless the Zendesk settings are complete or all unset."""
    credentials_set = [
        PREFIX + name
        for name, value in (
            ("ZENDESK_EMAIL", zendesk.email),
            ("ZENDESK_API_TOKEN", zendesk.api_token),
            ("ZENDESK_OAUTH_TOKEN", zendesk.oauth_token),
        )
        if value
    ]
    if not zendesk.subdomain:
        if credentials_set:
            verb = "is" if len(credentials_set) == 1 else "are"
            raise ConfigError(
                f"{' and '.join(credentials_set)} {verb} set but {PREFIX}ZENDESK_SUBDOMAIN is "
                "missing; set it to your Zendesk subdomain, such as 'acme' for "
                "acme.zendesk.com"
            )
        return
    if zendesk.has_credentials:
        return
    if zendesk.email:
        raise ConfigError(
            f"{PREFIX}ZENDESK_EMAIL is set but {PREFIX}ZENDESK_API_TOKEN is "
            f"missing; set the API token, or use {PREFIX}ZENDESK_OAUTH_TOKEN instead"
        )
    if zendesk.api_token:
        raise ConfigError(
            f"{PREFIX}ZENDESK_API_TOKEN is set but {PREFIX}ZENDESK_EMAIL is "
            "missing; set the email of the agent the token belongs to"
        )
    raise ConfigError(
        f"{PREFIX}ZENDESK_SUBDOMAIN is set but no credentials are; set "
        f"{PREFIX}ZENDESK_EMAIL and {PREFIX}ZENDESK_API_TOKEN, or "
        f"{PREFIX}ZENDESK_OAUTH_TOKEN"
    )
