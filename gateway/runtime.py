"""Wiring: settings in, the stores, detector, handlers and worker out.

This is the one place that knows every package; `create_app` and the CLI
build a `Runtime` and use its parts.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from adapters.wecom.app import WeComApp
from adapters.zendesk.api import TicketWriter, ZendeskApi
from detectors.engine import Detector
from gateway.alert_channels import build_channels
from gateway.disposal import (
    ALERTS_REFRESH,
    AlertsRefreshHandler,
    Disposal,
    OutboxChannel,
)
from gateway.pipeline import (
    ZENDESK_TICKET,
    Handler,
    OutboxTicketWriter,
    ZendeskTicketHandler,
)
from gateway.scheduler import Scheduler
from gateway.worker import Worker
from infra.config import Settings
from infra.errors import ConfigError
from infra.keys import load_or_create_secret
from infra.sqlite import (
    Database,
    SqliteKeyValue,
    SqliteLedger,
    SqliteOutbox,
    SqliteQueue,
)
from infra.sqlite.alerts import SqliteAlertStore
from infra.sqlite.ledger import utc_now

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    database: Database
    queue: SqliteQueue
    ledger: SqliteLedger
    outbox: SqliteOutbox
    detector: Detector
    worker: Worker
    zendesk_secrets: tuple[str, ...]
    zendesk_account: str
    clock: Callable[[], datetime.datetime] = field(default=utc_now)
    wecom_apps: tuple[WeComApp, ...] = ()
    # Reason the WeCom routes return with 404 when `wecom_apps` is empty.
    wecom_setup_reason: str = ""
    # Cursors and markers, such as the record of each WeCom URL check.
    key_values: SqliteKeyValue | None = None
    disposal: Disposal | None = None
    scheduler: Scheduler | None = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        clock: Callable[[], datetime.datetime] = utc_now,
    ) -> Runtime:
        keys = settings.data_dir / "keys"
        fingerprint_key = settings.fingerprint_key or load_or_create_secret(
            keys / "fingerprint.key"
        )
        queue_key_path = keys / "queue.key"
        queue_key = load_or_create_secret(queue_key_path)
        # gateway.wecom and gateway.generic import gateway.http, which imports
        # this module.
        from gateway.generic import GENERIC_INTERACTIONS, GenericInteractionsHandler
        from gateway.telephony import telephony_handlers
        from gateway.wecom import (
            WECOM_KF_SYNC,
            WECOM_MESSAGE,
            WeComInspector,
            WeComKfSyncHandler,
            WeComMessageHandler,
            wecom_apps,
        )

        apps, wecom_setup_reason = wecom_apps(settings)
        zendesk_secrets = settings.zendesk.webhook_secrets or (
            load_or_create_secret(keys / "zendesk-webhook-secret", nbytes=24),
        )
        database = Database(settings.data_dir / "redline.db")
        try:
            queue = SqliteQueue(database, queue_key, clock=lambda: clock().timestamp())
        except ValueError:
            database.close()
            raise ConfigError(
                f"queue key file {queue_key_path} is not a valid Fernet key; "
                "restore the original file, or delete it to generate a new key, "
                "which discards the jobs still queued because only the old key "
                "can decrypt them"
            ) from None
        ledger = SqliteLedger(
            database, clock=clock, sla_hours=settings.disposal.sla_hours
        )
        outbox = SqliteOutbox(database, clock=clock)
        detector = Detector(fingerprint_key=fingerprint_key.encode())

        zendesk = settings.zendesk
        account = zendesk.subdomain or "local"
        api: ZendeskApi | None = None
        writer: TicketWriter
        if zendesk.has_credentials:
            api = ZendeskApi(
                zendesk.subdomain,
                email=zendesk.email,
                api_token=zendesk.api_token,
                oauth_token=zendesk.oauth_token,
                domain=zendesk.domain,
                attachment_hosts=zendesk.attachment_hosts,
                max_attachment_bytes=settings.max_attachment_bytes,
            )
            writer = api
        else:
            writer = OutboxTicketWriter(outbox, account)
            log.info("no Zendesk credentials configured; write-backs go to the outbox")
        inspector = WeComInspector(
            apps,
            detector,
            ledger,
            outbox,
            api_base=settings.wecom.api_base,
            agents=settings.wecom.agents,
            managers=settings.wecom.managers,
            clock=lambda: clock().timestamp(),
            max_media_bytes=settings.max_attachment_bytes,
        )
        key_values = SqliteKeyValue(database, clock)
        voice, voice_handlers = telephony_handlers(
            settings, detector, ledger, queue, clock
        )
        handlers: dict[str, Handler] = {
            ZENDESK_TICKET: ZendeskTicketHandler(
                detector, ledger, writer, account, api
            ),
            WECOM_MESSAGE: WeComMessageHandler(inspector),
            WECOM_KF_SYNC: WeComKfSyncHandler(inspector, key_values),
            GENERIC_INTERACTIONS: GenericInteractionsHandler(
                detector, ledger, settings.generic_sources, clock, voice
            ),
            **voice_handlers,
        }
        worker = Worker(queue, handlers, max_attempts=settings.max_attempts)
        voice.notify = worker.notify
        wecom_alert_api = next(
            (api for api in map(inspector.warning_api, apps) if api is not None), None
        )
        disposal = Disposal(
            ledger,
            SqliteAlertStore(database, clock),
            settings.disposal,
            build_channels(settings, wecom_alert_api),
            OutboxChannel(outbox),
            clock=clock,
            kv=key_values,
            link_base=settings.public_url,
            digest_dir=settings.data_dir / "digests",
            agent_names={
                user: name for user, (name, _team) in settings.wecom.agents.items()
            },
            wecom_agents=frozenset(settings.wecom.agents),
            outbox=outbox,
        )
        scheduler = Scheduler(disposal, settings.alerts.scheduler_seconds or 30)
        worker.handlers[ALERTS_REFRESH] = AlertsRefreshHandler(disposal)
        worker.on_done = scheduler.wake
        return cls(
            settings,
            database,
            queue,
            ledger,
            outbox,
            detector,
            worker,
            zendesk_secrets,
            account,
            clock,
            wecom_apps=apps,
            wecom_setup_reason=wecom_setup_reason,
            key_values=key_values,
            disposal=disposal,
            scheduler=scheduler,
        )
