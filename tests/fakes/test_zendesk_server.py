"""Tests of FakeZendesk, driven through the real zenpy client over HTTP."""

from __future__ import annotations

import io
import socket
import time

import pytest
import requests
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, Ticket
from zenpy.lib.exception import APIException, RecordNotFoundException

from tests.fakes.zendesk_server import (
    REDACTION_CHAR,
    TEST_EMAIL,
    TEST_SUBDOMAIN,
    TEST_TOKEN,
    FakeZendesk,
    fake_zendesk,  # noqa: F401 - pytest fixture
    fake_zendesk_client,  # noqa: F401 - pytest fixture
)

CUSTOMER_ID = 1001
AGENT_ID = 2002
TICKET_ID = 7


@pytest.fixture
def seeded(fake_zendesk: FakeZendesk) -> FakeZendesk:  # noqa: F811
    """Fake with one customer, one agent and ticket 7 tagged `vip`."""
    fake_zendesk.add_user(CUSTOMER_ID, "Test Customer", "end-user")
    fake_zendesk.add_user(AGENT_ID, "Test Agent", "agent")
    fake_zendesk.add_ticket(TICKET_ID, requester_id=CUSTOMER_ID, tags=["vip"])
    return fake_zendesk


def test_comments_span_cursor_pages(
    seeded: FakeZendesk,
    fake_zendesk_client: Zenpy,  # noqa: F811
) -> None:
    expected = [f"Test message number {n}" for n in range(250)]
    for body in expected:
        seeded.add_comment(TICKET_ID, body, author_id=CUSTOMER_ID)

    comments = list(fake_zendesk_client.tickets.comments(TICKET_ID))

    assert [c.body for c in comments] == expected
    ids = [c.id for c in comments]
    assert ids == sorted(ids)
    pages = seeded.requests_to(f"/tickets/{TICKET_ID}/comments")
    assert len(pages) == 3
    assert pages[0].query["page[size]"] == "100"
    assert "page[after]" not in pages[0].query
    assert all("page[after]" in page.query for page in pages[1:])
    assert all(page.status == 200 for page in pages)


def test_cursor_links_target_fake(seeded: FakeZendesk) -> None:
    for n in range(3):
        seeded.add_comment(TICKET_ID, f"note {n}", author_id=AGENT_ID, public=False)
    url = f"{seeded.base_url}/api/v2/tickets/{TICKET_ID}/comments.json"

    first = requests.get(url, params={"page[size]": 2}, timeout=5).json()
    assert first["meta"]["has_more"] is True
    assert first["links"]["next"].startswith(seeded.base_url)
    second = requests.get(first["links"]["next"], timeout=5).json()

    bodies = [c["body"] for c in first["comments"] + second["comments"]]
    assert bodies == ["note 0", "note 1", "note 2"]
    assert second["meta"]["has_more"] is False
    assert second["links"]["next"] is None
    assert second["comments"][0]["public"] is False
    assert second["comments"][0]["type"] == "Comment"


def test_oversized_page_rejected(seeded: FakeZendesk) -> None:
    url = f"{seeded.base_url}/api/v2/tickets/{TICKET_ID}/comments"
    response = requests.get(url, params={"page[size]": 101}, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidPaginationParameter"


def test_offset_pagination_pages(seeded: FakeZendesk) -> None:
    for n in range(5):
        seeded.add_comment(TICKET_ID, f"offset {n}", author_id=CUSTOMER_ID)
    url = f"{seeded.base_url}/api/v2/tickets/{TICKET_ID}/comments.json"

    first = requests.get(url, params={"per_page": 3}, timeout=5).json()
    second = requests.get(first["next_page"], timeout=5).json()

    assert first["count"] == 5
    assert [c["body"] for c in first["comments"]] == [
        "offset 0",
        "offset 1",
        "offset 2",
    ]
    assert [c["body"] for c in second["comments"]] == ["offset 3", "offset 4"]
    assert second["next_page"] is None
    assert second["previous_page"] is not None


def test_ticket_and_users_served(
    seeded: FakeZendesk,
    fake_zendesk_client: Zenpy,  # noqa: F811
) -> None:
    ticket = fake_zendesk_client.tickets(id=TICKET_ID)
    user = fake_zendesk_client.users(id=CUSTOMER_ID)
    many = list(fake_zendesk_client.users(ids=[CUSTOMER_ID, AGENT_ID, 999999]))

    assert ticket.requester_id == CUSTOMER_ID
    assert list(ticket.tags) == ["vip"]
    assert ticket.status == "open"
    assert ticket.created_at.endswith("Z")
    assert (user.name, user.role) == ("Test Customer", "end-user")
    assert sorted((u.id, u.role) for u in many) == [
        (CUSTOMER_ID, "end-user"),
        (AGENT_ID, "agent"),
    ]


def test_path_without_json_suffix(seeded: FakeZendesk) -> None:
    plain = requests.get(f"{seeded.base_url}/api/v2/tickets/{TICKET_ID}", timeout=5)
    assert plain.status_code == 200
    assert plain.json()["ticket"]["id"] == TICKET_ID


def test_add_tags_keeps_existing_tags(
    seeded: FakeZendesk,
    fake_zendesk_client: Zenpy,  # noqa: F811
) -> None:
    fake_zendesk_client.tickets.add_tags(TICKET_ID, ["redline_pii", "vip"])

    assert seeded.tags(TICKET_ID) == ["vip", "redline_pii"]
    [put] = seeded.tag_requests(TICKET_ID)
    assert put.method == "PUT"
    assert put.json == {"tags": ["redline_pii", "vip"]}


def test_set_and_delete_tags(
    seeded: FakeZendesk,
    fake_zendesk_client: Zenpy,  # noqa: F811
) -> None:
    fake_zendesk_client.tickets.set_tags(TICKET_ID, ["alpha", "beta", "alpha"])
    assert seeded.tags(TICKET_ID) == ["alpha", "beta"]

    fake_zendesk_client.tickets.delete_tags(TICKET_ID, ["alpha"])
    assert seeded.tags(TICKET_ID) == ["beta"]
    assert [r.method for r in seeded.tag_requests(TICKET_ID)] == ["POST", "DELETE"]


def test_ticket_update_appends_private_comment(
    seeded: FakeZendesk,
    fake_zendesk_client: Zenpy,  # noqa: F811
) -> None:
    seeded.add_comment(TICKET_ID, "My card is 0000 1111", author_id=CUSTOMER_ID)
    update = Ticket(
        id=TICKET_ID,
        comment=Comment(body="Redline masked a card number.", public=False),
        additional_tags=["redline_masked"],
    )

    audit = fake_zendesk_client.tickets.update(update)

    assert audit.ticket.id == TICKET_ID
    comments = seeded.comments(TICKET_ID)
    assert len(comments) == 2
    assert comments[-1]["body"] == "Redline masked a card number."
    assert comments[-1]["public"] is False
    assert comments[-1]["author_id"] == seeded.api_user_id
    assert seeded.tags(TICKET_ID) == ["vip", "redline_masked"]
    [sent] = seeded.ticket_updates(TICKET_ID)
    assert sent.json["ticket"]["comment"] == {
        "body": "Redline masked a card number.",
        "public": False,
    }


def test_upload_becomes_attachment(
    seeded: FakeZendesk,
    fake_zendesk_client: Zenpy,  # noqa: F811
) -> None:
    content = b"fake image bytes"
    upload = fake_zendesk_client.attachments.upload(
        io.BytesIO(content), target_name="masked.png", content_type="image/png"
    )
    assert seeded.upload_content(upload.token) == content

    fake_zendesk_client.tickets.update(
        Ticket(
            id=TICKET_ID,
            comment=Comment(body="Masked copy", public=False, uploads=[upload.token]),
        )
    )

    [attachment] = seeded.comments(TICKET_ID)[-1]["attachments"]
    assert attachment["file_name"] == "masked.png"
    assert attachment["content_type"] == "image/png"
    assert attachment["size"] == len(content)
    assert attachment["content_url"].startswith(seeded.base_url)
    downloaded = requests.get(attachment["content_url"], timeout=5)
    assert downloaded.content == content
    stream = fake_zendesk_client.attachments.download(attachment["id"])
    assert stream.getvalue() == content


def test_seeded_inline_attachment(seeded: FakeZendesk) -> None:
    comment_id = seeded.add_comment(
        TICKET_ID,
        "see attached",
        author_id=CUSTOMER_ID,
        attachments=[{"file_name": "id.jpg", "content": b"\xff\xd8", "inline": True}],
    )
    url = f"{seeded.base_url}/api/v2/tickets/{TICKET_ID}/comments.json"

    without_inline = requests.get(url, timeout=5).json()["comments"][0]
    with_inline = requests.get(
        url, params={"include_inline_images": "true"}, timeout=5
    ).json()["comments"][0]

    assert without_inline["id"] == comment_id
    assert without_inline["attachments"] == []
    assert with_inline["attachments"][0]["file_name"] == "id.jpg"
    assert with_inline["attachments"][0]["inline"] is True


def test_redact_masks_same_length(
    seeded: FakeZendesk,
    fake_zendesk_client: Zenpy,  # noqa: F811
) -> None:
    comment_id = seeded.add_comment(
        TICKET_ID, "call me on 555 0100 today", author_id=CUSTOMER_ID
    )

    redacted = fake_zendesk_client.tickets.comment_redact(
        TICKET_ID, comment_id, "555 0100"
    )

    expected = f"call me on {REDACTION_CHAR * 8} today"
    assert redacted.body == expected
    assert seeded.comments(TICKET_ID)[0]["body"] == expected
    assert "555 0100" not in seeded.comments(TICKET_ID)[0]["html_body"]
    with pytest.raises(RecordNotFoundException):
        fake_zendesk_client.tickets.comment_redact(TICKET_ID, 123, "x")


def test_rate_limit_then_success(
    seeded: FakeZendesk,
    fake_zendesk_client: Zenpy,  # noqa: F811
) -> None:
    seeded.add_comment(TICKET_ID, "hello", author_id=CUSTOMER_ID)
    rule = seeded.fail_next(f"/tickets/{TICKET_ID}/comments", status=429)

    started = time.monotonic()
    comments = list(fake_zendesk_client.tickets.comments(TICKET_ID))

    assert [c.body for c in comments] == ["hello"]
    assert time.monotonic() - started >= 1.0
    assert rule.hits == 1
    assert rule.remaining == 0
    first, second = seeded.requests_to(f"/tickets/{TICKET_ID}/comments")
    assert (first.status, first.injected_fault) == (429, True)
    assert second.status == 200


def test_injected_faults_then_recovery(seeded: FakeZendesk) -> None:
    url = f"{seeded.base_url}/api/v2/tickets/{TICKET_ID}.json"
    seeded.fail_next(lambda r: r.method == "GET", status=429, retry_after=3)
    seeded.fail_next("/tickets/", status=500, times=2)

    limited = requests.get(url, timeout=5)
    errors = [requests.get(url, timeout=5).status_code for _ in range(2)]
    recovered = requests.get(url, timeout=5)

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "3"
    assert errors == [500, 500]
    assert recovered.status_code == 200


def test_server_error_raises_api_exception(
    seeded: FakeZendesk,
    fake_zendesk_client: Zenpy,  # noqa: F811
) -> None:
    seeded.fail_next(f"/tickets/{TICKET_ID}", status=503, retry_after=None)
    with pytest.raises(APIException):
        fake_zendesk_client.tickets(id=TICKET_ID)
    assert fake_zendesk_client.tickets(id=TICKET_ID).id == TICKET_ID


def test_unknown_ticket_not_found(
    seeded: FakeZendesk,
    fake_zendesk_client: Zenpy,  # noqa: F811
) -> None:
    with pytest.raises(RecordNotFoundException):
        fake_zendesk_client.tickets(id=424242)
    with pytest.raises(RecordNotFoundException):
        list(fake_zendesk_client.tickets.comments(424242))
    response = requests.get(f"{seeded.base_url}/api/v2/tickets/424242.json", timeout=5)
    assert response.status_code == 404
    assert response.json() == {"error": "RecordNotFound", "description": "Not found"}


def test_basic_auth_enforced(
    seeded: FakeZendesk,
    fake_zendesk_client: Zenpy,  # noqa: F811
) -> None:
    seeded.require_auth(TEST_EMAIL, TEST_TOKEN)
    assert fake_zendesk_client.tickets(id=TICKET_ID).id == TICKET_ID

    seeded.require_auth(TEST_EMAIL, "other-token")
    wrong = Zenpy(subdomain=TEST_SUBDOMAIN, email=TEST_EMAIL, token=TEST_TOKEN)
    with pytest.raises(APIException):
        wrong.users(id=CUSTOMER_ID)
    assert seeded.requests[-1].status == 401

    seeded.require_auth(None)
    assert wrong.users(id=CUSTOMER_ID).name == "Test Customer"


def test_closed_ticket_rejects_update(
    seeded: FakeZendesk,
    fake_zendesk_client: Zenpy,  # noqa: F811
) -> None:
    seeded.add_ticket(8, requester_id=CUSTOMER_ID, status="closed")
    with pytest.raises(APIException):
        fake_zendesk_client.tickets.update(
            Ticket(id=8, comment=Comment(body="late", public=False))
        )
    assert seeded.comments(8) == []
    assert seeded.ticket_updates(8) == []
    assert len(seeded.ticket_updates(8, include_failed=True)) == 1


def test_stop_closes_port() -> None:
    with FakeZendesk() as server:
        port = server.port
        assert requests.get(f"{server.base_url}/api/v2/users/900001", timeout=5).ok
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), 1):
        pass


def test_invalid_update_changes_nothing(seeded: FakeZendesk) -> None:
    url = f"{seeded.base_url}/api/v2/tickets/{TICKET_ID}.json"
    payload = {"ticket": {"status": "solved", "additional_tags": "not-a-list"}}

    response = requests.put(url, json=payload, timeout=5)

    assert response.status_code == 400
    assert seeded.ticket(TICKET_ID)["status"] == "open"
    assert seeded.tags(TICKET_ID) == ["vip"]


def test_update_with_null_fields(seeded: FakeZendesk) -> None:
    url = f"{seeded.base_url}/api/v2/tickets/{TICKET_ID}.json"
    payload = {
        "ticket": {
            "remove_tags": None,
            "comment": {"html_body": "<p>Hi &amp; bye</p>", "author_id": None},
        }
    }

    response = requests.put(url, json=payload, timeout=5)

    assert response.status_code == 200
    audit = response.json()["audit"]
    assert audit["events"][0]["type"] == "Comment"
    assert audit["author_id"] == seeded.api_user_id
    assert seeded.comments(TICKET_ID)[-1]["body"] == "Hi & bye"
    assert seeded.tags(TICKET_ID) == ["vip"]
