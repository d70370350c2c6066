"""Build an `Interaction` from a ticket thread or from the delivery alone."""

from __future__ import annotations

from adapters.zendesk.api import STAFF_ROLES, TicketThread
from adapters.zendesk.webhook import Delivery
from detectors.types import Interaction, Segment


def interaction_key(subdomain_or_account: str, ticket_id: str) -> str:
    return f"zendesk:{subdomain_or_account}:ticket:{ticket_id}"


def from_thread(key: str, thread: TicketThread, account: str) -> Interaction:
    """Build the interaction from comments read through the REST API."""
    segments = []
    for comment in thread.comments:
        is_staff = comment.author_role in STAFF_ROLES
        segments.append(
            Segment(
                id=comment.id,
                speaker="agent" if is_staff else "customer",
                text=comment.body,
                agent_id=comment.author_id if is_staff else None,
                extra={
                    "public": comment.public,
                    "attachments": comment.attachments,
                    "created_at": comment.created_at,
                },
            )
        )
    return Interaction(
        id=key,
        channel="ticket",
        segments=segments,
        source={
            "platform": "zendesk",
            "account": account,
            "ticket_id": thread.ticket_id,
            "group_id": thread.group_id,
            "assignee_id": thread.assignee_id,
        },
    )


def from_delivery(key: str, delivery: Delivery, account: str) -> Interaction:
    """Build the interaction from the comment carried in the delivery.

    This is what the gateway inspects when it has no API credentials; the
    author counts as the customer unless the delivery marks them as staff.
    """
    segments = []
    comment = delivery.comment
    if comment is not None:
        is_staff = bool(comment.author_is_staff)
        segments.append(
            Segment(
                id=comment.id,
                speaker="agent" if is_staff else "customer",
                text=comment.body,
                agent_id=comment.author_id if is_staff else None,
                extra={"public": comment.public},
            )
        )
    return Interaction(
        id=key,
        channel="ticket",
        segments=segments,
        source={
            "platform": "zendesk",
            "account": account,
            "ticket_id": delivery.ticket_id,
            "group_id": delivery.group_id,
            "assignee_id": delivery.assignee_id,
        },
    )
