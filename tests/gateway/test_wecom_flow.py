"""WeCom end to end: encrypted callbacks in, worker, ledger, warnings out.

Callbacks are encrypted with wechatpy's real crypto; warnings and kf syncs
go over HTTP to the local fake WeCom server. The network guard of the WeCom
adapter tests is imported, so nothing here can reach the real host.
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import os
import string
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image
from stdnum.cn import ric

from adapters.wecom.api import MAX_TEXT_BYTES
from adapters.wecom.app import WeComApp
from detectors.types import Finding
from gateway.app import create_app
from gateway.cli import main
from gateway.runtime import Runtime
from gateway.wecom import (
    INSTALLED_APP_FILE,
    MAX_WARNED_NOT_INSPECTED,
    WECOM_MESSAGE,
    kf_cursor_key,
    warning_text,
)
from infra.config import Settings, WeComAppSettings, WeComSettings
from infra.errors import ConfigError
from infra.ports import Job
from infra.sqlite import SqliteKeyValue
from tests.adapters.wecom.conftest import _block_outside_network  # noqa: F401
from tests.adapters.wecom.helpers import callback, event_xml, message_xml, url_check
from tests.conftest import FrozenClock
from tests.detectors.documents import render
from tests.detectors.documents.conftest import needs_font, needs_tesseract
from tests.fakes.wecom_server import (
    TEST_AGENT_ID,
    TEST_CORP_ID,
    TEST_SECRET,
    FakeWeCom,
    fake_wecom,  # noqa: F401 - pytest fixture
)

BASE17 = "44030519900101231"
ID = BASE17 + ric.calc_check_digit(BASE17 + "0")
MASKED_ID = ID[:4] + "*" * 10 + ID[-4:]
TOKEN = "RedlineFlowToken0001"
AES_KEY = "Zyxwvutsrqponmlkjihgfedcba9876543210ABCDEFG"
SENDER = "zhangsan"
MANAGER = "lisi"
OPEN_KFID = "wkRedlineKf01"
# A file name that names a person and contains an ID number. Neither may be stored.
FILE_BASE17 = "11010519850307123"
FILE_ID = FILE_BASE17 + ric.calc_check_digit(FILE_BASE17 + "0")
FILE_PERSON = "王小明"
FILE_NAME = f"{FILE_PERSON}身份证{FILE_ID}.png"

APP_SETTINGS = WeComAppSettings(
    name="support",
    corp_id=TEST_CORP_ID,
    token=TOKEN,
    encoding_aes_key=AES_KEY,
    secret=TEST_SECRET,
    agent_id=TEST_AGENT_ID,
)


def adapter_app(app: WeComAppSettings = APP_SETTINGS) -> WeComApp:
    return WeComApp(**asdict(app))


def stored_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())


def build_runtime(
    settings: Settings, clock: FrozenClock, fake: FakeWeCom, **changes: Any
) -> Runtime:
    """Build a runtime for the fake's app, with SENDER in team billing."""
    fake.add_members(SENDER, MANAGER)
    configured = replace(
        settings,
        wecom=WeComSettings(
            apps=(APP_SETTINGS,),
            api_base=fake.api_base_url,
            agents={SENDER: ("Zhang San", "billing")},
            managers=(MANAGER,),
        ),
        **changes,
    )
    return Runtime.build(configured, clock=clock)


@pytest.fixture
def wecom(
    settings: Settings,
    clock: FrozenClock,
    fake_wecom: FakeWeCom,  # noqa: F811
) -> Iterator[tuple[Runtime, FlaskClient, FakeWeCom]]:
    runtime = build_runtime(settings, clock, fake_wecom)
    yield runtime, create_app(runtime).test_client(), fake_wecom
    runtime.database.close()


def timestamp(clock: FrozenClock) -> str:
    return str(int(clock().timestamp()))


def post_callback(
    client: FlaskClient,
    clock: FrozenClock,
    plaintext: str,
    nonce: str = "5150",
    app: WeComApp | None = None,
    path: str = "/webhooks/wecom/support",
    **options: Any,
) -> Any:
    query, body = callback(
        app or adapter_app(), plaintext, timestamp(clock), nonce, **options
    )
    return client.post(f"{path}?{query.decode()}", data=body, content_type="text/xml")


def text_message(text: str, msg_id: str = "7001", sender: str = SENDER) -> str:
    return message_xml(
        "text",
        f"<Content><![CDATA[{text}]]></Content>",
        corp_id=TEST_CORP_ID,
        sender=sender,
        msg_id=msg_id,
        agent_id=str(TEST_AGENT_ID),
    )


# --- app messages --------------------------------------------------------


def test_text_message_warns_sender_and_managers(
    wecom: tuple[Runtime, FlaskClient, FakeWeCom],
    clock: FrozenClock,
    settings: Settings,
) -> None:
    runtime, client, fake = wecom
    response = post_callback(
        client, clock, text_message(f"客户的身份证号是{ID}，已经帮您登记")
    )
    assert response.status_code == 200
    assert response.data == b""

    assert runtime.worker.drain() == 1
    cases = client.get("/api/cases").get_json()["cases"]
    assert len(cases) == 1
    case = cases[0]
    assert case["platform"] == "wecom"
    assert case["agent_id"] == "Zhang San"
    assert case["team"] == "billing"
    assert "agent_full_disclosure" in case["behaviours"]
    assert case["severity"] == "high"
    assert {f["masked"] for f in case["findings"]} == {MASKED_ID}
    assert ID not in json.dumps(cases, ensure_ascii=False)

    assert len(fake.sent) == 1
    touser, text = fake.sent[0]
    assert touser == f"{SENDER}|{MANAGER}"
    assert MASKED_ID in text
    assert ID not in text
    assert "Recall the message" in text
    assert "请撤回该消息" in text
    assert ID.encode() not in stored_bytes(settings.data_dir)


def test_duplicate_msg_id_processed_once(
    wecom: tuple[Runtime, FlaskClient, FakeWeCom], clock: FrozenClock
) -> None:
    runtime, client, fake = wecom
    plaintext = text_message(f"身份证 {ID}", msg_id="7100")
    first = post_callback(client, clock, plaintext, nonce="1")
    # WeCom re-encrypts a retry, so the ciphertext differs; MsgId does not.
    second = post_callback(client, clock, plaintext, nonce="2")
    assert first.status_code == 200
    assert second.status_code == 200
    assert runtime.worker.drain() == 1
    assert len(fake.sent) == 1
    assert runtime.queue.counts().get("done") == 1


def test_warning_goes_to_outbox_without_agent_id(
    settings: Settings,
    clock: FrozenClock,
    fake_wecom: FakeWeCom,  # noqa: F811
) -> None:
    no_agent = replace(APP_SETTINGS, agent_id=None)
    configured = replace(
        settings,
        wecom=WeComSettings(apps=(no_agent,), api_base=fake_wecom.api_base_url),
    )
    runtime = Runtime.build(configured, clock=clock)
    client = create_app(runtime).test_client()
    response = post_callback(
        client, clock, text_message(f"卡号给您：{ID}"), app=adapter_app(no_agent)
    )
    assert response.status_code == 200
    runtime.worker.drain()
    entries = client.get("/api/outbox").get_json()["entries"]
    assert [e["action"] for e in entries] == ["send_warning"]
    assert entries[0]["platform"] == "wecom"
    assert entries[0]["payload"]["touser"] == [SENDER]
    assert MASKED_ID in entries[0]["payload"]["text"]
    assert ID not in json.dumps(entries, ensure_ascii=False)
    assert fake_wecom.sent == []
    runtime.database.close()


def image_message(media_id: str, msg_id: str, create_time: str = "1767225600") -> str:
    return message_xml(
        "image",
        "<PicUrl><![CDATA[http://127.0.0.1/p.png]]></PicUrl>"
        f"<MediaId><![CDATA[{media_id}]]></MediaId>",
        corp_id=TEST_CORP_ID,
        msg_id=msg_id,
        agent_id=str(TEST_AGENT_ID),
        create_time=create_time,
    )


def id_card_png() -> bytes:
    """A clear picture of the fake ID number under the ID card's labels."""
    lines = ["居民身份证", f"公民身份号码 {ID}"]
    return render.encode(render.text_image(lines, size=48))


def claim_one(runtime: Runtime) -> Job:
    job = runtime.queue.claim(60)
    assert job is not None
    return job


@needs_tesseract
@needs_font
def test_id_card_image_opens_document_case(
    wecom: tuple[Runtime, FlaskClient, FakeWeCom],
    clock: FrozenClock,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    runtime, client, fake = wecom
    fake.add_media("media-card", id_card_png(), "image/png", "card.png")
    response = post_callback(client, clock, image_message("media-card", "7300"))
    assert response.status_code == 200

    assert runtime.worker.drain() == 1
    assert len(fake.requests_to("media/get")) == 1
    cases = client.get("/api/cases").get_json()["cases"]
    assert len(cases) == 1
    case = cases[0]
    assert case["behaviours"] == ["document_exposure"]
    # An agent who forwards an ID card photo is high severity.
    assert case["severity"] == "high"
    assert case["agent_id"] == "Zhang San"
    assert "not_inspected" not in case["source"]
    resident_ids = [f for f in case["findings"] if f["type"] == "CN_RESIDENT_ID"]
    assert [f["masked"] for f in resident_ids] == [MASKED_ID]
    assert resident_ids[0]["segment"].startswith("7300/")
    assert ID not in json.dumps(cases, ensure_ascii=False)

    assert len(fake.sent) == 1
    touser, text = fake.sent[0]
    assert touser == f"{SENDER}|{MANAGER}"
    assert MASKED_ID in text
    assert "an image or file shows a resident ID number" in text
    assert ID not in text
    assert ID not in caplog.text
    assert ID.encode() not in stored_bytes(settings.data_dir)


@needs_tesseract
@needs_font
def test_failed_media_on_reported_case_warns(
    wecom: tuple[Runtime, FlaskClient, FakeWeCom], clock: FrozenClock
) -> None:
    runtime, client, fake = wecom
    fake.add_media("media-card", id_card_png(), "image/png", "card.png")
    post_callback(client, clock, image_message("media-card", "7400"))
    job = claim_one(runtime)
    handler = runtime.worker.handlers[WECOM_MESSAGE]
    first = handler(job)
    assert first.verdict == "warned high"
    assert len(fake.sent) == 1

    # The same job runs again, as after a lost lease, and the media is gone.
    fake.fail_next("media/get", 40007, "invalid media_id")
    again = handler(job)
    assert again.case_id == first.case_id
    assert again.verdict == "warned, 1 attachment(s) not inspected"
    assert first.case_id is not None
    case = client.get(f"/api/cases/{first.case_id}").get_json()
    [listed] = case["source"]["not_inspected"]
    assert listed["segment"] == "7400"
    assert listed["kind"] == "image"
    assert listed["media_id"] == "media-card"
    assert "errcode 40007" in listed["reason"]
    events = [e for e in case["history"] if e["action"] == "not_inspected"]
    assert len(events) == 1
    assert "errcode 40007" in events[0]["note"]

    assert len(fake.sent) == 2
    touser, text = fake.sent[1]
    assert touser == f"{SENDER}|{MANAGER}"
    assert "an image in this conversation could not be checked" in text
    assert "errcode 40007" in text
    assert f"(case {first.case_id})" in text

    # A third run lists nothing new, so it sends nothing new.
    fake.fail_next("media/get", 40007, "invalid media_id")
    third = handler(job)
    assert third.verdict == "already reported, 1 attachment(s) not inspected"
    assert len(fake.sent) == 2


def test_new_media_failure_on_retry_is_listed(
    wecom: tuple[Runtime, FlaskClient, FakeWeCom], clock: FrozenClock
) -> None:
    runtime, client, fake = wecom
    fake.add_kf_message(OPEN_KFID, kf_item("kf-20", 5, f"您的身份证号是{ID}", SENDER))
    fake.add_kf_message(
        OPEN_KFID,
        {
            "msgid": "kf-21",
            "external_userid": "wmCustomer01",
            "send_time": 1_772_443_860,
            "origin": 3,
            "msgtype": "image",
            "image": {"media_id": "media-kf"},
        },
    )
    fake.add_media("media-kf", b"not an image at all", "image/jpeg", "photo.jpg")
    fake.fail_next("message/send", -1, "system busy")
    event = event_xml(
        "kf_msg_or_event",
        f"<Token><![CDATA[tok2]]></Token><OpenKfId><![CDATA[{OPEN_KFID}]]></OpenKfId>",
        corp_id=TEST_CORP_ID,
        agent_id=str(TEST_AGENT_ID),
    )
    assert post_callback(client, clock, event).status_code == 200

    # The first run opens the case, then WeCom is busy and the job waits.
    assert runtime.worker.drain() == 1
    assert fake.sent == []
    [case] = client.get("/api/cases").get_json()["cases"]
    [first] = case["source"]["not_inspected"]
    assert first["segment"] == "kf-21"
    assert first["reason"].startswith("extraction failed")

    # The retry finds the case, and the media now fails in another way.
    fake.fail_next("media/get", 40007, "invalid media_id")
    clock.advance(seconds=61)
    assert runtime.worker.drain() == 1
    assert runtime.queue.counts().get("done") == 1
    case = client.get(f"/api/cases/{case['id']}").get_json()
    listed = case["source"]["not_inspected"]
    assert [item["reason"][:17] for item in listed] == [
        "extraction failed",
        "download failed: ",
    ]
    events = [e for e in case["history"] if e["action"] == "not_inspected"]
    assert len(events) == 2

    # One warning carries the finding and the image with its first reason,
    # because a media item is warned about once, however often it fails.
    [(touser, text)] = fake.sent
    assert touser == f"{SENDER}|{MANAGER}"
    assert MASKED_ID in text
    assert text.count("an image in this conversation could not be checked") == 1
    assert "extraction failed" in text
    assert "errcode 40007" not in text
    assert ID not in text
    assert all(item["warned_at"] for item in listed)


def test_not_inspected_needs_existing_case(
    wecom: tuple[Runtime, FlaskClient, FakeWeCom],
) -> None:
    runtime, _, _ = wecom
    item = {"segment": "1", "kind": "image", "media_id": "m", "reason": "r"}
    assert runtime.ledger.add_not_inspected("c_0000000000000000", [item]) == []


def test_warning_text_keeps_not_inspected_within_limit() -> None:
    finding = Finding(
        segment="7001",
        start=0,
        end=18,
        type="CN_RESIDENT_ID",
        form="full",
        behaviour="agent_full_disclosure",
        severity="high",
        rule="cn_resident_id",
        confidence=1.0,
        masked=MASKED_ID,
    )
    items = [
        {"segment": f"m{n}", "kind": "image", "media_id": "x", "reason": "r" * 500}
        for n in range(MAX_WARNED_NOT_INSPECTED + 1)
    ]
    text = warning_text([finding] * 30, "c_1", items)
    assert len(text.encode("utf-8")) <= MAX_TEXT_BYTES
    assert MASKED_ID in text
    assert text.count("could not be checked") == MAX_WARNED_NOT_INSPECTED
    assert "… 1 more attachment(s) not inspected" in text
    assert "more finding(s)" in text
    assert "r" * 101 not in text
    assert text.endswith("(case c_1)")


def corrupt_png() -> bytes:
    """A real PNG of noise, cut in half."""
    buffer = io.BytesIO()
    Image.effect_noise((48, 48), 64).convert("L").save(buffer, "PNG")
    data = buffer.getvalue()
    return data[: len(data) // 2]


def oversize_pdf() -> bytes:
    return b"%PDF-1.4\n" + b"0" * 8192


def kf_file_item(msg_id: str, media_id: str) -> dict[str, Any]:
    return {
        "msgid": msg_id,
        "external_userid": "wmCustomer01",
        "send_time": 1_772_443_860,
        "origin": 3,
        "msgtype": "file",
        "file": {"media_id": media_id},
    }


def kf_event(token: str = "tok3") -> str:
    return event_xml(
        "kf_msg_or_event",
        f"<Token><![CDATA[{token}]]></Token>"
        f"<OpenKfId><![CDATA[{OPEN_KFID}]]></OpenKfId>",
        corp_id=TEST_CORP_ID,
        agent_id=str(TEST_AGENT_ID),
    )


# Media that cannot be inspected, as (channel, media kind, content served under
# FILE_NAME or None for a media id that WeCom does not know, expected reason).
MEDIA_FAILURES = [
    pytest.param("app", "image", None, "errcode 40007", id="errcode-40007"),
    pytest.param(
        "app", "image", corrupt_png, "the file is truncated", id="corrupt-png"
    ),
    pytest.param(
        "kf",
        "file",
        oversize_pdf,
        "larger than the download limit of 4096 bytes",
        id="oversize-file",
    ),
]


@pytest.mark.parametrize(("channel", "kind", "content", "reason"), MEDIA_FAILURES)
def test_uninspected_media_opens_case(
    channel: str,
    kind: str,
    content: Callable[[], bytes] | None,
    reason: str,
    settings: Settings,
    clock: FrozenClock,
    fake_wecom: FakeWeCom,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    runtime = build_runtime(settings, clock, fake_wecom, max_attachment_bytes=4096)
    client = create_app(runtime).test_client()
    if content is not None:
        fake_wecom.add_media("media-x", content(), "image/png", FILE_NAME)
    if channel == "app":
        msg_id, sender = "7600", "Zhang San"
        post_callback(client, clock, image_message("media-x", msg_id))
    else:
        msg_id, sender = "kf-31", "customer"
        fake_wecom.add_kf_message(OPEN_KFID, kf_item("kf-30", 5, "您好", SENDER))
        fake_wecom.add_kf_message(OPEN_KFID, kf_file_item(msg_id, "media-x"))
        post_callback(client, clock, kf_event())
    job = claim_one(runtime)
    handler = runtime.worker.handlers[job.kind]

    first = handler(job)
    assert first.verdict.endswith("warned, 1 attachment(s) not inspected")
    [case] = client.get("/api/cases").get_json()["cases"]
    assert case["id"] == first.case_id
    assert case["severity"] == "low"
    assert case["status"] == "open"
    assert case["behaviours"] == []
    assert case["findings"] == []
    assert case["agent_id"] == "Zhang San"
    assert case["team"] == "billing"
    [item] = case["source"]["not_inspected"]
    assert item["kind"] == kind
    assert item["msg_id"] == msg_id
    assert item["media_id"] == "media-x"
    assert item["sender"] == sender
    assert reason in item["reason"]
    assert item["sent_at"].endswith("Z")
    assert item["listed_at"] == item["warned_at"] == "2026-03-02T09:30:00Z"
    history = client.get(f"/api/cases/{case['id']}").get_json()["history"]
    [event] = [e for e in history if e["action"] == "not_inspected"]
    assert reason in event["note"]

    [(touser, text)] = fake_wecom.sent
    assert touser == f"{SENDER}|{MANAGER}"
    assert "could not be checked" in text
    assert "send it again so that it can be checked" in text
    assert "请重新发送" in text
    assert reason in text
    assert f"(case {case['id']})" in text

    # The same job again, as after a lost lease: nothing is added or sent.
    if channel == "kf":
        SqliteKeyValue(runtime.database).set(kf_cursor_key(TEST_CORP_ID, OPEN_KFID), "")
    before = client.get(f"/api/cases/{case['id']}").get_json()
    again = handler(job)
    assert again.verdict.endswith("already reported, 1 attachment(s) not inspected")
    assert client.get(f"/api/cases/{case['id']}").get_json() == before
    assert len(client.get("/api/cases").get_json()["cases"]) == 1
    assert len(fake_wecom.sent) == 1

    assert runtime.disposal is not None
    an_hour_later = clock() + datetime.timedelta(hours=1)
    [digest] = runtime.disposal.daily_digest(an_hour_later)
    assert digest.team == "billing"
    assert digest.lines[0].endswith("1 media not inspected.")
    assert "Not inspected, check by hand:" in digest.lines
    [line] = [line for line in digest.lines if line.startswith(case["id"])]
    assert f"wecom {kind} message {msg_id} from {sender}: " in line
    assert reason in line
    assert f"<td>Not inspected</td><td>{case['id']}</td>" in digest.html
    # The next day's digest does not list it again.
    next_day = an_hour_later + datetime.timedelta(days=1)
    assert runtime.disposal.daily_digest(next_day) == []
    [summary] = runtime.disposal.weekly_summary(an_hour_later)
    assert "1 of the low cases only list media not inspected." in summary.lines

    stored = stored_bytes(settings.data_dir)
    assert FILE_PERSON.encode() not in stored
    for start in range(len(FILE_ID) - 9):
        assert FILE_ID[start : start + 10].encode() not in stored
    assert FILE_ID not in caplog.text
    assert FILE_PERSON not in caplog.text
    assert FILE_ID not in text
    runtime.database.close()


def test_voice_opens_no_case_alone(
    wecom: tuple[Runtime, FlaskClient, FakeWeCom], clock: FrozenClock
) -> None:
    runtime, client, fake = wecom
    voice = {
        "msgid": "kf-41",
        "external_userid": "wmCustomer01",
        "send_time": 1_772_443_900,
        "origin": 3,
        "msgtype": "voice",
        "voice": {"media_id": "media-voice"},
    }
    fake.add_kf_message(OPEN_KFID, voice)
    post_callback(client, clock, kf_event("tok4"))
    job = claim_one(runtime)
    alone = runtime.worker.handlers[job.kind](job)
    runtime.queue.complete(job.id)

    # Voice content is not inspected yet, which is no failure that needs a case.
    assert alone.verdict == "synced 1 kf message(s), 1 interaction(s): not inspected"
    assert client.get("/api/cases").get_json()["cases"] == []
    assert fake.sent == []

    # With a finding in the same conversation, the case lists the voice too.
    fake.add_kf_message(OPEN_KFID, {**voice, "msgid": "kf-42"})
    fake.add_kf_message(OPEN_KFID, kf_item("kf-43", 5, f"身份证号是{ID}", SENDER))
    post_callback(client, clock, kf_event("tok5"))
    assert runtime.worker.drain() == 1
    [case] = client.get("/api/cases").get_json()["cases"]
    assert case["severity"] == "high"
    [item] = case["source"]["not_inspected"]
    assert item["msg_id"] == "kf-42"
    assert item["kind"] == "voice"
    assert item["warned_at"]
    [(touser, text)] = fake.sent
    assert touser == f"{SENDER}|{MANAGER}"
    assert MASKED_ID in text
    assert "a voice message in this conversation was not checked" in text
    assert "so that it can be checked" not in text


def test_media_warning_retried_after_busy(
    wecom: tuple[Runtime, FlaskClient, FakeWeCom], clock: FrozenClock
) -> None:
    runtime, client, fake = wecom
    fake.fail_next("message/send", -1, "system busy")
    post_callback(client, clock, image_message("media-gone", "7700"))

    # WeCom is busy: the case keeps the listing, and the job waits.
    assert runtime.worker.drain() == 1
    assert fake.sent == []
    [case] = client.get("/api/cases").get_json()["cases"]
    [item] = case["source"]["not_inspected"]
    assert "warned_at" not in item

    clock.advance(seconds=61)
    assert runtime.worker.drain() == 1
    assert runtime.queue.counts().get("done") == 1
    [(touser, text)] = fake.sent
    assert touser == f"{SENDER}|{MANAGER}"
    assert "errcode 40007" in text
    case = client.get(f"/api/cases/{case['id']}").get_json()
    [item] = case["source"]["not_inspected"]
    assert item["warned_at"] == "2026-03-02T09:31:01Z"
    events = [e for e in case["history"] if e["action"] == "not_inspected"]
    assert len(events) == 1


def test_huge_create_time_gives_no_sent_at(
    wecom: tuple[Runtime, FlaskClient, FakeWeCom], clock: FrozenClock
) -> None:
    runtime, client, fake = wecom
    post_callback(client, clock, image_message("media-gone", "7800", "9" * 20))

    assert runtime.worker.drain() == 1
    assert runtime.queue.counts().get("done") == 1
    [case] = client.get("/api/cases").get_json()["cases"]
    [item] = case["source"]["not_inspected"]
    assert item["msg_id"] == "7800"
    assert "sent_at" not in item
    [(_, text)] = fake.sent
    assert "could not be checked" in text


def test_busy_download_listed_on_last_attempt(
    settings: Settings,
    clock: FrozenClock,
    fake_wecom: FakeWeCom,  # noqa: F811
) -> None:
    runtime = build_runtime(settings, clock, fake_wecom, max_attempts=3)
    client = create_app(runtime).test_client()
    fake_wecom.add_media("media-busy", id_card_png(), "image/png", "card.png")
    fake_wecom.fail_next("media/get", 0, times=10, http_status=503)
    post_callback(client, clock, image_message("media-busy", "7900"))

    # Each attempt but the last waits for WeCom, as after any busy error.
    for _ in range(2):
        assert runtime.worker.drain() == 1
        assert client.get("/api/cases").get_json()["cases"] == []
        assert runtime.queue.counts().get("queued") == 1
        clock.advance(seconds=61)

    # The last attempt lists the image instead of losing it.
    assert runtime.worker.drain() == 1
    assert runtime.queue.counts().get("done") == 1
    assert runtime.queue.dead_jobs(10) == []
    assert len(fake_wecom.requests_to("media/get")) == 3
    [case] = client.get("/api/cases").get_json()["cases"]
    assert case["severity"] == "low"
    [item] = case["source"]["not_inspected"]
    assert item["msg_id"] == "7900"
    assert item["reason"].startswith("download failed on every attempt")
    assert "HTTP 503" in item["reason"]
    [(touser, text)] = fake_wecom.sent
    assert touser == f"{SENDER}|{MANAGER}"
    assert "could not be checked" in text
    assert runtime.disposal is not None
    [digest] = runtime.disposal.daily_digest(clock() + datetime.timedelta(hours=1))
    assert "Not inspected, check by hand:" in digest.lines
    runtime.database.close()


# --- URL verification and rejected callbacks -----------------------------


def test_url_check_returns_bare_plaintext_with_plus(
    wecom: tuple[Runtime, FlaskClient, FakeWeCom], clock: FrozenClock
) -> None:
    _, client, _ = wecom
    echo = "8364729107730055121"
    for nonce in range(200):
        query, echostr = url_check(adapter_app(), echo, timestamp(clock), f"n{nonce}")
        if "+" in echostr:
            break
    assert "+" in echostr
    response = client.get(f"/webhooks/wecom/support?{query.decode()}")
    assert response.status_code == 200
    assert response.data == echo.encode()
    assert response.mimetype == "text/plain"
    without_name = client.get(f"/webhooks/wecom?{query.decode()}")
    assert without_name.data == echo.encode()


def test_wrong_signature_is_401(
    wecom: tuple[Runtime, FlaskClient, FakeWeCom], clock: FrozenClock
) -> None:
    _, client, _ = wecom
    _, body = callback(adapter_app(), text_message("你好"), timestamp(clock))
    response = client.post(
        f"/webhooks/wecom/support?msg_signature={'0' * 40}&"
        f"timestamp={timestamp(clock)}&nonce=5150",
        data=body,
    )
    assert response.status_code == 401
    assert response.get_json()["status"] == "error"


def test_broken_xml_is_400(
    wecom: tuple[Runtime, FlaskClient, FakeWeCom], clock: FrozenClock
) -> None:
    _, client, _ = wecom
    query, _ = callback(adapter_app(), text_message("你好"), timestamp(clock))
    response = client.post(
        f"/webhooks/wecom/support?{query.decode()}", data=b"<xml><Encrypt>"
    )
    assert response.status_code == 400
    assert "XML" in response.get_json()["reason"]


def test_unknown_corp_is_404(
    wecom: tuple[Runtime, FlaskClient, FakeWeCom], clock: FrozenClock
) -> None:
    _, client, _ = wecom
    response = post_callback(
        client, clock, text_message("你好"), to_user="wwsomeothercorp01"
    )
    assert response.status_code == 404
    unknown_app = post_callback(
        client, clock, text_message("你好"), path="/webhooks/wecom/nosuchapp"
    )
    assert unknown_app.status_code == 404


def test_no_app_configured_is_404_with_fix(
    settings: Settings, clock: FrozenClock
) -> None:
    runtime = Runtime.build(settings, clock=clock)
    client = create_app(runtime).test_client()
    response = client.get("/webhooks/wecom?echostr=x")
    assert response.status_code == 404
    assert "REDLINE_WECOM_APPS" in response.get_json()["reason"]
    runtime.database.close()


# --- 微信客服 (kf) ---------------------------------------------------------


def kf_item(msg_id: str, origin: int, text: str, servicer: str = "") -> dict[str, Any]:
    item: dict[str, Any] = {
        "msgid": msg_id,
        "external_userid": "wmCustomer01",
        "send_time": 1_772_443_800,
        "origin": origin,
        "msgtype": "text",
        "text": {"content": text},
    }
    if servicer:
        item["servicer_userid"] = servicer
    return item


def test_kf_event_syncs_pages_and_saves_cursor(
    wecom: tuple[Runtime, FlaskClient, FakeWeCom], clock: FrozenClock
) -> None:
    runtime, client, fake = wecom
    fake.kf_page_size = 1
    fake.add_kf_message(OPEN_KFID, kf_item("kf-1", 3, "你好，我想查一下订单"))
    fake.add_kf_message(
        OPEN_KFID, kf_item("kf-2", 5, f"您登记的身份证号是{ID}，对吗", SENDER)
    )
    fake.add_kf_message(OPEN_KFID, kf_item("kf-3", 3, "对的"))
    event = event_xml(
        "kf_msg_or_event",
        "<Token><![CDATA[ENCkfToken01]]></Token>"
        f"<OpenKfId><![CDATA[{OPEN_KFID}]]></OpenKfId>",
        corp_id=TEST_CORP_ID,
        sender="sys",
        agent_id=str(TEST_AGENT_ID),
    )
    assert post_callback(client, clock, event).status_code == 200
    assert runtime.worker.drain() == 1

    syncs = fake.requests_to("kf/sync_msg")
    assert len(syncs) == 3
    assert syncs[0].json["token"] == "ENCkfToken01"
    assert "cursor" not in syncs[0].json
    assert syncs[1].json["cursor"]

    cases = client.get("/api/cases").get_json()["cases"]
    assert len(cases) == 1
    assert "agent_full_disclosure" in cases[0]["behaviours"]
    assert ID not in json.dumps(cases, ensure_ascii=False)
    assert [touser for touser, _ in fake.sent] == [f"{SENDER}|{MANAGER}"]
    assert ID not in fake.sent[0][1]

    cursors = SqliteKeyValue(runtime.database)
    saved = cursors.get(kf_cursor_key(TEST_CORP_ID, OPEN_KFID))
    assert saved == "cur000003n"


def test_kf_cursor_kept_when_sync_fails(
    wecom: tuple[Runtime, FlaskClient, FakeWeCom], clock: FrozenClock
) -> None:
    runtime, client, fake = wecom
    fake.add_kf_message(OPEN_KFID, kf_item("kf-9", 3, "你好"))
    fake.fail_next("kf/sync_msg", -1, "system busy")
    event = event_xml(
        "kf_msg_or_event",
        f"<Token><![CDATA[tok]]></Token><OpenKfId><![CDATA[{OPEN_KFID}]]></OpenKfId>",
        corp_id=TEST_CORP_ID,
        agent_id=str(TEST_AGENT_ID),
    )
    assert post_callback(client, clock, event).status_code == 200
    runtime.worker.drain()
    cursors = SqliteKeyValue(runtime.database)
    assert cursors.get(kf_cursor_key(TEST_CORP_ID, OPEN_KFID)) is None
    assert runtime.queue.counts().get("queued") == 1


# --- settings and installation -------------------------------------------


def apps_env(**changes: Any) -> dict[str, str]:
    entry = {**asdict(APP_SETTINGS), **changes}
    return {"REDLINE_WECOM_APPS": json.dumps([entry])}


def test_settings_read_wecom_variables() -> None:
    env = {
        **apps_env(agent_id="1000002"),
        "REDLINE_WECOM_AGENTS": '{"zhangsan": ["Zhang San", "billing"]}',
        "REDLINE_WECOM_MANAGERS": " lisi, wangwu ,",
        "REDLINE_WECOM_API_BASE": "http://127.0.0.1:9/cgi-bin",
    }
    wecom = Settings.from_env(env).wecom
    assert wecom.apps[0].agent_id == 1000002
    assert wecom.agents == {"zhangsan": ("Zhang San", "billing")}
    assert wecom.managers == ("lisi", "wangwu")
    assert wecom.api_base == "http://127.0.0.1:9/cgi-bin/"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"REDLINE_WECOM_APPS": "[{"}, "REDLINE_WECOM_APPS"),
        (apps_env(encoding_aes_key="short"), "REDLINE_WECOM_APPS"),
        (apps_env(colour="red"), "REDLINE_WECOM_APPS"),
        ({"REDLINE_WECOM_AGENTS": '{"a": "b"}'}, "REDLINE_WECOM_AGENTS"),
        ({"REDLINE_WECOM_AGENTS": "nope"}, "REDLINE_WECOM_AGENTS"),
        ({"REDLINE_WECOM_API_BASE": "ftp://x"}, "REDLINE_WECOM_API_BASE"),
        ({"REDLINE_WECOM_APPS_FILE": "/nonexistent/apps.json"}, "WECOM_APPS_FILE"),
    ],
)
def test_bad_wecom_setting_names_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert variable in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_install_generates_app_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    clock: FrozenClock,
) -> None:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("REDLINE_DATA_DIR", str(data_dir))
    assert main(["install", "wecom", "--url", "https://redline.example.com/"]) == 0
    output = capsys.readouterr().out
    assert "https://redline.example.com/webhooks/wecom/default" in output
    path = data_dir / "keys" / INSTALLED_APP_FILE
    assert os.stat(path).st_mode & 0o777 == 0o600
    stored = json.loads(path.read_text())[0]
    alphabet = set(string.ascii_letters + string.digits)
    assert len(stored["token"]) == 32
    assert set(stored["token"]) <= alphabet
    assert len(stored["encoding_aes_key"]) == 43
    assert set(stored["encoding_aes_key"]) <= alphabet
    assert stored["token"] in output

    # Without a corp id the gateway cannot decrypt, and its reason names the fix.
    runtime = Runtime.build(Settings(data_dir=data_dir), clock=clock)
    assert runtime.wecom_apps == ()
    assert "--corp-id" in runtime.wecom_setup_reason
    runtime.database.close()

    assert main(["install", "wecom", "--corp-id", "wwinstalled01"]) == 0
    again = json.loads(path.read_text())[0]
    assert again["token"] == stored["token"]
    assert again["corp_id"] == "wwinstalled01"
    runtime = Runtime.build(Settings(data_dir=data_dir), clock=clock)
    assert [app.corp_id for app in runtime.wecom_apps] == ["wwinstalled01"]
    runtime.database.close()
