"""Encrypt WeCom callbacks with wechatpy's real crypto, as WeCom would send them."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ElementTree
from urllib.parse import quote

from wechatpy.enterprise import WeChatCrypto

from adapters.wecom.app import WeComApp

# WeCom's published callback sample: the Token, EncodingAESKey and CorpID of
# the official Python SDK's callback example (weworkapi_python,
# callback/Sample.py), with the two requests it shows.
SAMPLE_TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
SAMPLE_AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
SAMPLE_CORP_ID = "ww1436e0e65a779aee"
SAMPLE_ECHO_SIGNATURE = "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb"
SAMPLE_ECHO_TIMESTAMP = "1476416373"
SAMPLE_ECHO_NONCE = "47744683"
SAMPLE_ECHOSTR = (
    "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/"
    "3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
)
SAMPLE_ECHO_PLAINTEXT = "1288432023552776189"
SAMPLE_MSG_SIGNATURE = "0c3914025cb4b4d68103f6bfc8db550f79dcf48e"
SAMPLE_MSG_TIMESTAMP = "1476422779"
SAMPLE_MSG_NONCE = "1597212914"
SAMPLE_MSG_BODY = (
    "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n"
    "<Encrypt><![CDATA[Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslN"
    "PVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW"
    "8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD"
    "24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX"
    "3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDP"
    "OYuPDGOCI8jmnKiypE+]]></Encrypt>\n"
    "<AgentID><![CDATA[1000002]]></AgentID>\n</xml>"
)

SAMPLE_APP = WeComApp(
    name="sample",
    corp_id=SAMPLE_CORP_ID,
    token=SAMPLE_TOKEN,
    encoding_aes_key=SAMPLE_AES_KEY,
    secret="sample-secret",
    agent_id=1000002,
)
# Redline's own test app: a key of 43 letters and digits, like WeCom's.
OWN_APP = WeComApp(
    name="support",
    corp_id="wwredline00000001",
    token="RedlineCallbackToken01",
    encoding_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    secret="own-secret",
    agent_id=1000005,
)

OWN_TIMESTAMP = "1767225600"
OWN_NOW = datetime.datetime.fromtimestamp(int(OWN_TIMESTAMP), datetime.UTC)


def at(timestamp: str) -> datetime.datetime:
    """Return the moment `timestamp` (Unix seconds) as an aware datetime."""
    return datetime.datetime.fromtimestamp(int(timestamp), datetime.UTC)


def encrypt(
    app: WeComApp,
    plaintext: str,
    timestamp: str | int = OWN_TIMESTAMP,
    nonce: str | int = "5150",
) -> tuple[str, str]:
    """Encrypt and sign `plaintext` with wechatpy; return (ciphertext, signature)."""
    crypto = WeChatCrypto(app.token, app.encoding_aes_key, app.corp_id)
    reply = ElementTree.fromstring(crypto.encrypt_message(plaintext, nonce, timestamp))
    ciphertext = reply.findtext("Encrypt") or ""
    signature = reply.findtext("MsgSignature") or ""
    return ciphertext, signature


def callback(
    app: WeComApp,
    plaintext: str,
    timestamp: str | int = OWN_TIMESTAMP,
    nonce: str | int = "5150",
    *,
    to_user: str | None = None,
    agent_id: str = "1000005",
) -> tuple[bytes, bytes]:
    """Return the (query string, body) of a POSTed callback carrying `plaintext`."""
    ciphertext, signature = encrypt(app, plaintext, timestamp, nonce)
    query = f"msg_signature={signature}&timestamp={timestamp}&nonce={nonce}"
    parts = ["<xml>"]
    if to_user != "":
        parts.append(f"<ToUserName><![CDATA[{to_user or app.corp_id}]]></ToUserName>")
    parts.append(f"<Encrypt><![CDATA[{ciphertext}]]></Encrypt>")
    parts.append(f"<AgentID><![CDATA[{agent_id}]]></AgentID></xml>")
    return query.encode(), "".join(parts).encode()


def url_check(
    app: WeComApp,
    echo: str,
    timestamp: str | int = OWN_TIMESTAMP,
    nonce: str | int = "5150",
    *,
    percent_encode: bool = False,
) -> tuple[bytes, str]:
    """Return the query string of a GET URL check for `echo`, and its echostr."""
    echostr, signature = encrypt(app, echo, timestamp, nonce)
    value = quote(echostr, safe="") if percent_encode else echostr
    query = (
        f"msg_signature={signature}&timestamp={timestamp}&nonce={nonce}&echostr={value}"
    )
    return query.encode(), echostr


def message_xml(
    msg_type: str,
    fields: str,
    *,
    corp_id: str = "wwredline00000001",
    sender: str = "zhangsan",
    create_time: str = "1767225600",
    msg_id: str | None = "7001",
    agent_id: str = "1000005",
) -> str:
    """Return decrypted callback XML with the common fields around `fields`."""
    msg_id_element = f"<MsgId>{msg_id}</MsgId>" if msg_id is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>"
        f"<FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime>"
        f"<MsgType><![CDATA[{msg_type}]]></MsgType>{fields}{msg_id_element}"
        f"<AgentID>{agent_id}</AgentID></xml>"
    )


def event_xml(event: str, fields: str = "", **options: str) -> str:
    """Return decrypted event XML (no MsgId) for `event` with extra `fields`."""
    return message_xml(
        "event", f"<Event><![CDATA[{event}]]></Event>{fields}", msg_id=None, **options
    )
