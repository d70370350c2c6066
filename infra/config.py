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

from detectors.types import SPEAKERS
from infra.alerts.settings import DisposalSettings, parse_disposal
from infra.errors import ConfigError

PREFIX = "REDLINE_"
# A shorter fingerprint key could be guessed, and with it the values behind
# the fingerprints in the ledger.
MIN_FINGERPRINT_KEY_LENGTH = 16

DEFAULT_WECOM_API_BASE = "https://qyapi.weixin.qq.com/cgi-bin/"
DEFAULT_SLACK_API_BASE = "https://slack.com/api/"
DEFAULT_TWILIO_INTELLIGENCE_URL = "https://intelligence.twilio.com"
DEFAULT_TWILIO_API_URL = "https://api.twilio.com"
_TWILIO_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
_FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
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
    "TRUSTED_PROXY": (
        "",
        "IP address of the reverse proxy in front of the gateway, or * for any "
        "peer: its X-Forwarded-Proto and X-Forwarded-Host set the request's "
        "scheme and host; empty: those headers are dropped",
    ),
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
        '["host", ...]} for POST /webhooks/generic, /webhooks/contact-lens and '
        "/webhooks/vcon",
    ),
    "TWILIO_ACCOUNT_SID": (
        "",
        "Twilio account SID (AC...), to fetch Voice Intelligence sentences",
    ),
    "TWILIO_AUTH_TOKEN": (
        "",
        "Twilio Auth Token: checks X-Twilio-Signature and signs API calls; "
        "the /webhooks/twilio routes answer 404 while it is unset",
    ),
    "TWILIO_PUBLIC_BASE_URL": (
        "",
        "the gateway's URL as Twilio calls it (https://host[/prefix]); "
        "signatures are checked against it instead of the request's own URL",
    ),
    "TWILIO_TRUST_FORWARDED": (
        "false",
        "true: without a public base URL, take scheme and host from "
        "X-Forwarded-Proto and X-Forwarded-Host (only behind a proxy that sets "
        "them); requires TRUSTED_PROXY",
    ),
    "TWILIO_INTELLIGENCE_URL": (
        DEFAULT_TWILIO_INTELLIGENCE_URL,
        "base URL of the Voice Intelligence API",
    ),
    "TWILIO_API_URL": (
        DEFAULT_TWILIO_API_URL,
        "base URL of the Twilio REST API, which serves the recordings",
    ),
    "TWILIO_CHANNEL_ROLES": (
        '{"1": "customer", "2": "agent"}',
        "JSON object: Voice Intelligence media channel -> agent, customer or system",
    ),
    "TWILIO_TRANSCRIPTION_ROLE": (
        "customer",
        "speaker of a recording transcription (TranscriptionText): agent, "
        "customer or system",
    ),
    "VCON_PARTY_ROLES": (
        '{"0": "customer", "1": "agent"}',
        "JSON object: vCon party index -> role, for parties without their own role",
    ),
    "RECORDINGS_DIR": (
        "",
        "folder that recordings given by path must be in; unset rejects paths",
    ),
    "RECORDING_HOSTS": (
        "",
        "comma-separated hosts (host or host:port) that recordings may be "
        "downloaded from, redirects included; listing 127.0.0.1 also allows "
        "plain http to it, for tests",
    ),
    "MAX_RECORDING_BYTES": (
        "104857600",
        "largest WAV recording read to make a muted copy, in bytes",
    ),
    "PUBLIC_URL": (
        "",
        "URL where people reach this gateway, such as https://redline.example; "
        "alerts link to cases under it",
    ),
    "DISPOSAL": (
        "",
        "JSON document: teams, managers, escalation chain, digest times, SLA "
        "hours, throttling and training modules (see README, Disposal)",
    ),
    "DISPOSAL_FILE": ("", "path of a JSON file with the disposal settings, instead"),
    "SLACK_BOT_TOKEN": ("", "Slack bot token (xoxb-...) for alerts; empty: no Slack"),
    "SLACK_SIGNING_SECRET": (
        "",
        "Slack app signing secret, required for the alert buttons "
        "(POST /slack/interactions)",
    ),
    "SLACK_API_BASE": (DEFAULT_SLACK_API_BASE, "base URL of the Slack Web API"),
    "SMS_REGION": ("", "AWS region of Amazon SNS for SMS alerts; empty: no SMS"),
    "SMS_ENDPOINT_URL": ("", "SNS endpoint URL instead of AWS's, for a local stand-in"),
    "SMS_SENDER_ID": ("", "SMS sender id where the destination country allows one"),
    "SMS_SIGNATURE": (
        "",
        "text put before every SMS, such as 【公司名】, which mainland China "
        "numbers require",
    ),
    "SCHEDULER_SECONDS": (
        "30",
        "seconds between checks for escalations and digests; 0 turns the "
        "scheduler thread off (use python -m gateway digest from cron instead)",
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
class TelephonySettings:
    """Twilio, vCon roles, and where recordings to mute may come from."""

    twilio_account_sid: str = ""
    twilio_auth_token: str = field(default="", repr=False)
    twilio_public_base_url: str = ""
    twilio_trust_forwarded: bool = False
    twilio_intelligence_url: str = DEFAULT_TWILIO_INTELLIGENCE_URL
    twilio_api_url: str = DEFAULT_TWILIO_API_URL
    twilio_channel_roles: Mapping[int, str] = field(
        default_factory=lambda: {1: "customer", 2: "agent"}
    )
    twilio_transcription_role: str = "customer"
    vcon_party_roles: Mapping[int, str] = field(
        default_factory=lambda: {0: "customer", 1: "agent"}
    )
    recordings_dir: Path | None = None
    recording_hosts: tuple[str, ...] = ()
    max_recording_bytes: int = 100 * 1024 * 1024


@dataclass(frozen=True)
class AlertSettings:
    """Alert destinations (Slack, SMS through SNS) and the scheduler's interval."""

    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_api_base: str = DEFAULT_SLACK_API_BASE
    sms_region: str = ""
    sms_endpoint_url: str = ""
    sms_sender_id: str = ""
    sms_signature: str = ""
    scheduler_seconds: int = 30


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("./data")
    host: str = "127.0.0.1"
    port: int = 8080
    trusted_proxy: str = ""
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
    telephony: TelephonySettings = field(default_factory=TelephonySettings)
    public_url: str = ""
    disposal: DisposalSettings = field(default_factory=DisposalSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)

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
            trusted_proxy=_trusted_proxy(env),
            log_level=log_level,
            max_attempts=_integer(env, "MAX_ATTEMPTS", 1, 100),
            max_attachment_bytes=_integer(
                env, "MAX_ATTACHMENT_BYTES", 1024, 1024 * 1024 * 1024
            ),
            zendesk=zendesk,
            wecom=_wecom_settings(env),
            generic_sources=_generic_sources(env),
            telephony=_telephony_settings(env),
            public_url=_url(env, "PUBLIC_URL"),
            disposal=_disposal_settings(env),
            alerts=_alert_settings(env),
        )


def _trusted_proxy(env: Mapping[str, str]) -> str:
    """Return REDLINE_TRUSTED_PROXY: "", "*" or a normalised IP address.

    REDLINE_TWILIO_TRUST_FORWARDED needs it, because the server drops the
    X-Forwarded-* headers of any peer it does not trust.
    """
    proxy = _text(env, "TRUSTED_PROXY")
    if proxy and proxy != "*":
        try:
            proxy = str(ipaddress.ip_address(proxy))
        except ValueError:
            raise ConfigError(
                f"{PREFIX}TRUSTED_PROXY is {proxy[:80]!r}; give the proxy's IP "
                "address, such as 10.0.0.2, or * to trust any peer"
            ) from None
    if not proxy and _flag(env, "TWILIO_TRUST_FORWARDED"):
        raise ConfigError(
            f"{PREFIX}TWILIO_TRUST_FORWARDED is true but {PREFIX}TRUSTED_PROXY "
            "is not set, so the server drops the X-Forwarded-* headers; set it "
            "to the proxy's IP address (or * when only the proxy can reach the "
            "gateway)"
        )
    return proxy


def _url(env: Mapping[str, str], name: str) -> str:
    """Return an http(s) URL variable without a trailing slash, or ""."""
    value = _text(env, name)
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{PREFIX}{name} is {value[:80]!r}; give an http(s) URL such as "
            "https://redline.example"
        )
    return value.rstrip("/")


def _disposal_settings(env: Mapping[str, str]) -> DisposalSettings:
    text = _text(env, "DISPOSAL")
    path = _text(env, "DISPOSAL_FILE")
    if text and path:
        raise ConfigError(
            f"both {PREFIX}DISPOSAL and {PREFIX}DISPOSAL_FILE are set; keep one"
        )
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(
                f"{PREFIX}DISPOSAL_FILE {path!r} cannot be read ({error}); check "
                "the path and that the file is UTF-8 JSON"
            ) from None
        return parse_disposal(text, f"{PREFIX}DISPOSAL_FILE ({path})")
    return parse_disposal(text, f"{PREFIX}DISPOSAL")


def _alert_settings(env: Mapping[str, str]) -> AlertSettings:
    token = _text(env, "SLACK_BOT_TOKEN")
    if token and not token.startswith("xox"):
        raise ConfigError(
            f"{PREFIX}SLACK_BOT_TOKEN does not look like a Slack token; give the "
            "bot token, which starts with xoxb-"
        )
    region = _text(env, "SMS_REGION")
    if region and not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        raise ConfigError(
            f"{PREFIX}SMS_REGION is {region[:40]!r}; give an AWS region such as "
            "us-east-1"
        )
    base = _url(env, "SLACK_API_BASE") or DEFAULT_SLACK_API_BASE
    return AlertSettings(
        slack_bot_token=token,
        slack_signing_secret=_text(env, "SLACK_SIGNING_SECRET"),
        slack_api_base=base.rstrip("/") + "/",
        sms_region=region,
        sms_endpoint_url=_url(env, "SMS_ENDPOINT_URL"),
        sms_sender_id=_text(env, "SMS_SENDER_ID"),
        sms_signature=_text(env, "SMS_SIGNATURE"),
        scheduler_seconds=_integer(env, "SCHEDULER_SECONDS", 0, 3600),
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


# -- telephony --------------------------------------------------------------


def _telephony_settings(env: Mapping[str, str]) -> TelephonySettings:
    account_sid = _text(env, "TWILIO_ACCOUNT_SID")
    if account_sid and not _TWILIO_ACCOUNT_SID.fullmatch(account_sid):
        raise ConfigError(
            f"{PREFIX}TWILIO_ACCOUNT_SID is not an account SID; copy the Account "
            "SID (AC and 32 hex digits) from the Twilio Console"
        )
    folder = _text(env, "RECORDINGS_DIR")
    if folder and not Path(folder).is_dir():
        raise ConfigError(
            f"{PREFIX}RECORDINGS_DIR is {folder[:80]!r}, which is not a folder; "
            "create it or point the variable at the folder holding the recordings"
        )
    return TelephonySettings(
        twilio_account_sid=account_sid,
        twilio_auth_token=_text(env, "TWILIO_AUTH_TOKEN"),
        twilio_public_base_url=_base_url(env, "TWILIO_PUBLIC_BASE_URL"),
        twilio_trust_forwarded=_flag(env, "TWILIO_TRUST_FORWARDED"),
        twilio_intelligence_url=_base_url(env, "TWILIO_INTELLIGENCE_URL", True),
        twilio_api_url=_base_url(env, "TWILIO_API_URL", True),
        twilio_channel_roles=_role_map(env, "TWILIO_CHANNEL_ROLES"),
        twilio_transcription_role=_role(env, "TWILIO_TRANSCRIPTION_ROLE"),
        vcon_party_roles=_role_map(env, "VCON_PARTY_ROLES"),
        recordings_dir=Path(folder) if folder else None,
        recording_hosts=tuple(
            host.strip().lower()
            for host in _text(env, "RECORDING_HOSTS").split(",")
            if host.strip()
        ),
        max_recording_bytes=_integer(env, "MAX_RECORDING_BYTES", 1024, 4 * 1024**3),
    )


def _base_url(env: Mapping[str, str], name: str, required: bool = False) -> str:
    """Return an http(s) base URL without its trailing slash; "" when unset."""
    url = _text(env, name)
    if not url and not required:
        return ""
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
    ):
        default = VARIABLES[name][0]
        fix = f"set it to {default} or leave it unset" if default else "fix or unset it"
        raise ConfigError(
            f"{PREFIX}{name} is {url[:80]!r}, which is not an http(s) URL without "
            f"query; {fix}"
        )
    return url.rstrip("/")


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = _text(env, name).lower()
    if raw not in _FLAGS:
        raise ConfigError(f"{PREFIX}{name} is {raw[:20]!r}; set it to true or false")
    return _FLAGS[raw]


def _role(env: Mapping[str, str], name: str) -> str:
    role = _text(env, name).lower()
    if role not in SPEAKERS:
        raise ConfigError(
            f"{PREFIX}{name} is {role[:20]!r}; use one of {', '.join(SPEAKERS)}"
        )
    return role


def _role_map(env: Mapping[str, str], name: str) -> dict[int, str]:
    """Read a JSON object mapping channel or party numbers to speaker roles."""
    data = _json_value(_text(env, name), PREFIX + name)
    example = VARIABLES[name][0]
    if not isinstance(data, dict):
        raise ConfigError(f"{PREFIX}{name} must be a JSON object such as {example}")
    roles: dict[int, str] = {}
    for key, role in data.items():
        if not key.strip().isdigit() or role not in SPEAKERS:
            raise ConfigError(
                f"{PREFIX}{name} entry {key[:20]!r} must map a number to one of "
                f"{', '.join(SPEAKERS)}, as in {example}"
            )
        roles[int(key)] = role
    return roles


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
