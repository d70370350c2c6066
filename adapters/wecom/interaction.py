"""Build `Interaction`s from WeCom app messages and 微信客服 (kf) messages.

Agents and teams come from configuration: an `AgentDirectory` maps a WeCom
user id to (agent name, team). A user id missing from it stays the agent id,
without a team.

Segment ids are the WeCom message id for a message's main text (`content`)
and `<message id>:<field>` for the other text fields, such as a link's
`title`. An image, voice, video or file becomes an attachment reference
(`platform`, `kind`, `media_id`) for the worker to download and extract.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from adapters.wecom.messages import (
    ORIGIN_CUSTOMER,
    ORIGIN_SERVICER,
    ORIGIN_SYSTEM,
    KfMessage,
    LocationMessage,
    VoiceMessage,
)
from adapters.wecom.webhook import Delivery
from detectors.types import Interaction, Segment

AgentDirectory = Mapping[str, tuple[str, str]]

_SPEAKERS = {
    ORIGIN_CUSTOMER: "customer",
    ORIGIN_SERVICER: "agent",
    ORIGIN_SYSTEM: "system",
}


def resolve_agent(user_id: str, directory: AgentDirectory) -> tuple[str, str | None]:
    """Return (agent id, team) for a WeCom user id."""
    entry = directory.get(user_id)
    if entry is None:
        return user_id, None
    name, team = entry
    return name or user_id, team or None


def app_interaction_key(corp_id: str, agent_id: str | None, msg_id: str) -> str:
    return f"wecom:{corp_id}:app:{agent_id or '-'}:msg:{msg_id}"


def app_interaction(delivery: Delivery, directory: AgentDirectory) -> Interaction:
    """Build the interaction for one message a member sent to a self-built app.

    The sender is a member of the corp, so the speaker is `agent`.
    """
    # NOTE: every app sender counts as an agent, which assumes that only staff
    # use the app. A corp that opens the app to customers needs a list of
    # customer user ids here.
    message = delivery.message
    agent_id, team = resolve_agent(message.sender, directory)
    extra: dict[str, Any] = {"kind": message.kind, "create_time": message.create_time}
    if isinstance(message, LocationMessage):
        extra.update(latitude=message.latitude, longitude=message.longitude)
    if isinstance(message, VoiceMessage) and message.recognition:
        extra["transcript_source"] = "wecom_recognition"
    segments = _segments(
        message.msg_id,
        "agent",
        agent_id,
        message.text_fields(),
        _attachment(message.kind, message.media_id),
        extra,
    )
    return Interaction(
        id=app_interaction_key(message.corp_id, message.agent_id, message.msg_id),
        channel="chat",
        segments=segments,
        source={
            "platform": "wecom",
            "app": delivery.app,
            "corp_id": message.corp_id,
            "agent_id": message.agent_id,
            "msg_id": message.msg_id,
            "user_id": message.sender,
        },
        team=team,
    )


def kf_interactions(
    messages: Iterable[KfMessage], corp_id: str, directory: AgentDirectory
) -> list[Interaction]:
    """Build one interaction per 微信客服 customer from synced messages.

    Messages are grouped by (open_kfid, external_userid) in the order they
    came. Events and kinds without text or media add no segment. The
    interaction id ends with the group's first message id, so a retried
    sync of the same cursor gives the same ids.
    """
    groups: dict[tuple[str, str], list[KfMessage]] = {}
    for message in messages:
        if message.kind == "event":
            continue
        groups.setdefault((message.open_kfid, message.external_userid), []).append(
            message
        )
    interactions = []
    for (open_kfid, external_userid), group in groups.items():
        interaction = _kf_interaction(
            corp_id, open_kfid, external_userid, group, directory
        )
        if interaction.segments:
            interactions.append(interaction)
    return interactions


def _kf_interaction(
    corp_id: str,
    open_kfid: str,
    external_userid: str,
    group: list[KfMessage],
    directory: AgentDirectory,
) -> Interaction:
    segments: list[Segment] = []
    team: str | None = None
    for message in group:
        speaker = _SPEAKERS.get(message.origin, "system")
        agent_id: str | None = None
        if speaker == "agent" and message.servicer_userid:
            agent_id, agent_team = resolve_agent(message.servicer_userid, directory)
            team = team or agent_team
        extra: dict[str, Any] = {
            "kind": message.kind,
            "send_time": message.send_time,
            "origin": message.origin,
            **message.details,
        }
        segments += _segments(
            message.msg_id,
            speaker,
            agent_id,
            message.text,
            _attachment(message.kind, message.media_id),
            extra,
        )
    first = group[0].msg_id
    return Interaction(
        id=f"wecom:{corp_id}:kf:{open_kfid}:{external_userid}:{first}",
        channel="chat",
        segments=segments,
        source={
            "platform": "wecom",
            "corp_id": corp_id,
            "open_kfid": open_kfid,
            "external_userid": external_userid,
            "first_msg_id": first,
            "last_msg_id": group[-1].msg_id,
        },
        team=team,
    )


def _attachment(kind: str, media_id: str) -> dict[str, Any] | None:
    if not media_id:
        return None
    return {"platform": "wecom", "kind": kind, "media_id": media_id}


def _segments(
    msg_id: str,
    speaker: str,
    agent_id: str | None,
    text_fields: Mapping[str, str],
    attachment: dict[str, Any] | None,
    extra: dict[str, Any],
) -> list[Segment]:
    """Return one segment per text field; the first one carries the attachment.

    A message with media and no text gets one segment with empty text, so the
    attachment is still recorded.
    """
    fields = dict(text_fields)
    if not fields and attachment is None:
        return []
    if not fields:
        fields = {"content": ""}
    segments: list[Segment] = []
    for name, text in fields.items():
        segments.append(
            Segment(
                id=msg_id if name == "content" else f"{msg_id}:{name}",
                speaker=speaker,
                text=text,
                agent_id=agent_id,
                attachment=attachment if not segments else None,
                extra=dict(extra),
            )
        )
    return segments
