"""Configuration from one prefixed set of environment variables (`REDLINE_`).

Every variable is listed in `VARIABLES` with its default and meaning; the
README's table is written from it. Every value, secrets included, is
stripped of surrounding whitespace. A bad value raises `ConfigError` naming
the variable, the value's problem and the fix.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import os
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from infra.errors import ConfigError

PREFIX = "REDLINE_"
# A shorter fingerprint key could be guessed, and with it the values behind
# the fingerprints in the ledger.
MIN_FINGERPRINT_KEY_LENGTH = 16

DEFAULT_WECOM_API_BASE = "https://qyapi.weixin.qq.com/cgi-bin/"
# WeCom generates the EncodingAESKey as 43 letters and digits.
WECOM_AES_KEY_LENGTH = 43
_WECOM_KEY_ALPHABET = frozenset(string.ascii_letters + string.digits)
# An app name is the last part of its callback URL, /webhooks/wecom/<name>.
_WECOM_APP_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_WECOM_APP_FIELDS = frozenset(
    {"name", "corp_id", "token", "encoding_aes_key", "secret", "agent_id"}
)

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
    "MAX_ATTACHMENT_BYTES": (
        "20971520",
        "largest ticket attachment downloaded and inspected, in bytes",
    ),
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
    "ZENDESK_ATTACHMENT_HOSTS": (
        "",
        "comma-separated extra hosts (host or host:port) whose attachment URLs get "
        "the API credentials besides SUBDOMAIN.DOMAIN; listing 127.0.0.1 also "
        "allows plain http to it, for tests",
    ),
    "WECOM_APPS": (
        "",
        "JSON list of WeCom apps, each {name, corp_id, token, encoding_aes_key, "
        "secret, agent_id}",
    ),
    "WECOM_APPS_FILE": ("", "path of a JSON file with the WeCom apps, instead"),
    "WECOM_API_BASE": (
        DEFAULT_WECOM_API_BASE,
        "base URL of the WeCom server API; empty turns API calls off",
    ),
    "WECOM_AGENTS": ("", 'JSON object: WeCom user id -> ["agent name", "team"]'),
    "WECOM_MANAGERS": (
        "",
        "comma-separated WeCom user ids that also get high-risk warnings",
    ),
    "GENERIC_SOURCES": (
        "",
        'JSON object: source name -> {"secret": "...", "callback_hosts": '
        '["host", ...]} for POST /webhooks/generic and /webhooks/contact-lens',
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
    attachment_hosts: tuple[str, ...] = ()

    @property
    def has_credentials(self) -> bool:
        """Whether the gateway can call the Zendesk API for this account."""
        if not self.subdomain:
            return False
        return bool(self.oauth_token or (self.email and self.api_token))


@dataclass(frozen=True)
class WeComAppSettings:
    """One WeCom app as configured; the gateway turns it into the adapter's app.

    `corp_id` is empty only in a file written by `python -m gateway install
    wecom` before the corp id was given. The repr hides the three secrets.
    """

    name: str
    corp_id: str
    token: str = field(repr=False)
    encoding_aes_key: str = field(repr=False)
    secret: str = field(default="", repr=False)
    agent_id: int | None = None


@dataclass(frozen=True)
class WeComSettings:
    apps: tuple[WeComAppSettings, ...] = ()
    api_base: str = DEFAULT_WECOM_API_BASE
    # WeCom user id -> (agent name, team)
    agents: dict[str, tuple[str, str]] = field(default_factory=dict)
    managers: tuple[str, ...] = ()


@dataclass(frozen=True)
class GenericSourceSettings:
    """A sender of the integration API: its signing secret and callback hosts."""

    name: str
    secret: str = field(repr=False)
    callback_hosts: tuple[str, ...] = ()


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
    max_attachment_bytes: int = 20 * 1024 * 1024
    zendesk: ZendeskSettings = field(default_factory=ZendeskSettings)
    wecom: WeComSettings = field(default_factory=WeComSettings)
    generic_sources: tuple[GenericSourceSettings, ...] = ()

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
            attachment_hosts=tuple(
                h.strip().lower()
                for h in _text(env, "ZENDESK_ATTACHMENT_HOSTS").split(",")
                if h.strip()
            ),
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
            max_attachment_bytes=_integer(
                env, "MAX_ATTACHMENT_BYTES", 1024, 1024 * 1024 * 1024
            ),
            zendesk=zendesk,
            wecom=_wecom_settings(env),
            generic_sources=_generic_sources(env),
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


# -- WeCom ----------------------------------------------------------------


def _wecom_settings(env: Mapping[str, str]) -> WeComSettings:
    inline = _text(env, "WECOM_APPS")
    file_name = _text(env, "WECOM_APPS_FILE")
    if inline and file_name:
        raise ConfigError(
            f"{PREFIX}WECOM_APPS and {PREFIX}WECOM_APPS_FILE are both set; "
            "keep only one of them"
        )
    apps: tuple[WeComAppSettings, ...] = ()
    if inline:
        apps = parse_wecom_apps(inline, PREFIX + "WECOM_APPS")
    elif file_name:
        apps = load_wecom_apps_file(Path(file_name), PREFIX + "WECOM_APPS_FILE")
    return WeComSettings(
        apps=apps,
        api_base=_wecom_api_base(env),
        agents=_wecom_agents(env),
        managers=tuple(
            user.strip()
            for user in _text(env, "WECOM_MANAGERS").split(",")
            if user.strip()
        ),
    )


def _wecom_api_base(env: Mapping[str, str]) -> str:
    """Return REDLINE_WECOM_API_BASE with one trailing slash, or "" for off."""
    base = _text(env, "WECOM_API_BASE")
    if not base:
        return ""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"{PREFIX}WECOM_API_BASE is {base[:80]!r}, which is not an http(s) "
            f"URL; set it to {DEFAULT_WECOM_API_BASE} or leave it unset"
        )
    return base.rstrip("/") + "/"


def _wecom_agents(env: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Read REDLINE_WECOM_AGENTS: {"user id": ["agent name", "team"]}."""
    name = PREFIX + "WECOM_AGENTS"
    raw = _text(env, "WECOM_AGENTS")
    if not raw:
        return {}
    data = _json_value(raw, name)
    if not isinstance(data, dict):
        raise ConfigError(
            f'{name} must be a JSON object such as {{"zhangsan": ["Zhang San", '
            '"billing"]}}'
        )
    agents: dict[str, tuple[str, str]] = {}
    for user_id, entry in data.items():
        valid = (
            isinstance(entry, list)
            and len(entry) == 2
            and all(isinstance(part, str) for part in entry)
        )
        if not user_id.strip() or not valid:
            raise ConfigError(
                f"{name} entry {user_id[:40]!r} must map a user id to a list of "
                'two strings, ["agent name", "team"]'
            )
        agents[user_id.strip()] = (entry[0].strip(), entry[1].strip())
    return agents


# -- integration API -------------------------------------------------------


def _generic_sources(env: Mapping[str, str]) -> tuple[GenericSourceSettings, ...]:
    """Read REDLINE_GENERIC_SOURCES: {"name": {"secret", "callback_hosts"}}."""
    variable = PREFIX + "GENERIC_SOURCES"
    raw = _text(env, "GENERIC_SOURCES")
    if not raw:
        return ()
    data = _json_value(raw, variable)
    if not isinstance(data, dict):
        raise ConfigError(
            f'{variable} must be a JSON object such as {{"crm": {{"secret": "...", '
            '"callback_hosts": ["hooks.example.com"]}}'
        )
    sources = []
    for name, entry in data.items():
        where = f"{variable} source {name[:40]!r}"
        if not _WECOM_APP_NAME.fullmatch(name):
            raise ConfigError(
                f"{where}: a source name must be 1 to 64 letters, digits, _ or -"
            )
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a JSON object with secret")
        unknown = sorted(set(entry) - {"secret", "callback_hosts"})
        if unknown:
            raise ConfigError(f"{where} has unknown keys: {', '.join(unknown)}")
        secret = entry.get("secret")
        if not isinstance(secret, str) or not secret.strip():
            raise ConfigError(f"{where}: secret must be a non-empty string")
        hosts = entry.get("callback_hosts", [])
        if not isinstance(hosts, list) or not all(
            isinstance(host, str) and host.strip() for host in hosts
        ):
            raise ConfigError(f"{where}: callback_hosts must be a list of host names")
        sources.append(
            GenericSourceSettings(
                name=name,
                secret=secret.strip(),
                callback_hosts=tuple(host.strip().lower() for host in hosts),
            )
        )
    return tuple(sources)


def _json_value(text: str, variable: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        # The position is enough to find the error; the value holds secrets.
        raise ConfigError(
            f"{variable} is not valid JSON (line {getattr(error, 'lineno', '?')}, "
            f"column {getattr(error, 'colno', '?')}); check its quotes and commas"
        ) from None


def load_wecom_apps_file(
    path: Path, variable: str, *, require_corp_id: bool = True
) -> tuple[WeComAppSettings, ...]:
    """Read WeCom apps from a JSON file, naming `variable` in any error."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise ConfigError(
            f"{variable}: cannot read {path} ({reason}); give the path of a "
            "readable JSON file"
        ) from None
    return parse_wecom_apps(
        text, f"{variable} ({path})", require_corp_id=require_corp_id
    )


def parse_wecom_apps(
    text: str, variable: str, *, require_corp_id: bool = True
) -> tuple[WeComAppSettings, ...]:
    """Parse a JSON list of WeCom apps, raising `ConfigError` naming `variable`.

    Pass `require_corp_id=False` for the file that `install wecom` writes,
    where the corp id may still be missing.
    """
    data = _json_value(text, variable)
    if not isinstance(data, list):
        raise ConfigError(
            f"{variable} must be a JSON list of app objects, each with name, "
            "corp_id, token, encoding_aes_key, secret and agent_id"
        )
    apps = [
        _wecom_app(entry, f"{variable} item {number}", require_corp_id)
        for number, entry in enumerate(data, start=1)
    ]
    names = [app.name for app in apps]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigError(
            f"{variable} names the app {repeated[0]!r} more than once; give each "
            "app its own name"
        )
    return tuple(apps)


def _wecom_app(entry: Any, where: str, require_corp_id: bool) -> WeComAppSettings:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} is not a JSON object")
    unknown = sorted(set(entry) - _WECOM_APP_FIELDS)
    if unknown:
        raise ConfigError(
            f"{where} has the unknown key {unknown[0][:40]!r}; the keys are "
            f"{', '.join(sorted(_WECOM_APP_FIELDS))}"
        )
    values: dict[str, str] = {}
    for key in ("name", "corp_id", "token", "encoding_aes_key", "secret"):
        value = entry.get(key, "")
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {key} must be a string")
        values[key] = value.strip()
    name = values["name"]
    if not _WECOM_APP_NAME.fullmatch(name):
        raise ConfigError(
            f"{where}: name {name[:40]!r} must be 1 to 64 letters, digits, '-' or "
            "'_', because it is the last part of the callback URL"
        )
    if require_corp_id and not values["corp_id"]:
        raise ConfigError(
            f"{where} ({name}): corp_id is missing; copy the CorpID from the "
            "WeCom admin console (My Company)"
        )
    if not values["token"]:
        raise ConfigError(
            f"{where} ({name}): token is missing; copy the Token from the app's "
            "callback settings"
        )
    key = values["encoding_aes_key"]
    if len(key) != WECOM_AES_KEY_LENGTH or not set(key) <= _WECOM_KEY_ALPHABET:
        raise ConfigError(
            f"{where} ({name}): encoding_aes_key must be {WECOM_AES_KEY_LENGTH} "
            f"letters and digits, got {len(key)} characters; copy the "
            "EncodingAESKey again from the app's callback settings"
        )
    return WeComAppSettings(
        name=name,
        corp_id=values["corp_id"],
        token=values["token"],
        encoding_aes_key=key,
        secret=values["secret"],
        agent_id=_agent_id(entry.get("agent_id"), where, name),
    )


def _agent_id(value: Any, where: str, name: str) -> int | None:
    """Read an app's agent id: a positive whole number, as a number or digits."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(
            f"{where} ({name}): agent_id must be a positive whole number, such as "
            "1000002, or left out"
        )
    return value
