"""The JSON form of an Interaction, validated with marshmallow.

This is the generic input format read by `scan` and the generic webhook.
Fields a reader does not know are kept in `extra`, never dropped.
"""

from __future__ import annotations

from typing import Any

from marshmallow import (
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from detectors.types import CHANNELS, SPEAKERS, Interaction, Segment

__all__ = [
    "describe_errors",
    "InteractionSchema",
    "ValidationError",
    "interaction_from_dict",
    "interaction_to_dict",
]


class SegmentSchema(Schema):
    class Meta:
        unknown = INCLUDE

    id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    speaker = fields.String(required=True, validate=validate.OneOf(SPEAKERS))
    text = fields.String(required=True)
    start_ms = fields.Integer(load_default=None, allow_none=True, strict=False)
    end_ms = fields.Integer(load_default=None, allow_none=True, strict=False)
    agent_id = fields.String(load_default=None, allow_none=True)
    attachment = fields.Dict(load_default=None, allow_none=True)

    @validates_schema
    def _check_times(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("start_ms"), data.get("end_ms")
        if start is not None and end is not None and end < start:
            raise ValidationError(
                f"end_ms ({end}) is before start_ms ({start})", "end_ms"
            )

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Segment:
        known = {
            "id",
            "speaker",
            "text",
            "start_ms",
            "end_ms",
            "agent_id",
            "attachment",
        }
        extra = {k: v for k, v in data.items() if k not in known}
        return Segment(
            id=data["id"],
            speaker=data["speaker"],
            text=data["text"],
            start_ms=data.get("start_ms"),
            end_ms=data.get("end_ms"),
            agent_id=data.get("agent_id"),
            attachment=data.get("attachment"),
            extra=extra,
        )


class InteractionSchema(Schema):
    class Meta:
        unknown = INCLUDE

    id = fields.String(required=True, validate=validate.Length(min=1, max=500))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    language = fields.String(load_default=None, allow_none=True)
    team = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=100)
    )
    source = fields.Dict(load_default=dict)
    segments = fields.List(
        fields.Nested(SegmentSchema), required=True, validate=validate.Length(min=1)
    )

    @validates_schema
    def _unique_segment_ids(self, data: dict[str, Any], **_: Any) -> None:
        ids = [s.id for s in data.get("segments", [])]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValidationError(
                f"segment ids must be unique; repeated: {', '.join(duplicates)}",
                "segments",
            )

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Interaction:
        known = {"id", "channel", "language", "team", "source", "segments"}
        extra = {k: v for k, v in data.items() if k not in known}
        return Interaction(
            id=data["id"],
            channel=data["channel"],
            segments=data["segments"],
            source=data.get("source") or {},
            language=data.get("language"),
            team=data.get("team"),
            extra=extra,
        )


_SCHEMA = InteractionSchema()


def interaction_from_dict(data: Any) -> Interaction:
    """Validate and build an Interaction; raise `ValidationError` naming the field."""
    if not isinstance(data, dict):
        raise ValidationError(
            f"expected a JSON object for an interaction, got {type(data).__name__}"
        )
    result: Interaction = _SCHEMA.load(data)
    return result


def interaction_to_dict(interaction: Interaction) -> dict[str, Any]:
    segments = []
    for segment in interaction.segments:
        item: dict[str, Any] = {
            "id": segment.id,
            "speaker": segment.speaker,
            "text": segment.text,
        }
        for name in ("start_ms", "end_ms", "agent_id", "attachment"):
            if getattr(segment, name) is not None:
                item[name] = getattr(segment, name)
        item.update(segment.extra)
        segments.append(item)
    data: dict[str, Any] = {
        "id": interaction.id,
        "channel": interaction.channel,
        "segments": segments,
    }
    for name in ("language", "team"):
        if getattr(interaction, name) is not None:
            data[name] = getattr(interaction, name)
    if interaction.source:
        data["source"] = interaction.source
    data.update(interaction.extra)
    return data


def describe_errors(error: ValidationError, prefix: str = "") -> str:
    """Flatten marshmallow's error tree into "field.path: message" parts.

    `prefix` goes before every path, such as "interactions[2]" for the third
    interaction of a batch.
    """
    parts: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list) and node and all(isinstance(n, str) for n in node):
            parts.append(f"{path or 'interaction'}: {' '.join(node)}")
        elif isinstance(node, list):
            for item in node:
                walk(item, path)
        else:
            parts.append(f"{path or 'interaction'}: {node}")

    walk(error.messages, "")
    if prefix:
        return "; ".join(f"{prefix}.{part}" for part in parts)
    return "; ".join(parts)
