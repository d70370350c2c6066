"""Disposal settings: teams and their managers, escalation, schedules, training.

They come as one JSON document (REDLINE_DISPOSAL or REDLINE_DISPOSAL_FILE):

    {
      "timezone": "Asia/Shanghai",
      "daily_digest_at": "09:00",
      "weekly_summary_at": "monday 09:00",
      "sla_hours": {"high": 1, "medium": 24, "low": 168},
      "throttle_minutes": 10,
      "storm_limit": 20,
      "teams": {
        "billing": {
          "managers": [{"name": "Lin", "slack": "U01", "wecom": "lin",
                        "phone": "+8613800000000"}],
          "slack_channel": "C01",
          "escalation": [[{"name": "Head of billing", "slack": "U02"}]]
        },
        "*": {"managers": [{"name": "Duty manager", "slack": "C09"}]}
      },
      "escalation": [[{"name": "Compliance", "wecom": "compliance"}]],
      "training": {
        "window_days": 30, "high": 2, "medium": 3,
        "modules": {"credential_request": {"title": "Never ask for codes",
                                           "url": "https://lms.example/otp"}}
      }
    }

Every key is optional. The team "*" receives the alerts of cases whose team
is not configured. Level 0 of a case's escalation chain is its team's
managers and the team's Slack channel. Later levels come from the team's
own `escalation` list, then from the top-level one.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from detectors.behaviours import BEHAVIOURS
from infra.alerts import Recipient
from infra.alerts.sms import check_e164
from infra.errors import ConfigError

DEFAULT_TEAM = "*"
WEEKDAYS = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
DEFAULT_SLA_HOURS: Mapping[str, float] = {"high": 1, "medium": 24, "low": 24 * 7}

_TOP_KEYS = frozenset(
    {
        "timezone",
        "daily_digest_at",
        "weekly_summary_at",
        "sla_hours",
        "throttle_minutes",
        "storm_limit",
        "teams",
        "escalation",
        "training",
    }
)
_TEAM_KEYS = frozenset({"managers", "slack_channel", "escalation"})
_RECIPIENT_KEYS = frozenset({"name", "slack", "wecom", "phone", "email"})
_TRAINING_KEYS = frozenset({"window_days", "high", "medium", "modules"})
_CLOCK_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_WECOM_USER = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
_SLACK_ID = re.compile(r"[A-Z][A-Z0-9]{2,20}")


@dataclass(frozen=True)
class TeamSettings:
    name: str
    managers: tuple[Recipient, ...] = ()
    escalation: tuple[tuple[Recipient, ...], ...] = ()


@dataclass(frozen=True)
class TrainingModule:
    title: str
    url: str


@dataclass(frozen=True)
class TrainingSettings:
    """An agent with `high` high cases or `medium` medium cases within
    `window_days` is assigned the module of the behaviour they repeat."""

    window_days: int = 30
    high: int = 2
    medium: int = 3
    modules: Mapping[str, TrainingModule] = field(default_factory=dict)


@dataclass(frozen=True)
class DisposalSettings:
    timezone: str = "UTC"
    daily_digest_at: datetime.time = datetime.time(9, 0)
    weekly_day: int = 0
    weekly_summary_at: datetime.time = datetime.time(9, 0)
    sla_hours: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_SLA_HOURS)
    )
    throttle_minutes: float = 10
    storm_limit: int = 20
    teams: Mapping[str, TeamSettings] = field(default_factory=dict)
    escalation: tuple[tuple[Recipient, ...], ...] = ()
    training: TrainingSettings = field(default_factory=TrainingSettings)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def team(self, name: str | None) -> TeamSettings:
        """Return the settings of team `name`, else those of "*", else none."""
        if name and name in self.teams:
            return self.teams[name]
        return self.teams.get(DEFAULT_TEAM, TeamSettings(name or DEFAULT_TEAM))

    def chain(self, team: str | None) -> list[tuple[Recipient, ...]]:
        """Return the escalation levels of a team: its managers first."""
        settings = self.team(team)
        levels = [settings.managers] if settings.managers else []
        levels += [level for level in settings.escalation if level]
        levels += [level for level in self.escalation if level]
        return levels


def parse_disposal(text: str, where: str) -> DisposalSettings:
    """Parse the disposal JSON, raising `ConfigError` that names `where`."""
    import json

    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"{where} is not valid JSON ({error.msg} at line {error.lineno} "
            f"column {error.colno}); fix the document"
        ) from None
    return disposal_from_dict(data, where)


def disposal_from_dict(data: Any, where: str) -> DisposalSettings:
    obj = _object(data, where, _TOP_KEYS)
    timezone = _string(obj.get("timezone", "UTC"), f"{where}: timezone")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where}: timezone {timezone[:60]!r} is not a known time zone; use a "
            "name such as Asia/Shanghai or UTC"
        ) from None
    daily = _clock_time(
        obj.get("daily_digest_at", "09:00"), f"{where}: daily_digest_at"
    )
    weekly_day, weekly_at = _weekly(
        obj.get("weekly_summary_at", "monday 09:00"), f"{where}: weekly_summary_at"
    )

    sla = dict(DEFAULT_SLA_HOURS)
    sla_given = _object(obj.get("sla_hours", {}), f"{where}: sla_hours", frozenset(sla))
    for severity, hours in sla_given.items():
        sla[severity] = _number(hours, f"{where}: sla_hours.{severity}", 0.01, 24 * 90)
    teams: dict[str, TeamSettings] = {}
    for name, team in _object(obj.get("teams", {}), f"{where}: teams").items():
        teams[name] = _team(name, team, f"{where}: teams.{name}")
    escalation = _levels(obj.get("escalation", []), f"{where}: escalation")

    return DisposalSettings(
        timezone=timezone,
        daily_digest_at=daily,
        weekly_day=weekly_day,
        weekly_summary_at=weekly_at,
        sla_hours=sla,
        throttle_minutes=_number(
            obj.get("throttle_minutes", 10), f"{where}: throttle_minutes", 0, 24 * 60
        ),
        storm_limit=_whole(
            obj.get("storm_limit", 20), f"{where}: storm_limit", 1, 10_000
        ),
        teams=teams,
        escalation=escalation,
        training=_training(obj.get("training", {}), f"{where}: training"),
    )


def _team(name: str, data: Any, where: str) -> TeamSettings:
    if not name.strip() or len(name) > 100:
        raise ConfigError(f"{where}: a team name must have 1 to 100 characters")
    obj = _object(data, where, _TEAM_KEYS)
    managers = list(_recipients(obj.get("managers", []), f"{where}.managers"))
    channel = obj.get("slack_channel")
    if channel is not None:
        channel = _slack_id(channel, f"{where}.slack_channel")
        managers.append(Recipient(name=f"{name} channel", slack=channel))
    return TeamSettings(
        name=name,
        managers=tuple(managers),
        escalation=_levels(obj.get("escalation", []), f"{where}.escalation"),
    )


def _levels(data: Any, where: str) -> tuple[tuple[Recipient, ...], ...]:
    if not isinstance(data, list):
        raise ConfigError(
            f"{where} must be a list of levels, each a list of recipients"
        )
    levels = []
    for index, level in enumerate(data):
        entries = level if isinstance(level, list) else [level]
        if not entries:
            raise ConfigError(
                f"{where}[{index}] is an empty level; give at least one recipient "
                "or remove the level"
            )
        levels.append(_recipients(entries, f"{where}[{index}]"))
    return tuple(levels)


def _recipients(data: Any, where: str) -> tuple[Recipient, ...]:
    if not isinstance(data, list):
        raise ConfigError(f"{where} must be a list of recipients")
    return tuple(_recipient(entry, f"{where}[{i}]") for i, entry in enumerate(data))


def _recipient(data: Any, where: str) -> Recipient:
    obj = _object(data, where, _RECIPIENT_KEYS)
    name = _string(obj.get("name", ""), f"{where}.name")
    slack = obj.get("slack", "")
    if slack:
        slack = _slack_id(slack, f"{where}.slack")
    wecom = _string(obj.get("wecom", ""), f"{where}.wecom")
    if wecom and (not _WECOM_USER.fullmatch(wecom) or wecom.lower() == "@all"):
        raise ConfigError(
            f"{where}.wecom is not one WeCom user id; give the member's user id "
            "(letters, digits, _ . @ -), one per recipient, not @all or a list"
        )
    phone = _string(obj.get("phone", ""), f"{where}.phone")
    if phone:
        phone = check_e164(phone, f"{where}.phone")

    email = _string(obj.get("email", ""), f"{where}.email")
    if email and not _EMAIL.fullmatch(email):
        raise ConfigError(
            f"{where}.email is not an email address; write it as name@example.com"
        )
    if not (slack or wecom or phone or email):
        raise ConfigError(
            f"{where} has no address; give at least one of slack, wecom, phone or email"
        )
    return Recipient(
        name=name or slack or wecom or email or "manager",
        slack=slack,
        wecom=wecom,
        phone=phone,
        email=email,
    )


def _training(data: Any, where: str) -> TrainingSettings:
    obj = _object(data, where, _TRAINING_KEYS)
    modules: dict[str, TrainingModule] = {}
    for behaviour, module in _object(
        obj.get("modules", {}), f"{where}.modules"
    ).items():
        if behaviour not in BEHAVIOURS:
            raise ConfigError(
                f"{where}.modules: {behaviour[:60]!r} is not a behaviour; use one "
                f"of {', '.join(BEHAVIOURS)}"
            )
        entry = _object(
            module, f"{where}.modules.{behaviour}", frozenset({"title", "url"})
        )
        title = _string(entry.get("title", ""), f"{where}.modules.{behaviour}.title")
        url = _string(entry.get("url", ""), f"{where}.modules.{behaviour}.url")
        if not title or not url.startswith(("https://", "http://")):
            raise ConfigError(
                f"{where}.modules.{behaviour} needs a title and an http(s) url"
            )
        modules[behaviour] = TrainingModule(title, url)
    return TrainingSettings(
        window_days=_whole(obj.get("window_days", 30), f"{where}.window_days", 1, 366),
        high=_whole(obj.get("high", 2), f"{where}.high", 1, 1000),
        medium=_whole(obj.get("medium", 3), f"{where}.medium", 1, 1000),
        modules=modules,
    )


def _clock_time(value: Any, where: str) -> datetime.time:
    text = _string(value, where)
    match = _CLOCK_TIME.fullmatch(text)
    if not match:
        raise ConfigError(f"{where} is {text[:40]!r}; write a 24-hour time as 09:00")
    return datetime.time(int(match.group(1)), int(match.group(2)))


def _weekly(value: Any, where: str) -> tuple[int, datetime.time]:
    text = _string(value, where)
    day, _, at = text.partition(" ")
    if day.lower() not in WEEKDAYS:
        raise ConfigError(
            f"{where} is {text[:40]!r}; write a weekday and a time as monday 09:00"
        )
    return WEEKDAYS.index(day.lower()), _clock_time(at.strip() or "09:00", where)


def _object(
    data: Any, where: str, allowed: frozenset[str] | None = None
) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a JSON object")
    if allowed is not None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ConfigError(
                f"{where}: unknown key {unknown[0][:40]!r}; known keys are "
                f"{', '.join(sorted(allowed))}"
            )
    return data


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string")
    return value.strip()


def _slack_id(value: Any, where: str) -> str:
    text = _string(value, where)
    if not _SLACK_ID.fullmatch(text):
        raise ConfigError(
            f"{where} is {text[:40]!r}; give a Slack user or channel id such as "
            "U0123ABCD or C0123ABCD, not a name"
        )
    return text


def _number(value: Any, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where} must be a number")
    if not low <= value <= high:
        raise ConfigError(f"{where} is {value}; it must be between {low} and {high}")
    return float(value)


def _whole(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where} must be a whole number")
    return int(_number(value, where, low, high))
