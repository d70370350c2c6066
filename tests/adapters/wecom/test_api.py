"""WeComApi driven through wechatpy's real client against the local fake."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from adapters.errors import PermanentFailure, RetryLater
from adapters.wecom.api import MAX_TEXT_BYTES, WeComApi, WeComClient
from adapters.wecom.app import WeComApp
from adapters.wecom.errors import (
    MediaTooLarge,
    TextTooLong,
    WeComApiError,
    WeComBusy,
)
from tests.adapters.wecom.conftest import ManualClock, NetworkBlocked
from tests.fakes.wecom_server import (
    TEST_AGENT_ID,
    TEST_CORP_ID,
    TEST_SECRET,
    TOKEN_LIFETIME_SECONDS,
    FakeWeCom,
)

MakeApi = Callable[..., WeComApi]
WARNING = "Redline: 您在会话中发送了完整的身份证号 110101********4514，请撤回。"


@pytest.fixture
def api(make_api: MakeApi, fake_wecom: FakeWeCom) -> WeComApi:
    fake_wecom.add_members("zhangsan", "lisi")
    return make_api()


def endpoints(fake: FakeWeCom) -> list[str]:
    return [recorded.endpoint for recorded in fake.requests]


# -- access token -------------------------------------------------------


def test_token_fetched_once_and_cached(api: WeComApi, fake_wecom: FakeWeCom) -> None:
    api.send_warning(["zhangsan"], WARNING)
    api.send_warning(["lisi"], WARNING)
    assert endpoints(fake_wecom) == ["gettoken", "message/send", "message/send"]
    [token_request] = fake_wecom.requests_to("gettoken")
    assert token_request.query == {"corpid": TEST_CORP_ID, "corpsecret": TEST_SECRET}


def test_token_refetched_after_expiry(
    api: WeComApi, fake_wecom: FakeWeCom, manual_clock: ManualClock
) -> None:
    api.send_warning(["zhangsan"], WARNING)
    manual_clock.advance(TOKEN_LIFETIME_SECONDS - 61)
    api.send_warning(["zhangsan"], WARNING)
    assert len(fake_wecom.requests_to("gettoken")) == 1
    manual_clock.advance(2)
    api.send_warning(["zhangsan"], WARNING)
    assert len(fake_wecom.requests_to("gettoken")) == 2
    tokens = [r.query["access_token"] for r in fake_wecom.requests_to("message/send")]
    assert tokens[0] == tokens[1] != tokens[2]


@pytest.mark.parametrize("errcode", [42001, 40014, 40001])
def test_rejected_token_refreshed_once(
    api: WeComApi, fake_wecom: FakeWeCom, errcode: int
) -> None:
    api.send_warning(["zhangsan"], WARNING)
    fake_wecom.clear_requests()
    fake_wecom.fail_next("message/send", errcode, "access_token expired")
    assert api.send_warning(["zhangsan"], WARNING) == []
    assert endpoints(fake_wecom) == ["message/send", "gettoken", "message/send"]
    assert len(fake_wecom.sent) == 2


def test_expired_token_from_server_refreshed(
    api: WeComApi, fake_wecom: FakeWeCom
) -> None:
    api.send_warning(["zhangsan"], WARNING)
    fake_wecom.expire_tokens()
    fake_wecom.clear_requests()
    api.send_warning(["zhangsan"], WARNING)
    assert [r.errcode for r in fake_wecom.requests] == [42001, 0, 0]
    assert endpoints(fake_wecom) == ["message/send", "gettoken", "message/send"]


def test_token_rejected_twice_raises(api: WeComApi, fake_wecom: FakeWeCom) -> None:
    fake_wecom.fail_next("message/send", 42001, "access_token expired", times=5)
    with pytest.raises(WeComApiError) as caught:
        api.send_warning(["zhangsan"], WARNING)
    assert caught.value.errcode == 42001
    assert caught.value.endpoint == "message/send"
    assert len(fake_wecom.requests_to("message/send")) == 2
    assert len(fake_wecom.requests_to("gettoken")) == 2


def test_wrong_secret_not_retried(make_api: MakeApi, fake_wecom: FakeWeCom) -> None:
    api = make_api(secret="wrong-secret")
    with pytest.raises(WeComApiError, match="check the corp id") as caught:
        api.send_warning(["zhangsan"], WARNING)
    assert caught.value.errcode == 40001
    assert endpoints(fake_wecom) == ["gettoken"]
    assert "wrong-secret" not in str(caught.value)


def test_token_storage_is_wechatpy_session(
    make_api: MakeApi, fake_wecom: FakeWeCom
) -> None:
    fake_wecom.add_members("zhangsan")
    first = make_api()
    first.send_warning(["zhangsan"], WARNING)
    stored = first.client.session.get(first.client.access_token_key)
    assert stored == fake_wecom.requests_to("message/send")[0].query["access_token"]


# -- errors -------------------------------------------------------------


@pytest.mark.parametrize("errcode", [-1, 45009])
def test_busy_errcodes_retry_later(
    api: WeComApi, fake_wecom: FakeWeCom, errcode: int
) -> None:
    fake_wecom.fail_next("message/send", errcode, "system busy")
    with pytest.raises(WeComBusy) as caught:
        api.send_warning(["zhangsan"], WARNING)
    assert isinstance(caught.value, RetryLater)
    assert caught.value.errcode == errcode
    assert caught.value.errmsg == "system busy"


@pytest.mark.parametrize(
    ("status", "error_type"), [(502, WeComBusy), (403, WeComApiError)]
)
def test_http_errors_mapped(
    api: WeComApi, fake_wecom: FakeWeCom, status: int, error_type: type[Exception]
) -> None:
    fake_wecom.fail_next("message/send", 0, http_status=status)
    with pytest.raises(error_type, match=f"HTTP {status}"):
        api.send_warning(["zhangsan"], WARNING)


def test_api_error_carries_errcode_not_body(api: WeComApi) -> None:
    with pytest.raises(WeComApiError) as caught:
        api.send_warning(["nobody"], WARNING)
    error = caught.value
    assert isinstance(error, PermanentFailure)
    assert error.errcode == 81013
    assert error.errmsg == "user & party & tag all invalid"
    assert "errcode 81013" in str(error)
    for text in (str(error), repr(error), repr(error.args)):
        assert "身份证" not in text
        assert "fake-token" not in text
    assert error.__cause__ is None
    assert error.__context__ is None


def test_unreachable_server_retry_later(
    make_api: MakeApi, fake_wecom: FakeWeCom
) -> None:
    api = make_api()
    fake_wecom.stop()
    with pytest.raises(RetryLater, match="unreachable on message/send") as caught:
        api.send_warning(["zhangsan"], WARNING)
    assert TEST_SECRET not in str(caught.value)
    assert caught.value.__context__ is None


# -- send_warning -------------------------------------------------------


def test_send_warning_request(api: WeComApi, fake_wecom: FakeWeCom) -> None:
    assert api.send_warning(["zhangsan", "lisi", "zhangsan"], WARNING) == []
    [recorded] = fake_wecom.requests_to("message/send")
    body = recorded.json
    assert body["touser"] == "zhangsan|lisi"
    assert body["agentid"] == TEST_AGENT_ID
    assert body["msgtype"] == "text"
    assert body["text"] == {"content": WARNING}
    assert json.loads(recorded.body.decode("utf-8"))["text"]["content"] == WARNING


def test_send_warning_reports_invalid_users(
    api: WeComApi, fake_wecom: FakeWeCom
) -> None:
    assert api.send_warning(["zhangsan", "ghost"], WARNING) == ["ghost"]
    assert fake_wecom.sent == [("zhangsan", WARNING)]


def test_text_at_limit_is_sent(api: WeComApi, fake_wecom: FakeWeCom) -> None:
    text = "警" * (MAX_TEXT_BYTES // 3) + "ab"
    assert len(text.encode()) == MAX_TEXT_BYTES
    api.send_warning(["zhangsan"], text)
    assert fake_wecom.sent == [("zhangsan", text)]


def test_text_over_limit_rejected(api: WeComApi, fake_wecom: FakeWeCom) -> None:
    text = "身份证" * 228
    assert len(text.encode()) == 2052
    with pytest.raises(TextTooLong) as caught:
        api.send_warning(["zhangsan"], text)
    assert isinstance(caught.value, ValueError)
    assert caught.value.size_bytes == 2052
    assert "2048" in str(caught.value)
    assert "身份证" not in str(caught.value)
    assert fake_wecom.requests == []


@pytest.mark.parametrize(
    "user_ids",
    [[], ["@all"], ["a|b"], [""], [" zhangsan"], [f"u{i}" for i in range(1001)]],
)
def test_bad_recipients_rejected(
    api: WeComApi, fake_wecom: FakeWeCom, user_ids: list[str]
) -> None:
    with pytest.raises(ValueError):
        api.send_warning(user_ids, WARNING)
    assert fake_wecom.requests == []


def test_recipients_as_string_rejected(api: WeComApi) -> None:
    with pytest.raises(TypeError):
        api.send_warning("zhangsan", WARNING)


def test_empty_text_rejected(api: WeComApi) -> None:
    with pytest.raises(ValueError, match="empty"):
        api.send_warning(["zhangsan"], "  ")


def test_send_needs_agent_id(make_api: MakeApi) -> None:
    with pytest.raises(ValueError, match="agent id"):
        make_api(agent_id=None).send_warning(["zhangsan"], WARNING)


def test_api_from_app(fake_wecom: FakeWeCom, manual_clock: ManualClock) -> None:
    fake_wecom.add_members("zhangsan")
    app = WeComApp(
        name="support",
        corp_id=TEST_CORP_ID,
        token="tok",
        encoding_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        secret=TEST_SECRET,
        agent_id=TEST_AGENT_ID,
    )
    api = WeComApi.from_app(
        app, api_base_url=fake_wecom.api_base_url, clock=manual_clock
    )
    assert api.send_warning(["zhangsan"], WARNING) == []


# -- media --------------------------------------------------------------


def test_download_media(api: WeComApi, fake_wecom: FakeWeCom) -> None:
    fake_wecom.add_media("m-img", b"\xff\xd8jpeg-bytes", "image/jpeg", "身份证.jpg")
    media = api.download_media("m-img")
    assert media.content == b"\xff\xd8jpeg-bytes"
    assert media.content_type == "image/jpeg"
    assert media.media_id == "m-img"
    assert media.file_name == "身份证.jpg"
    assert "身份证" not in repr(media)
    [recorded] = fake_wecom.requests_to("media/get")
    assert recorded.query["media_id"] == "m-img"


def test_download_json_file_is_file(api: WeComApi, fake_wecom: FakeWeCom) -> None:
    content = b'{"errcode": 40007, "note": "a customer file"}'
    fake_wecom.add_media("m-json", content, "application/json", "data.json")
    assert api.download_media("m-json").content == content


def test_expired_media_raises(api: WeComApi) -> None:
    with pytest.raises(WeComApiError) as caught:
        api.download_media("m-gone")
    assert caught.value.errcode == 40007
    assert caught.value.endpoint == "media/get"


def test_media_token_expiry_refreshed(api: WeComApi, fake_wecom: FakeWeCom) -> None:
    fake_wecom.add_media("m-img", b"bytes")
    api.download_media("m-img")
    fake_wecom.expire_tokens()
    assert api.download_media("m-img").content == b"bytes"
    assert endpoints(fake_wecom) == [
        "gettoken",
        "media/get",
        "media/get",
        "gettoken",
        "media/get",
    ]


def test_media_over_limit_rejected(make_api: MakeApi, fake_wecom: FakeWeCom) -> None:
    fake_wecom.add_media("m-big", b"x" * 2000)
    api = make_api(max_media_bytes=1000)
    with pytest.raises(MediaTooLarge):
        api.download_media("m-big")


def test_wechatpy_media_download_stays_local(
    api: WeComApi, fake_wecom: FakeWeCom
) -> None:
    fake_wecom.add_media("m-img", b"bytes")
    url = api.client.media.get_url("m-img")
    assert url.startswith(fake_wecom.api_base_url + "media/get?")
    with api.client.media.download("m-img") as response:
        assert response.content == b"bytes"


# -- kf/sync_msg --------------------------------------------------------


def kf_text(msg_id: str, content: str, origin: int = 3) -> dict[str, Any]:
    return {
        "msgid": msg_id,
        "external_userid": "wmCustomerA",
        "send_time": 1767225600,
        "origin": origin,
        "msgtype": "text",
        "text": {"content": content},
    }


def test_kf_sync_follows_pages(api: WeComApi, fake_wecom: FakeWeCom) -> None:
    for number in range(5):
        fake_wecom.add_kf_message("wkKF01", kf_text(f"m{number}", f"text {number}"))
    fake_wecom.kf_page_size = 2
    messages, cursor = api.sync_kf_messages("ENCtoken", "wkKF01")
    assert [m.msg_id for m in messages] == ["m0", "m1", "m2", "m3", "m4"]
    assert messages[0].text == {"content": "text 0"}
    requests_sent = [r.json for r in fake_wecom.requests_to("kf/sync_msg")]
    assert len(requests_sent) == 3
    assert "cursor" not in requests_sent[0]
    assert [r.get("cursor") for r in requests_sent[1:]] == ["cur000002n", "cur000004n"]
    assert all(r["token"] == "ENCtoken" for r in requests_sent)
    assert all(r["open_kfid"] == "wkKF01" for r in requests_sent)
    assert all(r["limit"] == 1000 for r in requests_sent)
    assert cursor == "cur000005n"


def test_kf_sync_continues_past_empty_page(
    api: WeComApi, fake_wecom: FakeWeCom
) -> None:
    for number in range(3):
        fake_wecom.add_kf_message("wkKF01", kf_text(f"m{number}", "x"))
    fake_wecom.kf_page_size = 2
    fake_wecom.add_empty_kf_page("wkKF01", 2)
    messages, _ = api.sync_kf_messages("ENCtoken", "wkKF01")
    assert [m.msg_id for m in messages] == ["m0", "m1", "m2"]
    assert len(fake_wecom.requests_to("kf/sync_msg")) == 3


def test_kf_sync_resumes_from_cursor(api: WeComApi, fake_wecom: FakeWeCom) -> None:
    fake_wecom.add_kf_message("wkKF01", kf_text("m0", "x"))
    _, cursor = api.sync_kf_messages("ENCtoken", "wkKF01")
    fake_wecom.add_kf_message("wkKF01", kf_text("m1", "y"))
    messages, next_cursor = api.sync_kf_messages("", "wkKF01", cursor)
    assert [m.msg_id for m in messages] == ["m1"]
    last = fake_wecom.requests_to("kf/sync_msg")[-1].json
    assert last["cursor"] == cursor
    assert "token" not in last
    assert next_cursor != cursor


def test_kf_sync_skips_malformed_items(
    api: WeComApi, fake_wecom: FakeWeCom, caplog: pytest.LogCaptureFixture
) -> None:
    fake_wecom.add_kf_message("wkKF01", kf_text("m0", "秘密内容"))
    fake_wecom.add_kf_message("wkKF01", {"msgtype": "text", "text": {"content": "z"}})
    with caplog.at_level("WARNING"):
        messages, _ = api.sync_kf_messages("ENCtoken", "wkKF01")
    assert [m.msg_id for m in messages] == ["m0"]
    assert "skipped 1 malformed" in caplog.text
    assert "秘密内容" not in caplog.text


def test_kf_sync_stops_at_page_cap(
    api: WeComApi, fake_wecom: FakeWeCom, caplog: pytest.LogCaptureFixture
) -> None:
    for number in range(5):
        fake_wecom.add_kf_message("wkKF01", kf_text(f"m{number}", "x"))
    fake_wecom.kf_page_size = 1
    with caplog.at_level("WARNING"):
        messages, cursor = api.sync_kf_messages("ENCtoken", "wkKF01", max_pages=2)
    assert len(messages) == 2
    assert "stopped after 2 pages" in caplog.text
    rest, _ = api.sync_kf_messages("ENCtoken", "wkKF01", cursor)
    assert [m.msg_id for m in rest] == ["m2", "m3", "m4"]


def test_kf_sync_token_expiry_refreshed(api: WeComApi, fake_wecom: FakeWeCom) -> None:
    fake_wecom.add_kf_message("wkKF01", kf_text("m0", "x"))
    fake_wecom.fail_next("kf/sync_msg", 42001, "access_token expired")
    messages, _ = api.sync_kf_messages("ENCtoken", "wkKF01")
    assert [m.msg_id for m in messages] == ["m0"]
    assert endpoints(fake_wecom) == [
        "gettoken",
        "kf/sync_msg",
        "gettoken",
        "kf/sync_msg",
    ]


def test_kf_sync_error_raised(api: WeComApi, fake_wecom: FakeWeCom) -> None:
    fake_wecom.fail_next("kf/sync_msg", 95007, "invalid msg token")
    with pytest.raises(WeComApiError) as caught:
        api.sync_kf_messages("ENCtoken", "wkKF01")
    assert caught.value.errcode == 95007
    assert caught.value.endpoint == "kf/sync_msg"


# -- staying offline ----------------------------------------------------


def test_guard_blocks_wecom_host() -> None:
    with pytest.raises(NetworkBlocked):
        requests.get("https://qyapi.weixin.qq.com/cgi-bin/gettoken", timeout=1)


def test_default_base_url_blocked() -> None:
    client = WeComClient(TEST_CORP_ID, TEST_SECRET)
    assert client.API_BASE_URL == "https://qyapi.weixin.qq.com/cgi-bin/"
    with pytest.raises(NetworkBlocked):
        client.fetch_access_token()


def test_client_urls_use_base_url(fake_wecom: FakeWeCom) -> None:
    client = WeComClient(
        TEST_CORP_ID, TEST_SECRET, api_base_url=fake_wecom.api_base_url
    )
    assert client.fetch_access_token()["access_token"].startswith("fake-token-")
    assert client.media.get_url("m").startswith(fake_wecom.api_base_url)
    assert all(r.path.startswith("/cgi-bin/") for r in fake_wecom.requests)
