"""Zendesk attachments through the document pipeline, against the local fake API."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from adapters.zendesk.api import AttachmentUnavailable, ZendeskApi
from gateway.pipeline import OutboxTicketWriter, ZendeskTicketHandler
from gateway.runtime import Runtime
from infra.config import Settings, ZendeskSettings
from infra.ports import Job
from tests.conftest import WEBHOOK_SECRET, FrozenClock
from tests.detectors.documents import render
from tests.detectors.documents.conftest import needs_font, needs_tesseract
from tests.fakes.zendesk_server import FakeZendesk

EMAIL = "bot@example.com"
TOKEN = "api-token-1"
CUSTOMER = 5001
AGENT = 6001


def dark_share(image: Image.Image, box: tuple[float, float, float, float]) -> float:
    region = image.convert("L").crop(tuple(int(v) for v in box))
    pixels = list(region.get_flattened_data())
    return sum(1 for v in pixels if v < 20) / max(1, len(pixels))


def id_card_png() -> bytes:
    return render.encode(render.id_card_front().image)


def make_runtime(
    settings: Settings,
    clock: FrozenClock,
    fake: FakeZendesk,
    monkeypatch: pytest.MonkeyPatch,
    max_attachment_bytes: int = 20 * 1024 * 1024,
) -> Runtime:
    for name, value in fake.zenpy_env().items():
        monkeypatch.setenv(name, value)
    fake.require_auth(EMAIL, TOKEN)
    configured = dataclasses.replace(
        settings,
        max_attachment_bytes=max_attachment_bytes,
        zendesk=ZendeskSettings(
            subdomain="acme",
            email=EMAIL,
            api_token=TOKEN,
            webhook_secrets=(WEBHOOK_SECRET,),
            attachment_hosts=(fake.netloc,),
        ),
    )
    return Runtime.build(configured, clock=clock)


@pytest.fixture
def runtime(
    settings: Settings,
    clock: FrozenClock,
    fake_zendesk: FakeZendesk,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Runtime]:
    built = make_runtime(settings, clock, fake_zendesk, monkeypatch)
    yield built
    built.database.close()


def seed(fake: FakeZendesk, ticket_id: int, author: int, **attachment: Any) -> None:
    fake.add_user(CUSTOMER, "Test Customer", "end-user")
    fake.add_user(AGENT, "Test Agent", "agent")
    fake.add_ticket(ticket_id, requester_id=CUSTOMER, assignee_id=AGENT)
    spec = {"file_name": "photo.png", "content_type": "image/png", **attachment}
    fake.add_comment(ticket_id, "请看附件", author_id=author, attachments=[spec])


def run_job(runtime: Runtime, ticket_id: int) -> Any:
    handler = runtime.worker.handlers["zendesk.ticket"]
    return handler(job_for(ticket_id))


def job_for(ticket_id: int) -> Job:
    return Job(
        id="job-1",
        kind="zendesk.ticket",
        payload={
            "ticket_id": str(ticket_id),
            "event": "trigger",
            "dedupe_key": f"inv-{ticket_id}",
        },
        attempts=1,
    )


def notes(fake: FakeZendesk, ticket_id: int) -> list[dict[str, Any]]:
    return [c for c in fake.comments(ticket_id) if not c["public"]]


@needs_tesseract
@needs_font
def test_customer_id_card_gives_case_note_and_redacted_upload(
    runtime: Runtime, fake_zendesk: FakeZendesk
) -> None:
    seed(fake_zendesk, 901, CUSTOMER, content=id_card_png(), file_name="id.png")
    outcome = run_job(runtime, 901)
    assert outcome.verdict == "reported medium"

    (case,) = runtime.ledger.list_cases()
    assert "document_exposure" in case.behaviours
    assert case.severity == "medium"
    assert any(f.segment.startswith("a") and ":p1l" in f.segment for f in case.findings)

    (note,) = notes(fake_zendesk, 901)
    assert "attachment id.png (customer)" in note["body"]
    assert "redacted copy attached" in note["body"]
    assert render.ID_NUMBER not in note["body"]
    (attached,) = note["attachments"]
    uploaded = fake_zendesk.attachment_content(attached["id"])
    copy = Image.open(io.BytesIO(uploaded))
    assert copy.format in ("PNG", "JPEG")
    assert dark_share(copy, render.id_card_front().number_box) > 0.9
    assert dark_share(copy, render.PORTRAIT) > 0.9


@needs_tesseract
@needs_font
def test_agent_id_card_is_high(runtime: Runtime, fake_zendesk: FakeZendesk) -> None:
    seed(fake_zendesk, 902, AGENT, content=id_card_png())
    outcome = run_job(runtime, 902)
    assert outcome.verdict == "reported high"
    (case,) = runtime.ledger.list_cases()
    assert case.severity == "high"
    assert case.agent_id == str(AGENT)


def test_foreign_host_not_downloaded(
    runtime: Runtime, fake_zendesk: FakeZendesk
) -> None:
    foreign = "https://files.example.net/attachments/x/photo.png"
    seed(fake_zendesk, 903, CUSTOMER, content=b"\x89PNG", content_url=foreign)
    outcome = run_job(runtime, 903)
    assert outcome.verdict == "attachments not inspected"
    (note,) = notes(fake_zendesk, 903)
    assert "Attachment photo.png: not inspected: download rejected" in note["body"]
    assert "files.example.net" in note["body"]
    assert fake_zendesk.requests_to("/attachments/x/") == []


@needs_tesseract
@needs_font
def test_redirect_followed_without_authorization(
    runtime: Runtime, fake_zendesk: FakeZendesk
) -> None:
    fake_zendesk.secure_downloads = True
    seed(fake_zendesk, 904, CUSTOMER, content=id_card_png())
    run_job(runtime, 904)
    (first,) = fake_zendesk.requests_to("/attachments/", method="GET")[:1]
    assert first.status == 302
    assert first.headers["Authorization"].startswith("Basic ")
    (signed,) = fake_zendesk.requests_to("/signed/", method="GET")
    assert signed.status == 200
    assert "Authorization" not in signed.headers
    assert len(notes(fake_zendesk, 904)) == 1


def test_oversized_attachment_not_inspected(
    settings: Settings,
    clock: FrozenClock,
    fake_zendesk: FakeZendesk,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runtime = make_runtime(
        settings, clock, fake_zendesk, monkeypatch, max_attachment_bytes=1024
    )
    try:
        seed(fake_zendesk, 905, CUSTOMER, content=b"\x89PNG" + b"\x00" * 4096)
        outcome = run_job(runtime, 905)
    finally:
        runtime.database.close()
    assert outcome.verdict == "attachments not inspected"
    (note,) = notes(fake_zendesk, 905)
    assert "not inspected: file too large: 4100 bytes" in note["body"]
    assert fake_zendesk.requests_to("/attachments/", method="GET") == []
    # A retried job finds its note and posts no second one.
    run_job(make_runtime_again(settings, clock, fake_zendesk, monkeypatch), 905)
    assert len(notes(fake_zendesk, 905)) == 1


def make_runtime_again(
    settings: Settings,
    clock: FrozenClock,
    fake: FakeZendesk,
    monkeypatch: pytest.MonkeyPatch,
) -> Runtime:
    return make_runtime(settings, clock, fake, monkeypatch, max_attachment_bytes=1024)


def test_download_checks_size_while_streaming(fake_zendesk: FakeZendesk) -> None:
    fake_zendesk.add_user(CUSTOMER, "Test Customer", "end-user")
    fake_zendesk.add_ticket(906, requester_id=CUSTOMER)
    comment = fake_zendesk.add_comment(
        906,
        "x",
        author_id=CUSTOMER,
        attachments=[{"file_name": "a.png", "content": b"\x89PNG" + b"1" * 5000}],
    )
    (attachment,) = next(c for c in fake_zendesk.comments(906) if c["id"] == comment)[
        "attachments"
    ]
    api = ZendeskApi(
        "acme",
        email=EMAIL,
        api_token=TOKEN,
        attachment_hosts=(fake_zendesk.netloc,),
        max_attachment_bytes=1024,
    )
    with pytest.raises(AttachmentUnavailable, match="file too large"):
        api.download_attachment(attachment["content_url"])
    plain = ZendeskApi("acme", email=EMAIL, api_token=TOKEN)
    with pytest.raises(AttachmentUnavailable, match="not the account's Zendesk host"):
        plain.download_attachment(attachment["content_url"])


@needs_tesseract
@needs_font
def test_outbox_records_redacted_copy_without_bytes(
    runtime: Runtime, fake_zendesk: FakeZendesk
) -> None:
    seed(fake_zendesk, 907, CUSTOMER, content=id_card_png())
    handler = runtime.worker.handlers["zendesk.ticket"]
    assert isinstance(handler, ZendeskTicketHandler)
    handler.writer = OutboxTicketWriter(runtime.outbox, "acme")
    handler(job_for(907))
    (entry,) = [e for e in runtime.outbox.list() if e.action == "add_private_note"]
    (copy,) = entry.payload["redacted_copies"]
    assert copy["size"] > 0
    assert set(copy) == {"attachment_id", "file_name", "content_type", "size"}
    assert render.ID_NUMBER not in json.dumps(entry.payload, ensure_ascii=False)
