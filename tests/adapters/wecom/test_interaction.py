"""Interactions built from WeCom app messages and 微信客服 messages."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.wecom.interaction import (
    AgentDirectory,
    app_interaction,
    kf_interactions,
    resolve_agent,
)
from adapters.wecom.messages import (
    ImageMessage,
    KfMessage,
    LinkMessage,
    LocationMessage,
    Message,
    TextMessage,
    VoiceMessage,
    parse_kf_message,
)
from adapters.wecom.webhook import Delivery

CORP = "wwredline00000001"
DIRECTORY: AgentDirectory = {
    "zhangsan": ("Zhang San", "after-sales"),
    "lisi": ("Li Si", "billing"),
}


def deliver(message: Message) -> Delivery:
    return Delivery(app="support", dedupe_key="k", message=message)


def header(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "msg_id": "7001",
        "sender": "zhangsan",
        "corp_id": CORP,
        "agent_id": "1000005",
        "create_time": 1767225600,
    }
    values.update(overrides)
    return values


def kf_item(msg_id: str, origin: int, msgtype: str, **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "msgid": msg_id,
        "open_kfid": "wkKF01",
        "external_userid": "wmCustomerA",
        "send_time": 1767225600,
        "origin": origin,
        "msgtype": msgtype,
    }
    item.update(fields)
    return item


# -- agent directory ----------------------------------------------------


def test_resolve_agent_known() -> None:
    assert resolve_agent("zhangsan", DIRECTORY) == ("Zhang San", "after-sales")


def test_resolve_agent_unknown_keeps_user_id() -> None:
    assert resolve_agent("wangwu", DIRECTORY) == ("wangwu", None)


# -- app messages -------------------------------------------------------


def test_app_text_interaction() -> None:
    message = TextMessage(**header(), content="我的卡号是")
    interaction = app_interaction(deliver(message), DIRECTORY)
    assert interaction.id == f"wecom:{CORP}:app:1000005:msg:7001"
    assert interaction.channel == "chat"
    assert interaction.team == "after-sales"
    assert interaction.source["platform"] == "wecom"
    assert interaction.source["app"] == "support"
    assert interaction.source["user_id"] == "zhangsan"
    [segment] = interaction.segments
    assert segment.id == "7001"
    assert segment.speaker == "agent"
    assert segment.agent_id == "Zhang San"
    assert segment.text == "我的卡号是"
    assert segment.attachment is None


def test_app_unknown_member_has_no_team() -> None:
    message = TextMessage(**header(sender="wangwu"), content="hi")
    interaction = app_interaction(deliver(message), DIRECTORY)
    assert interaction.team is None
    assert interaction.segments[0].agent_id == "wangwu"


def test_app_image_is_attachment() -> None:
    message = ImageMessage(**header(), media_id="m-img", pic_url="http://p/1.jpg")
    interaction = app_interaction(deliver(message), DIRECTORY)
    [segment] = interaction.segments
    assert segment.text == ""
    assert segment.attachment == {
        "platform": "wecom",
        "kind": "image",
        "media_id": "m-img",
    }


def test_app_voice_uses_recognition() -> None:
    message = VoiceMessage(
        **header(), media_id="m-voice", format="amr", recognition="验证码是"
    )
    [segment] = app_interaction(deliver(message), DIRECTORY).segments
    assert segment.text == "验证码是"
    assert segment.id == "7001:recognition"
    assert segment.attachment is not None
    assert segment.attachment["media_id"] == "m-voice"
    assert segment.extra["transcript_source"] == "wecom_recognition"


def test_app_location_label_and_coordinates() -> None:
    message = LocationMessage(
        **header(), latitude="23.1", longitude="113.3", scale="20", label="海珠区"
    )
    [segment] = app_interaction(deliver(message), DIRECTORY).segments
    assert segment.text == "海珠区"
    assert segment.id == "7001:label"
    assert segment.extra["latitude"] == "23.1"
    assert segment.extra["longitude"] == "113.3"


def test_app_link_one_segment_per_field() -> None:
    message = LinkMessage(
        **header(), title="报销单", description="附身份证", url="https://e.x/a"
    )
    segments = app_interaction(deliver(message), DIRECTORY).segments
    assert [s.id for s in segments] == ["7001:title", "7001:description", "7001:url"]
    assert [s.text for s in segments] == ["报销单", "附身份证", "https://e.x/a"]
    assert all(s.agent_id == "Zhang San" for s in segments)


# -- kf messages --------------------------------------------------------


def test_kf_speakers_by_origin() -> None:
    messages = [
        parse_kf_message(kf_item("m1", 3, "text", text={"content": "我要退款"})),
        parse_kf_message(
            kf_item("m2", 5, "text", servicer_userid="lisi", text={"content": "卡号?"})
        ),
        parse_kf_message(kf_item("m3", 4, "text", text={"content": "会话已转接"})),
    ]
    [interaction] = kf_interactions(messages, CORP, DIRECTORY)
    assert [s.speaker for s in interaction.segments] == ["customer", "agent", "system"]
    assert [s.agent_id for s in interaction.segments] == [None, "Li Si", None]
    assert interaction.team == "billing"
    assert interaction.id == f"wecom:{CORP}:kf:wkKF01:wmCustomerA:m1"
    assert interaction.source["external_userid"] == "wmCustomerA"
    assert interaction.source["last_msg_id"] == "m3"


def test_kf_one_interaction_per_customer() -> None:
    messages = [
        parse_kf_message(kf_item("m1", 3, "text", text={"content": "a"})),
        parse_kf_message(
            kf_item("m2", 3, "text", external_userid="wmB", text={"content": "b"})
        ),
        parse_kf_message(kf_item("m3", 3, "text", text={"content": "c"})),
    ]
    interactions = kf_interactions(messages, CORP, DIRECTORY)
    assert [i.source["external_userid"] for i in interactions] == [
        "wmCustomerA",
        "wmB",
    ]
    assert [s.id for s in interactions[0].segments] == ["m1", "m3"]


@pytest.mark.parametrize("kind", ["image", "voice", "video", "file"])
def test_kf_media_kinds_are_attachments(kind: str) -> None:
    message = parse_kf_message(kf_item("m1", 3, kind, **{kind: {"media_id": "M"}}))
    [interaction] = kf_interactions([message], CORP, DIRECTORY)
    [segment] = interaction.segments
    assert segment.attachment == {"platform": "wecom", "kind": kind, "media_id": "M"}
    assert segment.text == ""


def test_kf_location_text_and_coordinates() -> None:
    location = {
        "name": "家",
        "address": "海珠区xx路1号",
        "latitude": 23.1,
        "longitude": 113.3,
    }
    message = parse_kf_message(kf_item("m1", 3, "location", location=location))
    [interaction] = kf_interactions([message], CORP, DIRECTORY)
    texts = {s.id: s.text for s in interaction.segments}
    assert texts == {"m1:name": "家", "m1:address": "海珠区xx路1号"}
    assert interaction.segments[0].extra["latitude"] == 23.1


def test_kf_link_fields() -> None:
    link = {"title": "T", "desc": "D", "url": "https://e.x", "pic_url": "p"}
    message = parse_kf_message(kf_item("m1", 5, "link", link=link))
    [interaction] = kf_interactions([message], CORP, DIRECTORY)
    texts = {s.id: s.text for s in interaction.segments}
    assert texts == {"m1:title": "T", "m1:description": "D", "m1:url": "https://e.x"}


def test_kf_events_add_no_segment() -> None:
    event = parse_kf_message(
        kf_item(
            "m1",
            4,
            "event",
            external_userid="",
            event={"event_type": "enter_session", "external_userid": "wmCustomerA"},
        )
    )
    assert event.kind == "event"
    assert event.external_userid == "wmCustomerA"
    assert event.details == {"event_type": "enter_session"}
    assert kf_interactions([event], CORP, DIRECTORY) == []


def test_kf_unknown_servicer_keeps_user_id() -> None:
    message = parse_kf_message(
        kf_item("m1", 5, "text", servicer_userid="wangwu", text={"content": "x"})
    )
    [interaction] = kf_interactions([message], CORP, DIRECTORY)
    assert interaction.segments[0].agent_id == "wangwu"
    assert interaction.team is None


@pytest.mark.parametrize(
    "item",
    [
        {"msgtype": "text"},
        {"msgid": "m1"},
        {"msgid": "m1", "msgtype": "text", "text": "not an object"},
        {"msgid": "m1", "msgtype": "text", "origin": "three"},
        {"msgid": "m1", "msgtype": "text", "text": {"content": 5}},
        "not an object",
    ],
)
def test_kf_malformed_item_raises(item: Any) -> None:
    with pytest.raises(ValueError):
        parse_kf_message(item)


def test_kf_message_repr_hides_text() -> None:
    message = parse_kf_message(
        kf_item("m1", 3, "text", text={"content": "110101199003074514"})
    )
    assert "110101199003074514" not in repr(message)
    assert KfMessage(**message.to_payload()) == message
