"""Disposal: alerts by severity, SLA escalation, digests and the training loop.

High cases are pushed at once to the managers of the agent's team through
every configured channel. An open high case past its SLA deadline goes to
the next level of the team's escalation chain. Medium cases go into a daily
digest per team, low cases into a weekly summary that names the training
focus. An agent who keeps raising cases is assigned a training module.

Everything here reads and writes the ledger and the alert store, so it is
safe to run from several threads and again after a crash: a case is
alerted once per level, a digest once per team and day.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import logging
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from detectors.behaviours import BEHAVIOURS
from detectors.types import Case, Finding, severity_rank
from gateway.pipeline import Outcome
from infra.alerts import (
    CASE_ALERT,
    DAILY_DIGEST,
    ESCALATION,
    STORM,
    TRAINING,
    WEEKLY_SUMMARY,
    Alert,
    AlertChannel,
    Delivery,
    Recipient,
)
from infra.alerts.settings import DisposalSettings
from infra.alerts.sms import mask_number
from infra.ports import Job, KeyValue, Outbox
from infra.sqlite.alerts import MAX_DELIVERY_ATTEMPTS, Assignment, SqliteAlertStore
from infra.sqlite.ledger import CLOSED_STATUSES, SqliteLedger, iso, utc_now

log = logging.getLogger(__name__)

# Job that updates the messages of a case after its status changed.
ALERTS_REFRESH = "alerts.refresh"
# A pending alert older than this is taken to be left by a crashed sender.
STALE_PENDING = datetime.timedelta(minutes=2)
# Findings listed in one case alert; the rest are counted.
MAX_FINDING_LINES = 8
# Lines an alert keeps as cases are counted into it.
MAX_FOLDED_LINES = 60
# A button value naming an alert, whose every case the button moves.
ALERT_REF = "alert:"
# Alerts that go by SMS too.
URGENT_KINDS = frozenset({CASE_ALERT, ESCALATION, STORM})
# How far back a digest reaches to cover days the gateway was down.
MAX_CATCH_UP_DAYS = 14
# Cases listed in one digest; the rest are counted.
MAX_DIGEST_CASES = 40

# Short Chinese names of the behaviours, for SMS where every character counts.
BEHAVIOUR_SHORT_ZH: Mapping[str, str] = {
    "agent_full_disclosure": "坐席泄露证件卡号",
    "credential_request": "索要密码验证码",
    "private_channel": "私下联系客户",
    "unauthorised_retention": "私存客户信息",
    "unmasked_record": "信息未脱敏",
    "document_exposure": "证件照片外泄",
    "over_collection": "过度收集",
    "partial_hint": "部分号码提示",
    "redundant_verification": "重复核验",
}


def _parse_iso(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.UTC
    )


def main_behaviour(case: Case) -> str:
    """Return the case's most severe behaviour, in catalogue order on ties."""
    order = list(BEHAVIOURS)
    behaviours = case.behaviours or ["unmasked_record"]
    return min(
        behaviours,
        key=lambda b: (
            -severity_rank(BEHAVIOURS[b].severity if b in BEHAVIOURS else "low"),
            order.index(b) if b in order else len(order),
        ),
    )


def finding_line(finding: Finding) -> str:
    """Describe a finding in one masked line: type, masked value, behaviour, excerpt."""
    line = f"{finding.type} {finding.masked} ({finding.behaviour}, {finding.severity})"
    if finding.start_ms is not None:
        line += f" at {_clock_ms(finding.start_ms)}"
    if finding.excerpt:
        line += f": “{finding.excerpt}”"
    return line


def _clock_ms(ms: int) -> str:
    seconds = ms // 1000
    return f"{seconds // 60:d}:{seconds % 60:02d}"


def alert_text(alert: Alert) -> str:
    """Plain text of an alert, for WeCom messages and the outbox."""
    parts = [alert.title, *alert.lines]
    if alert.status_line:
        parts.append(alert.status_line)
    if alert.link:
        parts.append(alert.link)
    return "\n".join(parts)


@dataclass
class TickResult:
    alerted: int = 0
    escalated: int = 0
    retried: int = 0
    trained: int = 0
    digests: int = 0


class OutboxChannel:
    """Records alerts in the local outbox when no channel reaches anyone."""

    name = "outbox"

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def send(self, alert: Alert, recipients: Sequence[Recipient]) -> list[Delivery]:
        names = ", ".join(r.name for r in recipients) or f"team {alert.team or '-'}"
        entry = self.outbox.add("alerts", names, alert.kind, asdict(alert))
        return [Delivery(self.name, names, ref=str(entry))]

    def update(self, ref: str, alert: Alert) -> Delivery | None:
        entry = self.outbox.add("alerts", ref, "update", asdict(alert))
        return Delivery(self.name, ref, ref=str(entry))


class AlertsRefreshHandler:
    """Job `alerts.refresh`: update a case's messages after its status changed."""

    def __init__(self, disposal: Disposal) -> None:
        self.disposal = disposal

    def __call__(self, job: Job) -> Outcome:
        case_id = str(job.payload.get("case_id", ""))
        updated = self.disposal.refresh_case(case_id)
        return Outcome(f"{updated} message(s) updated", case_id=None)


class Disposal:
    def __init__(
        self,
        ledger: SqliteLedger,
        store: SqliteAlertStore,
        settings: DisposalSettings,
        channels: Sequence[AlertChannel],
        fallback: AlertChannel,
        clock: Callable[[], datetime.datetime] = utc_now,
        kv: KeyValue | None = None,
        link_base: str = "",
        digest_dir: Path | None = None,
        agent_names: Mapping[str, str] | None = None,
        wecom_agents: frozenset[str] = frozenset(),
        outbox: Outbox | None = None,
    ) -> None:
        self.ledger = ledger
        self.store = store
        self.settings = settings
        self.channels = list(channels)
        self.fallback = fallback
        self.clock = clock
        self.kv = kv
        self.link_base = link_base.rstrip("/")
        self.digest_dir = digest_dir
        self.agent_names = dict(agent_names or {})
        self.wecom_agents = wecom_agents
        self.outbox = outbox

    # -- the periodic entry point ----------------------------------------

    def tick(self) -> TickResult:
        """Do whatever is due now: alerts, escalations, retries, digests."""
        result = self.run_due()
        result.digests += len(self.scheduled_digests())
        return result

    def run_due(self) -> TickResult:
        """Alert new high cases, escalate overdue ones, retry failed sends."""
        result = TickResult()
        now = self.clock()
        for case in self.ledger.cases_to_alert():
            if self.alert_case(case):
                result.alerted += 1
        for case in self.ledger.overdue_cases(iso(now)):
            if self.escalate(case):
                result.escalated += 1
        result.retried = self.retry(now - STALE_PENDING)
        self.copy_undelivered()
        result.trained = self.check_training()
        return result

    # -- high cases -------------------------------------------------------

    def recipients(self, team: str | None, level: int) -> tuple[Recipient, ...]:
        chain = self.settings.chain(team)
        if not chain:
            return ()
        return chain[min(level, len(chain) - 1)]

    def alert_case(self, case: Case) -> bool:
        """Send the first alert of a high case to its team's managers, once.

        The alert is stored and sent before the case is marked alerted, so a
        crash in between sends nothing twice (the alert's key is taken) and
        loses nothing (the case is picked up again and only marked).
        """
        behaviour = main_behaviour(case)
        note = self._dispatch(
            case,
            self.case_alert(case, 0),
            f"case|{case.team or '-'}|{case.agent_id}|{behaviour}"
            if case.agent_id
            else None,
            level=0,
        )
        return self.ledger.set_alert_level(
            case.id, 0, None, action="alerted", note=note
        )

    def escalate(self, case: Case) -> bool:
        """Send an open high case past its deadline to the next level, once."""
        chain = self.settings.chain(case.team)
        current = case.alert_level or 0
        level = min(current + 1, max(len(chain) - 1, 0))
        hours = self.settings.sla_hours.get(case.severity, 1)
        deadline = iso(self.clock() + datetime.timedelta(hours=hours))
        action = "escalated" if level > current else "reminded"
        behaviour = main_behaviour(case)

        alert = self.case_alert(replace(case, sla_deadline=deadline), level)
        # Keyed by the deadline that passed, so a second run after a crash
        # finds the alert taken and only moves the case.
        alert.key = f"case:{case.id}:{action}:{level}:{case.sla_deadline}"
        alert.kind = ESCALATION
        if action == "escalated":
            alert.title = f"Escalated (level {level}): {alert.title}"
            first = f"Not acknowledged by {self._local(case.sla_deadline)}; now yours."
        else:
            alert.title = f"Reminder (level {level}): {alert.title}"
            first = f"Still not acknowledged by {self._local(case.sla_deadline)}."
        alert.lines.insert(0, first)
        alert.sms_text = (
            f"Redline升级: {BEHAVIOUR_SHORT_ZH.get(behaviour, '高风险')} "
            f"案件{case.id}超时未处理, 请{self._local_hm(deadline)}前处理"
        )

        throttle_key = (
            f"escalation|{case.team or '-'}|{case.agent_id}|{behaviour}|{level}"
            if case.agent_id
            else None
        )
        note = self._dispatch(case, alert, throttle_key, level)
        return self.ledger.set_alert_level(
            case.id,
            level,
            case.alert_level,
            deadline=deadline,
            action=action,
            note=f"not acknowledged by {case.sla_deadline}; {note}",
        )

    def _dispatch(
        self, case: Case, alert: Alert, throttle_key: str | None, level: int
    ) -> str:
        """Send a case's alert, or count the case into one already sent.

        Cases of one agent and behaviour within the throttle window share an
        alert. Once the team has had `storm_limit` alerts of this kind in the
        window, its further cases share one storm alert. Return a note for
        the case's history.
        """
        recipients = self.recipients(case.team, level)
        since = iso(
            self.clock() - datetime.timedelta(minutes=self.settings.throttle_minutes)
        )
        throttled = self.settings.throttle_minutes > 0
        if throttled and throttle_key and self.store.throttled(throttle_key, since):
            return self._create_or_fold(
                alert, throttle_key, since, case, recipients, level
            )
        if throttled and self.store.count_since(
            alert.kind, case.team, since, level
        ) >= (self.settings.storm_limit):
            storm = self._storm_alert(case, alert.kind, level)
            storm_key = f"storm|{alert.kind}|{case.team or '-'}|{level}"
            return self._create_or_fold(
                storm, storm_key, since, case, recipients, level
            )
        key = throttle_key if throttled and throttle_key else f"single|{alert.key}"
        return self._create_or_fold(alert, key, since, case, recipients, level)

    def _create_or_fold(
        self,
        alert: Alert,
        throttle_key: str,
        since: str,
        case: Case,
        recipients: Sequence[Recipient],
        level: int,
    ) -> str:
        line = f"+ case {case.id}: {_case_summary(case)}"

        def fold(earlier: Alert, count: int, alert_id: int) -> Alert:
            folded = replace(
                earlier,
                count=count,
                lines=[*earlier.lines, line][-MAX_FOLDED_LINES:],
                # The buttons now act on every case of the alert.
                case_id=f"{ALERT_REF}{alert_id}",
            )
            folded.title = _counted_title(folded)
            return folded

        result = self.store.create_or_fold(
            alert,
            throttle_key,
            since,
            fold,
            case.agent_id,
            main_behaviour(case),
            level=level,
        )
        if result is None:
            return "counted in already"
        alert_id, body, created = result
        if created:
            self._send(alert_id, body, recipients)
            names = ", ".join(r.name for r in recipients) or "the outbox"
            return f"alert {alert_id} to {names}"
        log.info("case %s counted into alert %s", case.id, alert_id)
        self._update_messages(alert_id, body)
        return f"counted into alert {alert_id}"

    def _storm_alert(self, case: Case, kind: str, level: int) -> Alert:
        subject = "escalations" if kind == ESCALATION else "high-risk alerts"
        alert = Alert(
            key=f"storm:{kind}:{case.team or '-'}:{iso(self.clock())}",
            kind=STORM,
            title="",
            lines=[
                f"More than {self.settings.storm_limit} {subject} for team "
                f"{case.team or 'not set'} within {self.settings.throttle_minutes:g} "
                "minutes; further cases are counted here instead of sent one by one.",
                f"+ case {case.id}: {_case_summary(case)}",
            ],
            severity="high",
            team=case.team,
            case_id=case.id,
            link=self._link("api/cases?status=open"),
            actions=True,
            status=case.status,
            sms_text="Redline告警风暴: 高风险案件激增, 请查看案件列表",
        )
        alert.title = _counted_title(
            replace(alert, title=f"Storm of {subject}, level {level}")
        )
        return alert

    def case_alert(self, case: Case, level: int) -> Alert:
        """Build the masked alert of a case."""
        behaviour = main_behaviour(case)
        agent = self._agent_label(case.agent_id)
        findings = [f for f in case.findings if f.behaviour]
        findings.sort(key=lambda f: -severity_rank(f.severity))
        lines = [finding_line(f) for f in findings[:MAX_FINDING_LINES]]
        if len(findings) > MAX_FINDING_LINES:
            lines.append(f"… and {len(findings) - MAX_FINDING_LINES} more findings")
        lines.append(
            f"Agent: {agent}; team: {case.team or 'not set'}; "
            f"{case.platform} {case.channel} {_source_label(case.source)}".rstrip()
        )
        if case.sla_deadline:
            lines.append(f"Handle by {self._local(case.sla_deadline)}")
        return Alert(
            key=f"case:{case.id}:{level}:{case.sla_deadline}",
            kind=CASE_ALERT,
            title=f"{case.severity.capitalize()} risk: {behaviour} by {agent}",
            lines=lines,
            severity=case.severity,
            team=case.team,
            case_id=case.id,
            deadline=self._local(case.sla_deadline) if case.sla_deadline else None,
            link=self._link(f"api/cases/{case.id}"),
            actions=True,
            status=case.status,
            status_line=_status_line(case),
            sms_text=(
                f"Redline高风险: {BEHAVIOUR_SHORT_ZH.get(behaviour, behaviour)} "
                f"案件{case.id} 请{self._local_hm(case.sla_deadline)}前处理"
            ),
        )

    def cases_of(self, reference: str) -> list[str]:
        """Return the case ids a button value names: one case, or an alert's."""
        if reference.startswith(ALERT_REF):
            number = reference.removeprefix(ALERT_REF)
            if not number.isdigit() or len(number) > 18:
                return []
            stored = self.store.get(int(number))
            return stored.case_ids if stored else []
        return [reference]

    def refresh_case(self, case_id: str) -> int:
        """Update the sent messages of a case after its status changed."""
        if self.ledger.get_case(case_id) is None:
            return 0
        updated = 0
        for stored in self.store.for_case(case_id):
            body = self.store.update_body(stored.id, self._with_statuses)
            if body is not None:
                updated += self._update_messages(stored.id, body)
        return updated

    def _with_statuses(self, alert: Alert, case_ids: list[str]) -> Alert:
        """Return `alert` showing the current status of its cases."""
        cases = [c for c in map(self.ledger.get_case, case_ids) if c is not None]
        if not cases:
            return alert
        if len(cases) == 1:
            status, line = cases[0].status, _status_line(cases[0])
        else:
            counts = Counter(c.status for c in cases)
            status = counts.most_common(1)[0][0] if len(counts) == 1 else "open"
            line = ", ".join(
                f"{count} {name.replace('_', ' ')}"
                for name, count in sorted(counts.items())
            )
            line = f"{len(cases)} cases: {line}"
        return replace(
            alert,
            status=status,
            status_line=line,
            actions=alert.actions and status not in CLOSED_STATUSES,
        )

    # -- sending ----------------------------------------------------------

    def _channels(self, alert: Alert) -> list[AlertChannel]:
        """Return the channels for an alert: SMS only for urgent ones."""
        urgent = alert.kind in URGENT_KINDS
        return [c for c in self.channels if urgent or c.name != "sms"]

    def _send(
        self, alert_id: int, alert: Alert, recipients: Sequence[Recipient]
    ) -> list[Delivery]:
        """Send through the alert's channels, or to the outbox if none reaches."""
        deliveries: list[Delivery] = []
        if recipients:
            for channel in self._channels(alert):
                deliveries += self._try_send(channel, alert, recipients)
        if not deliveries:
            deliveries = self._try_send(self.fallback, alert, recipients)
        self.store.record_deliveries(alert_id, deliveries)
        failed = [d for d in deliveries if not d.ok]
        log.info(
            "alert %s (%s, team %s): %d sent, %d failed",
            alert_id,
            alert.kind,
            alert.team or "-",
            len(deliveries) - len(failed),
            len(failed),
        )
        return deliveries

    @staticmethod
    def _try_send(
        channel: AlertChannel, alert: Alert, recipients: Sequence[Recipient]
    ) -> list[Delivery]:
        try:
            return channel.send(alert, recipients)
        except Exception as error:  # noqa: BLE001 - one channel must not stop the rest
            log.warning("%s channel failed: %s", channel.name, type(error).__name__)
            return [Delivery(channel.name, "*", error=type(error).__name__)]

    def _update_messages(self, alert_id: int, alert: Alert) -> int:
        channels = {c.name: c for c in [*self.channels, self.fallback]}
        updates = []
        for delivery in self.store.deliveries(alert_id):
            channel = channels.get(delivery.channel)
            if channel is None or not delivery.ref or delivery.error:
                continue
            try:
                result = channel.update(delivery.ref, alert)
            except Exception as error:  # noqa: BLE001 - the old message stays
                log.warning("%s update failed: %s", channel.name, type(error).__name__)
                continue
            if result is not None and result.ok:
                updates.append(result)
        return len(updates)

    def retry(self, older_than: datetime.datetime) -> int:
        """Resend alerts left pending and deliveries that failed."""
        retried = 0
        for stored in self.store.unfinished(iso(older_than)):
            done = {
                (d.channel, d.target)
                for d in self.store.deliveries(stored.id)
                if not d.error
            }
            recipients = self.recipients(stored.alert.team, stored.level)
            deliveries: list[Delivery] = []
            for channel in self._channels(stored.alert) if recipients else []:
                pending = [
                    r
                    for r in recipients
                    if _address(channel.name, r)
                    and (channel.name, _address(channel.name, r)) not in done
                ]
                if pending:
                    deliveries += self._try_send(channel, stored.alert, pending)
            if not deliveries and not done:
                deliveries = self._try_send(self.fallback, stored.alert, recipients)
            self.store.record_deliveries(stored.id, deliveries)
            retried += 1
        return retried

    def copy_undelivered(self) -> int:
        """Copy to the outbox each alert that no channel could deliver for good."""
        copied = 0
        for stored in self.store.exhausted():
            deliveries = self._try_send(self.fallback, stored.alert, [])
            self.store.record_deliveries(stored.id, deliveries)
            log.error(
                "alert %s (%s, team %s) failed on every channel %d times; copied "
                "to the outbox: check the channel settings",
                stored.id,
                stored.alert.kind,
                stored.alert.team or "-",
                MAX_DELIVERY_ATTEMPTS,
            )
            copied += 1
        return copied

    # -- digests ------------------------------------------------------------

    def scheduled_digests(self) -> list[Alert]:
        """Send the daily digest and weekly summary whose local time has come."""
        if self.kv is None:
            return []
        sent: list[Alert] = []
        zone = self.settings.zone
        now = self.clock()
        local = now.astimezone(zone)
        daily_at = datetime.datetime.combine(
            local.date(), self.settings.daily_digest_at, zone
        )
        if (
            local >= daily_at
            and self.kv.get("digest.daily") != local.date().isoformat()
        ):
            until = daily_at.astimezone(datetime.UTC)
            sent += self.daily_digest(until, self._last_until("digest.daily.until"))
            self.kv.set("digest.daily", local.date().isoformat())
            self.kv.set("digest.daily.until", iso(until))

        days_back = (local.weekday() - self.settings.weekly_day) % 7
        weekly_date = local.date() - datetime.timedelta(days=days_back)
        weekly_at = datetime.datetime.combine(
            weekly_date, self.settings.weekly_summary_at, zone
        )
        if local < weekly_at:
            weekly_date -= datetime.timedelta(days=7)
            weekly_at -= datetime.timedelta(days=7)
        if self.kv.get("summary.weekly") != weekly_date.isoformat():
            until = weekly_at.astimezone(datetime.UTC)
            sent += self.weekly_summary(until, self._last_until("summary.weekly.until"))
            self.kv.set("summary.weekly", weekly_date.isoformat())
            self.kv.set("summary.weekly.until", iso(until))
        return sent

    def _last_until(self, name: str) -> datetime.datetime | None:
        """Return where the last scheduled digest of a kind ended, if known."""
        stamp = self.kv.get(name) if self.kv is not None else None
        try:
            return _parse_iso(stamp) if isinstance(stamp, str) else None
        except ValueError:
            return None

    def _window(
        self,
        until: datetime.datetime,
        days: int,
        since: datetime.datetime | None,
    ) -> datetime.datetime:
        """Return the start of a digest period that ends at `until`.

        It is the same local time `days` days earlier, so a change to or
        from summer time neither drops nor repeats an hour. When an earlier
        digest ended before that (the gateway was down), the period starts
        there instead, up to `MAX_CATCH_UP_DAYS` back, so no case is missed.
        """
        local = until.astimezone(self.settings.zone)
        start = (local - datetime.timedelta(days=days)).astimezone(datetime.UTC)
        if since is not None and since < start:
            floor = until - datetime.timedelta(days=MAX_CATCH_UP_DAYS)
            start = max(since, floor)
        return start

    def daily_digest(
        self,
        until: datetime.datetime | None = None,
        since: datetime.datetime | None = None,
    ) -> list[Alert]:
        """Send each team the medium cases of the day before `until`.

        The day starts at the same local time a day earlier, or at `since`
        when that is earlier (see `_window`).

        The digest also lists the media of those 24 hours that could not be
        inspected, from cases of any severity, for a person to check by hand.
        """
        until = until or self.clock()
        since = self._window(until, 1, since)
        unchecked_by_team: dict[str | None, list[tuple[Case, dict[str, Any]]]] = (
            defaultdict(list)
        )
        for case in self.ledger.cases_not_inspected(iso(since), iso(until)):
            for item in case.source.get("not_inspected") or []:
                if iso(since) <= str(item.get("listed_at", "")) < iso(until):
                    unchecked_by_team[case.team].append((case, item))
        cases = [
            c
            for c in self.ledger.cases_created(
                iso(since), iso(until), severity="medium"
            )
            if c.status != "false_positive"
        ]
        overdue = [
            c
            for c in self.ledger.open_overdue(iso(until))
            if c.severity in ("medium", "high")
        ]
        by_team: dict[str | None, list[Case]] = defaultdict(list)
        for case in cases:
            by_team[case.team].append(case)
        late_by_team: dict[str | None, list[Case]] = defaultdict(list)
        for case in overdue:
            late_by_team[case.team].append(case)
        day = until.astimezone(self.settings.zone).date().isoformat()
        alerts = []
        teams = set(by_team) | set(late_by_team) | set(unchecked_by_team)
        for team in sorted(teams, key=lambda t: t or ""):
            new, late = by_team.get(team, []), late_by_team.get(team, [])
            unchecked = unchecked_by_team.get(team, [])
            lines = [f"{len(new)} new medium-risk cases; {len(late)} overdue."]
            if unchecked:
                lines[0] += f" {len(unchecked)} media not inspected."
            lines += [self._digest_line(c) for c in new[:MAX_DIGEST_CASES]]
            if len(new) > MAX_DIGEST_CASES:
                lines.append(f"… and {len(new) - MAX_DIGEST_CASES} more")
            if late:
                lines.append("Overdue:")
                lines += [self._digest_line(c) for c in late[:MAX_DIGEST_CASES]]
            if unchecked:
                lines.append("Not inspected, check by hand:")
                lines += [
                    _unchecked_line(case, item)
                    for case, item in unchecked[:MAX_DIGEST_CASES]
                ]
            if len(unchecked) > MAX_DIGEST_CASES:
                lines.append(f"… and {len(unchecked) - MAX_DIGEST_CASES} more")
            alert = Alert(
                key=f"daily:{team or '-'}:{day}",
                kind=DAILY_DIGEST,
                title=f"Daily digest {day}, team {team or 'not set'}",
                lines=lines,
                severity="medium",
                team=team,
                link=self._link("api/cases?status=open"),
                sms_text=f"Redline日报 {day}: 新增中风险{len(new)}件, 超时{len(late)}件",
            )
            alert.html = _digest_html(alert, new, late, self, unchecked)
            alerts.append(alert)
        return self._send_digests(alerts)

    def weekly_summary(
        self,
        until: datetime.datetime | None = None,
        since: datetime.datetime | None = None,
    ) -> list[Alert]:
        """Send each team the week's counts per behaviour and its training focus."""
        until = until or self.clock()
        since = self._window(until, 7, since)
        cases = self.ledger.cases_created(iso(since), iso(until))
        by_team: dict[str | None, list[Case]] = defaultdict(list)
        for case in cases:
            by_team[case.team].append(case)
        day = until.astimezone(self.settings.zone).date().isoformat()
        report = self.training_report()
        alerts = []
        for team in sorted(by_team, key=lambda t: t or ""):
            team_cases = by_team[team]
            severities = Counter(c.severity for c in team_cases)
            low = Counter(
                b for c in team_cases if c.severity == "low" for b in c.behaviours
            )
            every = Counter(b for c in team_cases for b in c.behaviours)
            focus = (low or every).most_common(1)[0][0] if (low or every) else None
            lines = [
                f"{len(team_cases)} cases: {severities['high']} high, "
                f"{severities['medium']} medium, {severities['low']} low; "
                f"{sum(1 for c in team_cases if c.status == 'false_positive')} "
                "closed as not a leak."
            ]
            unchecked = sum(
                1
                for c in team_cases
                if not c.behaviours and c.source.get("not_inspected")
            )
            if unchecked:
                lines.append(
                    f"{unchecked} of the low cases only list media not inspected."
                )
            lines += [
                f"{behaviour}: {count} low-risk"
                for behaviour, count in sorted(
                    low.items(), key=lambda kv: (-kv[1], kv[0])
                )
            ]
            if focus:
                module = self.settings.training.modules.get(focus)
                lines.append(
                    f"Training focus: {focus}"
                    + (f" ({module.title}, {module.url})" if module else "")
                )
            stats = report.get(team or "-")
            if stats:
                lines.append(
                    f"Training: {stats['completed']} of {stats['assigned']} "
                    f"assignments complete; repeat rate {stats['repeat_rate']:.0%}."
                )
            alert = Alert(
                key=f"weekly:{team or '-'}:{day}",
                kind=WEEKLY_SUMMARY,
                title=f"Weekly summary to {day}, team {team or 'not set'}",
                lines=lines,
                severity="low",
                team=team,
                link=self._link("api/reports/training"),
                sms_text=f"Redline周报 {day}: 案件{len(team_cases)}件",
            )
            alert.html = _summary_html(alert)
            alerts.append(alert)
        return self._send_digests(alerts)

    def _send_digests(self, alerts: list[Alert]) -> list[Alert]:
        sent = []
        for alert in alerts:
            alert_id = self.store.create(alert)
            if alert_id is None:
                continue  # this team's digest for the period went out already
            recipients = self.recipients(alert.team, 0)
            deliveries: list[Delivery] = []
            if recipients:
                for channel in self._channels(alert):
                    deliveries += self._try_send(channel, alert, recipients)
            emails = [r.email for r in recipients if r.email]
            if emails and alert.html and self.outbox is not None:
                # Email-ready: the outbox keeps the message for a mail relay.
                entry = self.outbox.add(
                    "email",
                    ", ".join(emails),
                    "send",
                    {"to": emails, "subject": alert.title, "html": alert.html},
                )
                deliveries += [Delivery("email", e, ref=str(entry)) for e in emails]
            if not deliveries:
                deliveries = self._try_send(self.fallback, alert, recipients)
            self.store.record_deliveries(alert_id, deliveries)
            self._write_html(alert)
            sent.append(alert)
        return sent

    def _write_html(self, alert: Alert) -> None:
        """Keep a digest's page in the digest folder, mode 0600.

        The file name is the kind, the date and a hash of the team, so any
        team name makes a short, distinct, safe name.
        """
        if self.digest_dir is None or not alert.html:
            return
        kind, team, day = alert.key.split(":", 2)[0], alert.team or "-", alert.key[-10:]
        digest = hashlib.sha256(team.encode()).hexdigest()[:12]
        path = self.digest_dir / f"{kind}-{day}-{digest}.html"
        try:
            self.digest_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(alert.html)
        except OSError as error:
            log.warning("digest page %s not written: %s", path.name, error.strerror)

    def _digest_line(self, case: Case) -> str:
        return f"{case.id} {_case_summary(case)}; {self._agent_label(case.agent_id)}"

    # -- training -----------------------------------------------------------

    def check_training(self) -> int:
        """Assign training to agents whose recent cases cross the thresholds."""
        training = self.settings.training
        if not training.modules:
            return 0
        now = self.clock()
        checked = self.kv.get("training.checked_until") if self.kv else None
        since = checked or iso(now - datetime.timedelta(days=training.window_days))
        recent = self.ledger.cases_created(
            since, iso(now + datetime.timedelta(seconds=1))
        )
        agents = {(c.agent_id, c.team) for c in recent if c.agent_id}
        assigned = 0
        for agent_id, team in sorted(agents, key=lambda a: (a[0] or "", a[1] or "")):
            assert agent_id is not None
            assigned += self._train(agent_id, team, now)
        if self.kv is not None:
            self.kv.set("training.checked_until", iso(now))
        return assigned

    def _train(self, agent_id: str, team: str | None, now: datetime.datetime) -> int:
        """Assign each module whose behaviour the agent repeats; return how many."""
        training = self.settings.training
        window_start = now - datetime.timedelta(days=training.window_days)
        cases = [
            c
            for c in self.ledger.cases_created(
                iso(window_start),
                iso(now + datetime.timedelta(seconds=1)),
                agent_id=agent_id,
            )
            if c.status != "false_positive"
        ]
        completed = {
            a.behaviour: a.completed_at
            for a in self.store.assignments(agent_id)
            if a.completed_at
        }
        counts: Counter[str] = Counter()
        for severity in ("high", "medium"):
            for behaviour in training.modules:
                relevant = [
                    c
                    for c in cases
                    if c.severity == severity
                    and behaviour in c.behaviours
                    and c.created_at > (completed.get(behaviour) or "")
                ]
                limit = training.high if severity == "high" else training.medium
                if len(relevant) >= limit:
                    counts[behaviour] = max(counts[behaviour], len(relevant))
        assigned = 0
        for behaviour, count in counts.most_common():
            module = training.modules[behaviour]
            reason = f"{count} cases of {behaviour} within {training.window_days} days"
            assignment = self.store.assign(
                agent_id, team, behaviour, module.title, module.url, reason
            )
            if assignment is not None:
                self._notify_training(assignment)
                assigned += 1
        return assigned

    def _notify_training(self, assignment: Assignment) -> None:
        agent = self._agent_label(assignment.agent_id)
        alert = Alert(
            key=f"training:{assignment.id}",
            kind=TRAINING,
            title=f"Training assigned to {agent}: {assignment.title}",
            lines=[
                f"Why: {assignment.reason}.",
                f"Module: {assignment.title} {assignment.url}",
                f"Mark it complete with POST /api/training/{assignment.id}/complete.",
            ],
            team=assignment.team,
            link=assignment.url,
            sms_text=f"Redline培训: {agent} 需完成 {assignment.title}",
        )
        recipients = list(self.recipients(assignment.team, 0))
        if assignment.agent_id in self.wecom_agents:
            recipients.append(Recipient(name=agent, wecom=assignment.agent_id))
        alert_id = self.store.create(
            alert, None, assignment.agent_id, assignment.behaviour
        )
        if alert_id is not None:
            self._send(alert_id, alert, recipients)

    def training_report(self) -> dict[str, dict[str, Any]]:
        """Per team: assignments, completions, completion and repeat rates.

        An agent repeats when a case of the trained behaviour was created
        after they completed the module.
        """
        report: dict[str, dict[str, Any]] = {}
        now = iso(self.clock() + datetime.timedelta(seconds=1))
        for assignment in self.store.assignments():
            team = assignment.team or "-"
            stats = report.setdefault(
                team,
                {"assigned": 0, "completed": 0, "repeated": 0, "agents": set()},
            )
            stats["assigned"] += 1
            stats["agents"].add(assignment.agent_id)
            if assignment.completed_at:
                stats["completed"] += 1
                later = self.ledger.cases_created(
                    assignment.completed_at, now, agent_id=assignment.agent_id
                )
                if any(
                    assignment.behaviour in c.behaviours
                    and c.created_at > assignment.completed_at
                    for c in later
                ):
                    stats["repeated"] += 1
        for stats in report.values():
            stats["agents"] = len(stats["agents"])
            stats["completion_rate"] = (
                stats["completed"] / stats["assigned"] if stats["assigned"] else 0.0
            )
            stats["repeat_rate"] = (
                stats["repeated"] / stats["completed"] if stats["completed"] else 0.0
            )
        return report

    # -- formatting -----------------------------------------------------------

    def _agent_label(self, agent_id: str | None) -> str:
        if not agent_id:
            return "an unknown agent"
        name = self.agent_names.get(agent_id)
        return f"{name} ({agent_id})" if name else f"agent {agent_id}"

    def _link(self, path: str) -> str | None:
        return f"{self.link_base}/{path}" if self.link_base else None

    def _local(self, stamp: str | None) -> str:
        if not stamp:
            return "no deadline"
        moment = _parse_iso(stamp).astimezone(self.settings.zone)
        return moment.strftime("%Y-%m-%d %H:%M ") + self.settings.timezone

    def _local_hm(self, stamp: str | None) -> str:
        """Return a deadline as local hours and minutes with the UTC offset."""
        if not stamp:
            return "尽快"
        moment = _parse_iso(stamp).astimezone(self.settings.zone)
        offset = moment.utcoffset() or datetime.timedelta()
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        hours, rest = divmod(abs(minutes), 60)
        zone = f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
        return f"{moment:%H:%M} {zone}"


def _address(channel: str, recipient: Recipient) -> str:
    """Return the target a channel records in its `Delivery` for a recipient."""
    return {
        "slack": recipient.slack,
        "wecom": recipient.wecom,
        # The SMS channel records masked numbers only.
        "sms": mask_number(recipient.phone) if recipient.phone else "",
        "email": recipient.email,
    }.get(channel, recipient.name)


def _counted_title(alert: Alert) -> str:
    base = re.sub(r" \(\d+ cases\)$", "", alert.title) or "High-risk alert storm"
    return f"{base} ({alert.count} cases)" if alert.count > 1 else base


def _case_summary(case: Case) -> str:
    masked = ", ".join(
        dict.fromkeys(f"{f.type} {f.masked}" for f in case.findings if f.behaviour)
    )
    return f"{case.severity} {', '.join(case.behaviours)}: {masked or 'no values'}"


def _unchecked_line(case: Case, item: Mapping[str, Any]) -> str:
    """Describe one medium not inspected: case, kind, message, sender, reason."""
    return (
        f"{case.id} {case.platform} {item.get('kind') or 'media'} "
        f"message {str(item.get('msg_id') or item.get('segment') or '-')[:64]} "
        f"from {str(item.get('sender') or '-')[:64]}: {item.get('reason', '')}"
    )


def _source_label(source: Mapping[str, Any]) -> str:
    for key in ("ticket_id", "conversation_id", "call_sid", "contact_id", "id"):
        if source.get(key):
            return f"{key.replace('_', ' ')} {str(source[key])[:64]}"
    return ""


def _status_line(case: Case) -> str:
    """Return who last moved the case and when, or "" if no person has."""
    for event in reversed(case.history):
        if event.to_status and event.actor != "redline":
            line = f"{event.to_status.replace('_', ' ').capitalize()} by {event.actor} at {event.at}"
            return line + (f": {event.note}" if event.note else "")
    return ""


def _digest_html(
    alert: Alert,
    new: list[Case],
    late: list[Case],
    disposal: Disposal,
    unchecked: Sequence[tuple[Case, Mapping[str, Any]]] = (),
) -> str:
    rows = []
    for label, cases in (("New", new), ("Overdue", late)):
        for case in cases[:MAX_DIGEST_CASES]:
            cells = [
                label,
                case.id,
                case.created_at,
                disposal._agent_label(case.agent_id),
                ", ".join(case.behaviours),
                "; ".join(
                    dict.fromkeys(
                        f"{f.type} {f.masked}" for f in case.findings if f.behaviour
                    )
                ),
                case.status,
                case.sla_deadline or "",
            ]
            rows.append(
                "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
            )
    for case, item in unchecked[:MAX_DIGEST_CASES]:
        cells = [
            "Not inspected",
            case.id,
            str(item.get("listed_at", "")),
            disposal._agent_label(case.agent_id),
            "",
            _unchecked_line(case, item).removeprefix(f"{case.id} "),
            case.status,
            case.sla_deadline or "",
        ]
        rows.append(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "",
            "case",
            "created",
            "agent",
            "behaviours",
            "values",
            "status",
            "due",
        )
    )
    return _page(
        alert,
        f'<table border="1" cellpadding="4" cellspacing="0"><tr>{head}</tr>'
        + "".join(rows)
        + "</table>",
    )


def _summary_html(alert: Alert) -> str:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in alert.lines)
    return _page(alert, f"<ul>{items}</ul>")


def _page(alert: Alert, body: str) -> str:
    link = (
        f'<p><a href="{html.escape(alert.link, quote=True)}">Open in Redline</a></p>'
        if alert.link
        else ""
    )
    first = html.escape(alert.lines[0]) if alert.lines else ""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(alert.title)}</title></head>"
        f'<body style="font-family: sans-serif"><h2>{html.escape(alert.title)}</h2>'
        f"<p>{first}</p>{body}{link}</body></html>"
    )
