"""WeCom callback verification and decryption, with wechatpy's real crypto."""

from __future__ import annotations

import base64
import dataclasses
import json
from urllib.parse import quote, urlencode

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from adapters.errors import PayloadInvalid, SignatureInvalid
from adapters.wecom.app import WeComApp
from adapters.wecom.errors import UnknownApp
from adapters.wecom.messages import (
    ImageMessage,
    LinkMessage,
    LocationMessage,
    TextMessage,
    VideoMessage,
    VoiceMessage,
)
from adapters.wecom.webhook import (
    Delivery,
    Ignored,
    KfSync,
    decrypt_delivery,
    parse_query,
    verify_url,
)
from tests.adapters.wecom.helpers import (
    OWN_APP,
    OWN_NOW,
    SAMPLE_APP,
    SAMPLE_ECHO_NONCE,
    SAMPLE_ECHO_PLAINTEXT,
    SAMPLE_ECHO_SIGNATURE,
    SAMPLE_ECHO_TIMESTAMP,
    SAMPLE_ECHOSTR,
    SAMPLE_MSG_BODY,
    SAMPLE_MSG_NONCE,
    SAMPLE_MSG_SIGNATURE,
    SAMPLE_MSG_TIMESTAMP,
    at,
    callback,
    encrypt,
    event_xml,
    message_xml,
    url_check,
)

SAMPLE_ECHO_NOW = at(SAMPLE_ECHO_TIMESTAMP)
SAMPLE_MSG_NOW = at(SAMPLE_MSG_TIMESTAMP)


def sample_echo_query(echostr: str = SAMPLE_ECHOSTR) -> bytes:
    return (
        f"msg_signature={SAMPLE_ECHO_SIGNATURE}&timestamp={SAMPLE_ECHO_TIMESTAMP}"
        f"&nonce={SAMPLE_ECHO_NONCE}&echostr={echostr}"
    ).encode()


def sample_msg_query(
    signature: str = SAMPLE_MSG_SIGNATURE, timestamp: str = SAMPLE_MSG_TIMESTAMP
) -> bytes:
    return (
        f"msg_signature={signature}&timestamp={timestamp}&nonce={SAMPLE_MSG_NONCE}"
    ).encode()


def decrypt_own(plaintext: str) -> Delivery | KfSync | Ignored:
    query, body = callback(OWN_APP, plaintext)
    return decrypt_delivery(query, body, [OWN_APP], now=OWN_NOW)


# -- published sample ---------------------------------------------------


def test_sample_url_check_returns_plaintext() -> None:
    reply = verify_url(sample_echo_query(), [SAMPLE_APP], now=SAMPLE_ECHO_NOW)
    assert reply == SAMPLE_ECHO_PLAINTEXT
    assert type(reply) is str


def test_sample_url_check_reply_is_bare() -> None:
    reply = verify_url(sample_echo_query(), [SAMPLE_APP], now=SAMPLE_ECHO_NOW)
    assert not reply.startswith(("'", '"', "b'"))
    assert "\n" not in reply
    assert reply.isdigit()


def test_sample_url_check_percent_encoded() -> None:
    query = sample_echo_query(quote(SAMPLE_ECHOSTR, safe=""))
    assert b"%2B" in query
    assert b"%2F" in query
    reply = verify_url(query, [SAMPLE_APP], now=SAMPLE_ECHO_NOW)
    assert reply == SAMPLE_ECHO_PLAINTEXT


def test_sample_message_decrypts() -> None:
    delivery = decrypt_delivery(
        sample_msg_query(),
        SAMPLE_MSG_BODY.encode(),
        [SAMPLE_APP],
        now=SAMPLE_MSG_NOW,
    )
    assert isinstance(delivery, Delivery)
    message = delivery.message
    assert isinstance(message, TextMessage)
    assert message.content == "你好"
    assert message.sender == "ChenJiaShun"
    assert message.corp_id == "ww1436e0e65a779aee"
    assert message.msg_id == "1456453720"
    assert message.agent_id == "1000002"
    assert message.create_time == 1476422779
    assert delivery.app == "sample"
    assert delivery.dedupe_key == "wecom:ww1436e0e65a779aee:1000002:msg:1456453720"


def test_sample_flipped_signature_rejected() -> None:
    flipped = "1" + SAMPLE_MSG_SIGNATURE[1:]
    with pytest.raises(SignatureInvalid) as caught:
        decrypt_delivery(
            sample_msg_query(signature=flipped),
            SAMPLE_MSG_BODY.encode(),
            [SAMPLE_APP],
            now=SAMPLE_MSG_NOW,
        )
    assert caught.value.status == 401


def test_sample_changed_timestamp_rejected() -> None:
    with pytest.raises(SignatureInvalid):
        decrypt_delivery(
            sample_msg_query(timestamp="1476422780"),
            SAMPLE_MSG_BODY.encode(),
            [SAMPLE_APP],
            now=SAMPLE_MSG_NOW,
        )


def test_sample_other_corp_is_unknown() -> None:
    other_corp = dataclasses.replace(SAMPLE_APP, corp_id="ww0000000000000000")
    with pytest.raises(UnknownApp) as caught:
        decrypt_delivery(
            sample_msg_query(),
            SAMPLE_MSG_BODY.encode(),
            [other_corp],
            now=SAMPLE_MSG_NOW,
        )
    assert caught.value.status == 404


def test_sample_receive_id_mismatch_is_unknown() -> None:
    # Chosen by path name, so only the receive id inside the ciphertext
    # (checked by wechatpy) can tell that the corp differs.
    other_corp = dataclasses.replace(SAMPLE_APP, corp_id="ww0000000000000000")
    body = SAMPLE_MSG_BODY.replace(
        "<ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>", ""
    )
    with pytest.raises(UnknownApp, match="receive id"):
        decrypt_delivery(
            sample_msg_query(),
            body.encode(),
            [other_corp],
            app_name="sample",
            now=SAMPLE_MSG_NOW,
        )


def test_sample_url_check_other_corp_is_unknown() -> None:
    other_corp = dataclasses.replace(SAMPLE_APP, corp_id="ww0000000000000000")
    with pytest.raises(UnknownApp):
        verify_url(sample_echo_query(), [other_corp], now=SAMPLE_ECHO_NOW)


# -- the "+" in echostr -------------------------------------------------


def test_echostr_with_plus_and_slash_round_trips() -> None:
    for attempt in range(200):
        query, echostr = url_check(OWN_APP, "4711-echo", nonce=str(attempt))
        if "+" in echostr and "/" in echostr:
            break
    else:
        pytest.fail("no echostr with both '+' and '/' in 200 encryptions")
    assert verify_url(query, [OWN_APP], now=OWN_NOW) == "4711-echo"


def test_flask_args_break_echostr() -> None:
    environ = EnvironBuilder(query_string=sample_echo_query().decode()).get_environ()
    request = Request(environ)
    parsed_by_flask = request.args["echostr"]
    assert " " in parsed_by_flask
    assert "+" not in parsed_by_flask
    # Passing on the value Flask parsed sends spaces where WeCom signed "+".
    rebuilt = urlencode(dict(request.args), quote_via=quote).encode()
    assert b"%20" in rebuilt
    with pytest.raises(SignatureInvalid):
        verify_url(rebuilt, [SAMPLE_APP], now=SAMPLE_ECHO_NOW)
    raw = verify_url(request.query_string, [SAMPLE_APP], now=SAMPLE_ECHO_NOW)
    assert raw == SAMPLE_ECHO_PLAINTEXT


def test_echostr_decoded_only_once() -> None:
    double = quote(quote(SAMPLE_ECHOSTR, safe=""), safe="")
    assert "%252B" in double
    with pytest.raises(SignatureInvalid):
        verify_url(sample_echo_query(double), [SAMPLE_APP], now=SAMPLE_ECHO_NOW)


def test_parse_query_keeps_plus() -> None:
    params = parse_query(b"echostr=a+b%2Bc%2Fd&nonce=1")
    assert params["echostr"] == "a+b+c/d"
    assert params["nonce"] == "1"


# -- own key, both ways -------------------------------------------------


def test_own_key_url_check() -> None:
    query, _ = url_check(OWN_APP, "echo-plaintext-123", percent_encode=True)
    assert verify_url(query, [OWN_APP], now=OWN_NOW) == "echo-plaintext-123"


def test_own_key_message_round_trips() -> None:
    xml = message_xml("text", "<Content><![CDATA[请把身份证号发我]]></Content>")
    delivery = decrypt_own(xml)
    assert isinstance(delivery, Delivery)
    assert isinstance(delivery.message, TextMessage)
    assert delivery.message.content == "请把身份证号发我"
    assert delivery.message.sender == "zhangsan"


@pytest.mark.parametrize("padding", range(1, 33))
def test_padding_round_trips(padding: int) -> None:
    corp = OWN_APP.corp_id.encode()
    empty = message_xml("text", "<Content><![CDATA[]]></Content>").encode()
    # Plaintext: 16 random bytes, a 4-byte length, the XML, the corp id.
    fixed = 16 + 4 + len(empty) + len(corp)
    filler = (-(fixed + padding)) % 32
    content = "x" * filler
    xml = message_xml("text", f"<Content><![CDATA[{content}]]></Content>")
    ciphertext, _ = encrypt(OWN_APP, xml)
    plaintext_size = 16 + 4 + len(xml.encode()) + len(corp)
    assert len(base64.b64decode(ciphertext)) - plaintext_size == padding
    delivery = decrypt_own(xml)
    assert isinstance(delivery, Delivery)
    assert isinstance(delivery.message, TextMessage)
    assert delivery.message.content == content


def test_numeric_timestamp_and_nonce() -> None:
    xml = message_xml("text", "<Content>numbers</Content>")
    query, body = callback(OWN_APP, xml, timestamp=1767225600, nonce=904711)
    assert b"timestamp=1767225600&nonce=904711" in query
    delivery = decrypt_delivery(query, body, [OWN_APP], now=OWN_NOW)
    assert isinstance(delivery, Delivery)
    assert isinstance(delivery.message, TextMessage)
    assert delivery.message.content == "numbers"


def test_nonce_leading_zeros_kept() -> None:
    query, _ = url_check(OWN_APP, "echo", nonce="000123")
    assert verify_url(query, [OWN_APP], now=OWN_NOW) == "echo"


def test_uppercase_signature_accepted() -> None:
    query, _ = url_check(OWN_APP, "echo")
    name, _, rest = query.partition(b"=")
    signature, _, tail = rest.partition(b"&")
    upper = name + b"=" + signature.upper() + b"&" + tail
    assert verify_url(upper, [OWN_APP], now=OWN_NOW) == "echo"


# -- choosing the app ---------------------------------------------------


def test_app_chosen_by_signature() -> None:
    reply = verify_url(sample_echo_query(), [OWN_APP, SAMPLE_APP], now=SAMPLE_ECHO_NOW)
    assert reply == SAMPLE_ECHO_PLAINTEXT
    xml = message_xml("text", "<Content>hi</Content>")
    query, body = callback(OWN_APP, xml)
    delivery = decrypt_delivery(query, body, [SAMPLE_APP, OWN_APP], now=OWN_NOW)
    assert delivery.app == "support"


def test_app_chosen_by_name() -> None:
    query, _ = url_check(OWN_APP, "echo")
    assert verify_url(query, [SAMPLE_APP, OWN_APP], app_name="support", now=OWN_NOW)
    with pytest.raises(SignatureInvalid):
        verify_url(query, [SAMPLE_APP, OWN_APP], app_name="sample", now=OWN_NOW)


def test_unknown_app_name_is_404() -> None:
    query, _ = url_check(OWN_APP, "echo")
    with pytest.raises(UnknownApp) as caught:
        verify_url(query, [OWN_APP], app_name="billing", now=OWN_NOW)
    assert caught.value.status == 404


def test_apps_sharing_token_try_each_key() -> None:
    wrong_key = dataclasses.replace(
        OWN_APP,
        name="old",
        encoding_aes_key="ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut",
    )
    xml = message_xml("text", "<Content>two apps</Content>")
    query, body = callback(OWN_APP, xml)
    delivery = decrypt_delivery(query, body, [wrong_key, OWN_APP], now=OWN_NOW)
    assert delivery.app == "support"


def test_no_app_configured_is_setup_error() -> None:
    query, _ = url_check(OWN_APP, "echo")
    with pytest.raises(ValueError, match="no WeCom app"):
        verify_url(query, [], now=OWN_NOW)


# -- bad input ----------------------------------------------------------


def test_wrong_signature_is_401() -> None:
    query, body = callback(OWN_APP, message_xml("text", "<Content>x</Content>"))
    other = dataclasses.replace(OWN_APP, token="AnotherToken")
    with pytest.raises(SignatureInvalid) as caught:
        decrypt_delivery(query, body, [other], now=OWN_NOW)
    assert caught.value.status == 401


def test_wrong_aes_key_is_400() -> None:
    query, body = callback(OWN_APP, message_xml("text", "<Content>x</Content>"))
    other = dataclasses.replace(
        OWN_APP, encoding_aes_key="ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
    )
    with pytest.raises(PayloadInvalid) as caught:
        decrypt_delivery(query, body, [other], now=OWN_NOW)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<xml><Encrypt>abc</Encrypt>",
        b"not xml at all",
        b"<root><Encrypt>abc</Encrypt></root>",
        b"<xml><ToUserName>wwredline00000001</ToUserName></xml>",
        b'<!DOCTYPE xml [<!ENTITY a "b">]><xml><Encrypt>&a;</Encrypt></xml>',
        b"\xff\xfe<xml/>",
    ],
)
def test_broken_body_is_400(body: bytes) -> None:
    query, _ = callback(OWN_APP, message_xml("text", "<Content>x</Content>"))
    with pytest.raises(PayloadInvalid) as caught:
        decrypt_delivery(query, body, [OWN_APP], now=OWN_NOW)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "plaintext",
    [
        "<xml><MsgType>text</MsgType>",
        "plain words",
        "<xml><ToUserName>wwredline00000001</ToUserName></xml>",
        message_xml("text", "<Content>x</Content>", create_time="soon"),
        message_xml("text", "<Content>x</Content>", msg_id=None),
    ],
)
def test_broken_plaintext_is_400(plaintext: str) -> None:
    with pytest.raises(PayloadInvalid):
        decrypt_own(plaintext)


def test_broken_xml_message_hides_content() -> None:
    with pytest.raises(PayloadInvalid) as caught:
        decrypt_own("<xml><Content>身份证 110101199003074514</Content")
    assert "110101199003074514" not in str(caught.value)


def test_unknown_corp_in_body_is_404() -> None:
    xml = message_xml("text", "<Content>x</Content>")
    query, body = callback(OWN_APP, xml, to_user="wwsomebodyelse0001")
    with pytest.raises(UnknownApp) as caught:
        decrypt_delivery(query, body, [OWN_APP], now=OWN_NOW)
    assert caught.value.status == 404


@pytest.mark.parametrize("missing", ["msg_signature", "timestamp", "nonce"])
def test_missing_signed_param_is_401(missing: str) -> None:
    query, _ = url_check(OWN_APP, "echo")
    kept = b"&".join(
        part for part in query.split(b"&") if not part.startswith(missing.encode())
    )
    with pytest.raises(SignatureInvalid, match=missing):
        verify_url(kept, [OWN_APP], now=OWN_NOW)


def test_missing_echostr_is_400() -> None:
    query, _ = url_check(OWN_APP, "echo")
    kept = query.split(b"&echostr=")[0]
    with pytest.raises(PayloadInvalid, match="echostr"):
        verify_url(kept, [OWN_APP], now=OWN_NOW)


def test_duplicate_param_is_400() -> None:
    query, _ = url_check(OWN_APP, "echo")
    with pytest.raises(PayloadInvalid, match="more than once"):
        verify_url(query + b"&nonce=1", [OWN_APP], now=OWN_NOW)


def test_non_ascii_query_is_400() -> None:
    with pytest.raises(PayloadInvalid):
        parse_query("nonce=五".encode())


@pytest.mark.parametrize("offset", [-301, 301, 86400])
def test_stale_timestamp_is_401(offset: int) -> None:
    query, _ = url_check(OWN_APP, "echo")
    later = at(str(int(OWN_NOW.timestamp()) + offset))
    with pytest.raises(SignatureInvalid) as caught:
        verify_url(query, [OWN_APP], now=later)
    assert "window" in str(caught.value)
    assert str(abs(offset)) in caught.value.log_detail


def test_timestamp_inside_window_passes() -> None:
    query, _ = url_check(OWN_APP, "echo")
    later = at(str(int(OWN_NOW.timestamp()) + 299))
    assert verify_url(query, [OWN_APP], now=later) == "echo"


def test_non_numeric_timestamp_is_401() -> None:
    query, body = callback(OWN_APP, "<xml/>", timestamp="yesterday")
    with pytest.raises(SignatureInvalid, match="Unix seconds"):
        decrypt_delivery(query, body, [OWN_APP], now=OWN_NOW)


# -- message kinds ------------------------------------------------------


def test_text_message() -> None:
    delivery = decrypt_own(message_xml("text", "<Content>卡号多少</Content>"))
    assert isinstance(delivery, Delivery)
    assert delivery.event == "text"
    assert delivery.message.text_fields() == {"content": "卡号多少"}
    assert delivery.message.media_id == ""


def test_image_message_exposes_media_id() -> None:
    fields = (
        "<PicUrl><![CDATA[http://p.example/1.jpg]]></PicUrl><MediaId>m-img</MediaId>"
    )
    delivery = decrypt_own(message_xml("image", fields))
    assert isinstance(delivery, Delivery)
    message = delivery.message
    assert isinstance(message, ImageMessage)
    assert message.media_id == "m-img"
    assert message.pic_url == "http://p.example/1.jpg"
    assert message.text_fields() == {}


def test_voice_message_uses_recognition() -> None:
    fields = (
        "<MediaId>m-voice</MediaId><Format>amr</Format>"
        "<Recognition><![CDATA[我的手机号是]]></Recognition>"
    )
    delivery = decrypt_own(message_xml("voice", fields))
    assert isinstance(delivery, Delivery)
    message = delivery.message
    assert isinstance(message, VoiceMessage)
    assert message.text_fields() == {"recognition": "我的手机号是"}
    assert message.media_id == "m-voice"
    assert message.format == "amr"


def test_voice_without_recognition_has_no_text() -> None:
    fields = "<MediaId>m-voice</MediaId><Format>amr</Format>"
    delivery = decrypt_own(message_xml("voice", fields))
    assert isinstance(delivery, Delivery)
    assert delivery.message.text_fields() == {}
    assert delivery.message.media_id == "m-voice"


def test_video_message() -> None:
    fields = "<MediaId>m-video</MediaId><ThumbMediaId>m-thumb</ThumbMediaId>"
    delivery = decrypt_own(message_xml("video", fields))
    assert isinstance(delivery, Delivery)
    message = delivery.message
    assert isinstance(message, VideoMessage)
    assert message.media_id == "m-video"
    assert message.thumb_media_id == "m-thumb"


def test_location_message() -> None:
    fields = (
        "<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y>"
        "<Scale>20</Scale><Label><![CDATA[广州市海珠区]]></Label>"
    )
    delivery = decrypt_own(message_xml("location", fields))
    assert isinstance(delivery, Delivery)
    message = delivery.message
    assert isinstance(message, LocationMessage)
    assert message.latitude == "23.134521"
    assert message.longitude == "113.358803"
    assert message.scale == "20"
    assert message.text_fields() == {"label": "广州市海珠区"}


def test_link_message() -> None:
    fields = (
        "<Title><![CDATA[报销单]]></Title><Description><![CDATA[附身份证]]></Description>"
        "<Url><![CDATA[https://example.com/a]]></Url><PicUrl><![CDATA[]]></PicUrl>"
    )
    delivery = decrypt_own(message_xml("link", fields))
    assert isinstance(delivery, Delivery)
    assert isinstance(delivery.message, LinkMessage)
    assert delivery.message.text_fields() == {
        "title": "报销单",
        "description": "附身份证",
        "url": "https://example.com/a",
    }


def test_unknown_message_type_ignored() -> None:
    result = decrypt_own(message_xml("file", "<MediaId>m</MediaId>"))
    assert isinstance(result, Ignored)
    assert result.event == "file"
    assert result.dedupe_key.endswith(":msg:7001")


@pytest.mark.parametrize(
    ("event", "fields"),
    [
        ("enter_agent", "<EventKey><![CDATA[]]></EventKey>"),
        (
            "change_external_contact",
            "<ChangeType>add_external_contact</ChangeType>"
            "<ExternalUserID>wmEXT</ExternalUserID>",
        ),
        ("click", "<EventKey>menu-1</EventKey>"),
    ],
)
def test_events_ignored(event: str, fields: str) -> None:
    result = decrypt_own(event_xml(event, fields))
    assert isinstance(result, Ignored)
    assert result.event == event
    assert result.app == "support"
    assert ":event:" in result.dedupe_key


def test_kf_event_requests_sync() -> None:
    fields = (
        "<Token><![CDATA[ENCtokenA]]></Token><OpenKfId><![CDATA[wkKF01]]></OpenKfId>"
    )
    result = decrypt_own(event_xml("kf_msg_or_event", fields, sender="sys"))
    assert isinstance(result, KfSync)
    assert result.token == "ENCtokenA"
    assert result.open_kfid == "wkKF01"
    assert result.corp_id == OWN_APP.corp_id
    assert result.event == "kf_msg_or_event"


def test_kf_event_without_token_is_400() -> None:
    with pytest.raises(PayloadInvalid, match="Token"):
        decrypt_own(event_xml("kf_msg_or_event"))


# -- dedupe keys --------------------------------------------------------


def dedupe_key_of(plaintext: str, nonce: str = "5150") -> str:
    query, body = callback(OWN_APP, plaintext, nonce=nonce)
    return decrypt_delivery(query, body, [OWN_APP], now=OWN_NOW).dedupe_key


def test_redelivered_message_same_key() -> None:
    xml = message_xml("text", "<Content>same</Content>", msg_id="9001")
    first_query, first_body = callback(OWN_APP, xml, nonce="1")
    second_query, second_body = callback(OWN_APP, xml, nonce="2")
    assert first_body != second_body
    first = decrypt_delivery(first_query, first_body, [OWN_APP], now=OWN_NOW)
    second = decrypt_delivery(second_query, second_body, [OWN_APP], now=OWN_NOW)
    assert first.dedupe_key == second.dedupe_key


def test_same_msg_id_same_key() -> None:
    first = message_xml("text", "<Content>one</Content>", msg_id="9001")
    second = message_xml("text", "<Content>two</Content>", msg_id="9001")
    assert dedupe_key_of(first) == dedupe_key_of(second)


def test_different_msg_id_different_key() -> None:
    first = message_xml("text", "<Content>same</Content>", msg_id="9001")
    second = message_xml("text", "<Content>same</Content>", msg_id="9002")
    assert dedupe_key_of(first) != dedupe_key_of(second)


def test_redelivered_event_same_key() -> None:
    xml = event_xml("change_external_contact", "<ChangeType>edit</ChangeType>")
    assert dedupe_key_of(xml, nonce="1") == dedupe_key_of(xml, nonce="2")


@pytest.mark.parametrize(
    ("event", "first", "second"),
    [
        (
            "change_external_contact",
            "<ChangeType>add_external_contact</ChangeType><ExternalUserID>wmA</ExternalUserID>",
            "<ChangeType>del_external_contact</ChangeType><ExternalUserID>wmA</ExternalUserID>",
        ),
        (
            "change_external_contact",
            "<ChangeType>edit</ChangeType><ExternalUserID>wmA</ExternalUserID>",
            "<ChangeType>edit</ChangeType><ExternalUserID>wmB</ExternalUserID>",
        ),
        ("click", "<EventKey>menu-1</EventKey>", "<EventKey>menu-2</EventKey>"),
        (
            "kf_msg_or_event",
            "<Token>tokA</Token><OpenKfId>wkKF01</OpenKfId>",
            "<Token>tokB</Token><OpenKfId>wkKF01</OpenKfId>",
        ),
        (
            "kf_msg_or_event",
            "<Token>tokA</Token><OpenKfId>wkKF01</OpenKfId>",
            "<Token>tokA</Token><OpenKfId>wkKF02</OpenKfId>",
        ),
    ],
)
def test_events_differing_fields_differ(event: str, first: str, second: str) -> None:
    # Same sender, same second, same event name: only the fields differ.
    first_key = dedupe_key_of(event_xml(event, first))
    second_key = dedupe_key_of(event_xml(event, second))
    assert first_key != second_key


def test_events_differing_names_differ() -> None:
    assert dedupe_key_of(event_xml("enter_agent")) != dedupe_key_of(event_xml("click"))


def test_event_key_field_boundaries() -> None:
    first = dedupe_key_of(event_xml("click", "<EventKey>ab</EventKey><State>c</State>"))
    second = dedupe_key_of(
        event_xml("click", "<EventKey>a</EventKey><State>bc</State>")
    )
    assert first != second


# -- payloads and reprs -------------------------------------------------


@pytest.mark.parametrize(
    ("msg_type", "fields"),
    [
        ("text", "<Content>卡号 6222 0200 0000 0000</Content>"),
        ("image", "<PicUrl>http://p.example/1.jpg</PicUrl><MediaId>m1</MediaId>"),
        (
            "voice",
            "<MediaId>m2</MediaId><Format>amr</Format><Recognition>r</Recognition>",
        ),
        ("video", "<MediaId>m3</MediaId><ThumbMediaId>t3</ThumbMediaId>"),
        (
            "location",
            "<Location_X>1.5</Location_X><Location_Y>2.5</Location_Y><Label>l</Label>",
        ),
        ("link", "<Title>t</Title><Description>d</Description><Url>u</Url>"),
    ],
)
def test_delivery_payload_round_trips(msg_type: str, fields: str) -> None:
    delivery = decrypt_own(message_xml(msg_type, fields))
    assert isinstance(delivery, Delivery)
    payload = json.loads(json.dumps(delivery.to_payload(), ensure_ascii=False))
    assert Delivery.from_payload(payload) == delivery


def test_kf_sync_payload_round_trips() -> None:
    fields = "<Token>tokA</Token><OpenKfId>wkKF01</OpenKfId>"
    result = decrypt_own(event_xml("kf_msg_or_event", fields))
    assert isinstance(result, KfSync)
    payload = json.loads(json.dumps(result.to_payload()))
    assert KfSync.from_payload(payload) == result


def test_reprs_hide_content_and_token() -> None:
    delivery = decrypt_own(message_xml("text", "<Content>110101199003074514</Content>"))
    assert "110101199003074514" not in repr(delivery)
    kf = decrypt_own(event_xml("kf_msg_or_event", "<Token>SECRETTOKEN</Token>"))
    assert "SECRETTOKEN" not in repr(kf)


def test_app_repr_hides_secrets() -> None:
    text = repr(OWN_APP)
    assert OWN_APP.token not in text
    assert OWN_APP.encoding_aes_key not in text
    assert OWN_APP.secret not in text


@pytest.mark.parametrize(
    "key",
    ["short", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF+", "a" * 44],
)
def test_app_rejects_bad_aes_key(key: str) -> None:
    with pytest.raises(ValueError, match="43 letters and digits") as caught:
        WeComApp("x", "ww1", "token", key)
    assert key not in str(caught.value)
