"""Typed WeCom messages: decrypted callback XML and 微信客服 (kf) sync items.

A self-built app receives `text`, `image`, `voice`, `video`, `location` and
`link` messages (there is no file message in app callbacks) and events with
`MsgType` `event`. A 微信客服 callback carries no content. Its
`kf_msg_or_event` event only signals new messages, which Redline pulls with
`kf/sync_msg` as JSON items and parses with `parse_kf_message`.

Fields that can hold personal data (text, coordinates, URLs) are left out of
the reprs, so a message can be logged by its ids.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from adapters.errors import PayloadInvalid

# WeCom never sends a document type declaration. Rejecting one keeps entity
# definitions out of the parser entirely.
_FORBIDDEN_XML = ("<!DOCTYPE", "<!ENTITY")

# kf `origin` values: who sent a kf message.
ORIGIN_CUSTOMER = 3
ORIGIN_SYSTEM = 4
ORIGIN_SERVICER = 5


def parse_xml(text: str, what: str) -> ElementTree.Element:
    """Parse a WeCom XML document whose root element is `<xml>`.

    Raise `PayloadInvalid` naming `what` when the text is not well-formed,
    declares a document type, or has another root element.
    """
    upper = text.upper()
    if any(marker in upper for marker in _FORBIDDEN_XML):
        raise PayloadInvalid(f"{what} declares a document type; WeCom sends plain XML")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        # The parser's message gives only a line and column, never content.
        raise PayloadInvalid(f"{what} is not well-formed XML: {error}") from None
    if root.tag != "xml":
        raise PayloadInvalid(
            f"{what} has root element <{root.tag[:40]}>; expected <xml>"
        )
    return root


def xml_fields(root: ElementTree.Element) -> tuple[tuple[str, str], ...]:
    """Return every element below `root` as (path, stripped text), in document order.

    Nested elements get slash-separated paths, such as `SendPicsInfo/Count`.
    """
    fields: list[tuple[str, str]] = []

    def walk(element: ElementTree.Element, prefix: str) -> None:
        for child in element:
            path = f"{prefix}{child.tag}"
            fields.append((path, (child.text or "").strip()))
            walk(child, path + "/")

    walk(root, "")
    return tuple(fields)


@dataclass(frozen=True, kw_only=True)
class Message:
    """Header shared by every message a member sends to a self-built app.

    `sender` is the member's WeCom user id (`FromUserName`) and `corp_id` the
    receiving corp (`ToUserName`). `media_id` names the image, voice or
    video file to download; it is empty for the other kinds.
    """

    kind: ClassVar[str] = ""

    msg_id: str
    sender: str
    corp_id: str
    agent_id: str | None = None
    create_time: int = 0
    media_id: str = ""

    def text_fields(self) -> dict[str, str]:
        """Return the fields whose text is inspected, by name, without empty ones."""
        return {}

    def to_payload(self) -> dict[str, Any]:
        """Return plain JSON that `message_from_payload` turns back into this."""
        return {"kind": self.kind, **dataclasses.asdict(self)}


@dataclass(frozen=True, kw_only=True)
class TextMessage(Message):
    kind: ClassVar[str] = "text"

    content: str = field(default="", repr=False)

    def text_fields(self) -> dict[str, str]:
        return _non_empty(content=self.content)


@dataclass(frozen=True, kw_only=True)
class ImageMessage(Message):
    """An image; the text in it needs OCR after `WeComApi.download_media`."""

    kind: ClassVar[str] = "image"

    pic_url: str = field(default="", repr=False)


@dataclass(frozen=True, kw_only=True)
class VoiceMessage(Message):
    """A voice message; `recognition` is WeCom's transcript when the app has it on."""

    kind: ClassVar[str] = "voice"

    format: str = ""
    recognition: str = field(default="", repr=False)

    def text_fields(self) -> dict[str, str]:
        return _non_empty(recognition=self.recognition)


@dataclass(frozen=True, kw_only=True)
class VideoMessage(Message):
    kind: ClassVar[str] = "video"

    thumb_media_id: str = ""


@dataclass(frozen=True, kw_only=True)
class LocationMessage(Message):
    """A shared location: `latitude` is `Location_X`, `longitude` is `Location_Y`."""

    kind: ClassVar[str] = "location"

    latitude: str = field(default="", repr=False)
    longitude: str = field(default="", repr=False)
    scale: str = ""
    label: str = field(default="", repr=False)

    def text_fields(self) -> dict[str, str]:
        return _non_empty(label=self.label)


@dataclass(frozen=True, kw_only=True)
class LinkMessage(Message):
    kind: ClassVar[str] = "link"

    title: str = field(default="", repr=False)
    description: str = field(default="", repr=False)
    url: str = field(default="", repr=False)
    pic_url: str = field(default="", repr=False)

    def text_fields(self) -> dict[str, str]:
        return _non_empty(title=self.title, description=self.description, url=self.url)


MESSAGE_CLASSES: dict[str, type[Message]] = {
    cls.kind: cls
    for cls in (
        TextMessage,
        ImageMessage,
        VoiceMessage,
        VideoMessage,
        LocationMessage,
        LinkMessage,
    )
}


@dataclass(frozen=True, kw_only=True)
class Event:
    """A callback with `MsgType` `event`; `event` is the `Event` name in lower case.

    `fields` contains every element of the decrypted XML in document order.
    Its values can name customers (ExternalUserID), so the repr leaves it out.
    """

    event: str
    sender: str
    corp_id: str
    agent_id: str | None = None
    create_time: int = 0
    fields: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def get(self, name: str) -> str:
        """Return the text of the first element at path `name`, or ""."""
        for path, value in self.fields:
            if path == name:
                return value
        return ""


@dataclass(frozen=True, kw_only=True)
class UnknownMessage:
    """A message whose `MsgType` Redline does not inspect."""

    msg_type: str
    msg_id: str
    corp_id: str
    agent_id: str | None = None


Callback = Message | Event | UnknownMessage


def parse_callback(xml_text: str) -> tuple[Callback, tuple[tuple[str, str], ...]]:
    """Parse decrypted callback XML into a typed message and its raw fields.

    The raw fields (path, text) are what the dedupe key of an event is built
    from. Raise `PayloadInvalid` when the XML is broken or lacks a field every
    callback has.
    """
    fields = xml_fields(parse_xml(xml_text, "decrypted message"))
    values: dict[str, str] = {}
    for path, value in fields:
        values.setdefault(path, value)
    msg_type = values.get("MsgType", "").lower()
    if not msg_type:
        raise PayloadInvalid("decrypted message has no MsgType")
    corp_id = values.get("ToUserName", "")
    agent_id = values.get("AgentID") or None
    if msg_type == "event":
        event = Event(
            event=values.get("Event", "").lower(),
            sender=values.get("FromUserName", ""),
            corp_id=corp_id,
            agent_id=agent_id,
            create_time=_create_time(values),
            fields=fields,
        )
        return event, fields
    msg_id = values.get("MsgId", "")
    if not (msg_id.isascii() and msg_id.isdigit()):
        raise PayloadInvalid(f"{msg_type} message has no numeric MsgId")
    message_class = MESSAGE_CLASSES.get(msg_type)
    if message_class is None:
        unknown = UnknownMessage(
            msg_type=msg_type[:40], msg_id=msg_id, corp_id=corp_id, agent_id=agent_id
        )
        return unknown, fields
    header: dict[str, Any] = {
        "msg_id": msg_id,
        "sender": values.get("FromUserName", ""),
        "corp_id": corp_id,
        "agent_id": agent_id,
        "create_time": _create_time(values),
    }
    return message_class(**header, **_kind_fields(msg_type, values)), fields


def _kind_fields(msg_type: str, values: Mapping[str, str]) -> dict[str, Any]:
    """Map the XML elements of one message kind onto its dataclass fields."""
    if msg_type == "text":
        return {"content": values.get("Content", "")}
    if msg_type == "image":
        return {
            "media_id": values.get("MediaId", ""),
            "pic_url": values.get("PicUrl", ""),
        }
    if msg_type == "voice":
        return {
            "media_id": values.get("MediaId", ""),
            "format": values.get("Format", ""),
            "recognition": values.get("Recognition", ""),
        }
    if msg_type == "video":
        return {
            "media_id": values.get("MediaId", ""),
            "thumb_media_id": values.get("ThumbMediaId", ""),
        }
    if msg_type == "location":
        return {
            "latitude": values.get("Location_X", ""),
            "longitude": values.get("Location_Y", ""),
            "scale": values.get("Scale", ""),
            "label": values.get("Label", ""),
        }
    return {
        "title": values.get("Title", ""),
        "description": values.get("Description", ""),
        "url": values.get("Url", ""),
        "pic_url": values.get("PicUrl", ""),
    }


def _create_time(values: Mapping[str, str]) -> int:
    text = values.get("CreateTime", "")
    if not (text.isascii() and text.isdigit()):
        raise PayloadInvalid("decrypted message has no CreateTime in Unix seconds")
    return int(text)


def _non_empty(**fields: str) -> dict[str, str]:
    return {name: value for name, value in fields.items() if value}


def message_from_payload(data: Mapping[str, Any]) -> Message:
    """Rebuild a message from `Message.to_payload` output.

    Raise `ValueError` for an unknown kind.
    """
    values = dict(data)
    kind = str(values.pop("kind", ""))
    message_class = MESSAGE_CLASSES.get(kind)
    if message_class is None:
        raise ValueError(f"unknown WeCom message kind {kind[:40]!r} in queue payload")
    return message_class(**values)


# -- 微信客服 (kf) ----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class KfMessage:
    """One item of `kf/sync_msg`: a message in a 微信客服 session, or an event.

    `origin` is the sender: 3 the customer, 5 a servicer (an agent, named by
    `servicer_userid`), 4 the system. `text` maps field names to the text
    to inspect. `details` keeps what is recorded but not inspected, such as
    coordinates and event types.
    """

    msg_id: str
    open_kfid: str
    external_userid: str
    send_time: int
    origin: int
    kind: str
    servicer_userid: str = ""
    text: dict[str, str] = field(default_factory=dict, repr=False)
    media_id: str = ""
    details: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_payload(self) -> dict[str, Any]:
        """Return plain JSON; `KfMessage(**payload)` rebuilds the message."""
        return dataclasses.asdict(self)


# Kinds whose item carries only a `media_id`: the content needs download and
# OCR (image), PDF extraction (file) or speech recognition (voice).
KF_MEDIA_KINDS = frozenset({"image", "voice", "video", "file"})


def parse_kf_message(item: Any) -> KfMessage:
    """Parse one `msg_list` item of a `kf/sync_msg` response.

    Raise `ValueError` when the item is not an object, lacks `msgid` or
    `msgtype`, or contains a field of the wrong type. The message names the
    field, never its value.
    """
    if not isinstance(item, Mapping):
        raise ValueError("kf message is not a JSON object")
    msg_id = item.get("msgid")
    kind = item.get("msgtype")
    if not isinstance(msg_id, str) or not msg_id:
        raise ValueError("kf message has no msgid")
    if not isinstance(kind, str) or not kind:
        raise ValueError("kf message has no msgtype")
    body = item.get(kind)
    if body is not None and not isinstance(body, Mapping):
        raise ValueError(f"kf message field {kind[:40]} is not an object")
    body = body or {}
    text: dict[str, str] = {}
    media_id = ""
    details: dict[str, Any] = {}
    if kind == "text":
        text = _strings(body, content="content")
        if body.get("menu_id"):
            details["menu_id"] = str(body["menu_id"])
    elif kind in KF_MEDIA_KINDS:
        media_id = _string(body, "media_id")
    elif kind == "location":
        text = _strings(body, name="name", address="address")
        details = {
            "latitude": body.get("latitude"),
            "longitude": body.get("longitude"),
        }
    elif kind == "link":
        text = _strings(body, title="title", description="desc", url="url")
    elif kind == "msgmenu":
        text = _strings(body, head="head_content", tail="tail_content")
    elif kind == "miniprogram":
        text = _strings(body, title="title")
    elif kind == "event":
        details = {"event_type": _string(body, "event_type")}
    return KfMessage(
        msg_id=msg_id,
        open_kfid=_string(item, "open_kfid"),
        external_userid=_string(item, "external_userid")
        or _string(body, "external_userid"),
        send_time=_integer(item, "send_time"),
        origin=_integer(item, "origin"),
        kind=kind,
        servicer_userid=_string(item, "servicer_userid"),
        text=text,
        media_id=media_id,
        details=details,
    )


def _string(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"kf message field {name} is not a string")
    return value


def _strings(data: Mapping[str, Any], **names: str) -> dict[str, str]:
    """Read string fields into a dict keyed by Redline's names, without empty ones."""
    return _non_empty(**{key: _string(data, source) for key, source in names.items()})


def _integer(data: Mapping[str, Any], name: str) -> int:
    value = data.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"kf message field {name} is not an integer")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"kf message field {name} is not an integer") from None
