"""Wiring: settings in, the stores, detector, handlers and worker out.

This is the one place that knows every package; `create_app` and the CLI
build a `Runtime` and use its parts.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from adapters.zendesk.api import TicketWriter, ZendeskApi
from detectors.engine import Detector
from gateway.pipeline import ZENDESK_TICKET, OutboxTicketWriter, ZendeskTicketHandler
from gateway.worker import Worker
from infra.config import Settings
from infra.errors import ConfigError
from infra.keys import load_or_create_secret
from infra.sqlite import Database, SqliteLedger, SqliteOutbox, SqliteQueue
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
        ledger = SqliteLedger(database, clock=clock)
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
            )
            writer = api
        else:
            writer = OutboxTicketWriter(outbox, account)
            log.info("no Zendesk credentials configured; write-backs go to the outbox")
        handlers = {
            ZENDESK_TICKET: ZendeskTicketHandler(
                detector, ledger, writer, account, api
            ),
        }
        worker = Worker(queue, handlers, max_attempts=settings.max_attempts)
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
        )
