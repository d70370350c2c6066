"""SMS alerts through moto's SNS in server mode, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import logging

import pytest

from infra.alerts import Alert, Recipient
from infra.alerts.sms import (
    GSM_BASIC,
    GSM_EXTENSION,
    SmsChannel,
    check_e164,
    mask_number,
    sms_text,
    sns_client,
)
from infra.errors import ConfigError
from tests.fakes import moto_server as moto_fakes
from tests.fakes.moto_server import MotoServer, record_requests

# Fixtures of the moto fake, under the names the tests request.
aws_test_env = moto_fakes.aws_test_env
moto_server = moto_fakes.moto_server
_moto_server_for_module = moto_fakes._moto_server_for_module
no_outside_network = moto_fakes.no_outside_network

# Example numbers from phonenumbers' metadata, assigned to no one.
CN_MOBILE = "+8613123456789"
US_NUMBER = "+12015550123"
CN_FIXED_LINE = "+861012345678"

pytestmark = pytest.mark.usefixtures("no_outside_network")


def case_alert(**fields: object) -> Alert:
    values: dict[str, object] = {
        "key": "case-7-high",
        "kind": "case",
        "title": "高风险：坐席念出完整身份证号",
        "severity": "high",
        "team": "support-2",
        "case_id": "C-7",
        "deadline": "10:30",
    }
    values.update(fields)
    return Alert(**values)  # type: ignore[arg-type]


def gsm_cost(text: str) -> int:
    assert set(text) <= GSM_BASIC | GSM_EXTENSION
    return len(text) + sum(char in GSM_EXTENSION for char in text)


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --- sending through moto -------------------------------------------------


def test_send_publishes_one_transactional_sms_per_number(
    moto_server: MotoServer,
) -> None:
    client = moto_server.client("sns")
    sent = record_requests(client)
    channel = SmsChannel(client, sender_id="Redline")
    recipients = [
        Recipient(name="Manager Li", phone=CN_MOBILE, slack="U1"),
        Recipient(name="Room", slack="C1"),
        Recipient(name="Manager Li (again)", phone=CN_MOBILE),
        Recipient(name="Manager Ruiz", phone=US_NUMBER),
    ]
    alert = case_alert()

    deliveries = channel.send(alert, recipients)

    assert [d.target for d in deliveries] == ["+*********6789", "+*******0123"]
    assert all(d.ok and d.channel == "sms" for d in deliveries)
    recorded = {sms.message_id: sms for sms in moto_server.sent_sms()}
    assert sorted(recorded) == sorted(d.ref for d in deliveries)
    assert [recorded[d.ref].phone_number for d in deliveries] == [
        CN_MOBILE,
        US_NUMBER,
    ]
    expected = "高风险：坐席念出完整身份证号 | case C-7 | due 10:30"
    assert {sms.message for sms in recorded.values()} == {expected}
    assert [request.action for request in sent] == ["Publish", "Publish"]
    for request in sent:
        assert request.message_attributes() == {
            "AWS.SNS.SMS.SMSType": "Transactional",
            "AWS.SNS.SMS.SenderID": "Redline",
        }


def test_send_without_sender_id_sets_only_the_type(moto_server: MotoServer) -> None:
    client = moto_server.client("sns")
    sent = record_requests(client)

    SmsChannel(client).send(case_alert(), [Recipient(name="Li", phone=CN_MOBILE)])

    assert sent[0].message_attributes() == {"AWS.SNS.SMS.SMSType": "Transactional"}


def test_send_skips_recipients_without_a_phone(moto_server: MotoServer) -> None:
    channel = SmsChannel(moto_server.client("sns"))

    deliveries = channel.send(case_alert(), [Recipient(name="Room", slack="C1")])

    assert deliveries == []
    assert moto_server.sent_sms() == []


def test_chinese_text_reaches_sns_cut_to_one_part(moto_server: MotoServer) -> None:
    channel = SmsChannel(moto_server.client("sns"))
    alert = case_alert(sms_text="泄" * 71)

    [delivery] = channel.send(alert, [Recipient(name="Li", phone=CN_MOBILE)])

    [sms] = moto_server.sent_sms()
    assert sms.message_id == delivery.ref
    assert sms.message == "泄" * 69 + "…"


def test_update_is_not_possible(moto_server: MotoServer) -> None:
    channel = SmsChannel(moto_server.client("sns"))

    assert channel.update("any-message-id", case_alert()) is None


def test_number_rejected_by_sns_becomes_a_delivery_error(
    moto_server: MotoServer, caplog: pytest.LogCaptureFixture
) -> None:
    channel = SmsChannel(moto_server.client("sns"))
    alert = case_alert(sms_text="Case C-7: card number read out in chat")
    caplog.set_level(logging.INFO, logger="infra.alerts.sms")

    deliveries = channel.send(alert, [Recipient(name="Li", phone="+0123456789")])

    [delivery] = deliveries
    assert delivery.error == "InvalidParameter"
    assert delivery.ref == ""
    assert delivery.target == "+******6789"
    assert moto_server.sent_sms() == []
    assert "InvalidParameter" in caplog.text
    assert "0123456789" not in caplog.text
    assert "card number" not in caplog.text


def test_stopped_server_becomes_a_delivery_error(
    aws_test_env: None, caplog: pytest.LogCaptureFixture
) -> None:
    server = MotoServer().start()
    client = server.client("sns")
    server.stop()
    caplog.set_level(logging.INFO, logger="infra.alerts.sms")
    alert = case_alert(sms_text="Case C-7 needs you")

    [delivery] = SmsChannel(client).send(alert, [Recipient("Li", phone=CN_MOBILE)])

    assert delivery.error == "EndpointConnectionError"
    assert delivery.target == "+*********6789"
    assert CN_MOBILE not in caplog.text
    assert "needs you" not in caplog.text


def test_sns_client_uses_env_credentials(
    moto_server: MotoServer,
) -> None:
    client = sns_client("us-east-1", moto_server.endpoint_url, timeout=3.0)
    sent = record_requests(client)

    [delivery] = SmsChannel(client).send(
        case_alert(), [Recipient("Li", phone=CN_MOBILE)]
    )

    assert delivery.ok
    assert [sms.phone_number for sms in moto_server.sent_sms()] == [CN_MOBILE]
    assert client.meta.config.connect_timeout == 3.0
    assert client.meta.config.read_timeout == 3.0
    assert client.meta.region_name == "us-east-1"
    assert "Credential=testing/" in sent[0].headers["Authorization"]
    assert sent[0].url.startswith(moto_server.endpoint_url)


@pytest.mark.parametrize("sender_id", ["Red line", "123456", "RedlineAlerts", "红线"])
def test_bad_sender_id_is_a_config_error(sender_id: str) -> None:
    with pytest.raises(ConfigError, match="sender ID"):
        SmsChannel(object(), sender_id=sender_id)


# --- fitting the text into one part ---------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param("泄" * 70, "泄" * 70, id="chinese-70-fits"),
        pytest.param("泄" * 71, "泄" * 69 + "…", id="chinese-71-cut"),
        pytest.param("a" * 160, "a" * 160, id="gsm-160-fits"),
        pytest.param("a" * 161, "a" * 157 + "...", id="gsm-161-cut"),
        pytest.param("€" * 80, "€" * 80, id="extension-80-fits"),
        pytest.param("€" * 81, "€" * 78 + "...", id="extension-81-cut"),
        pytest.param("a" * 69 + "泄", "a" * 69 + "泄", id="one-chinese-70-fits"),
        pytest.param("a" * 70 + "泄", "a" * 69 + "…", id="one-chinese-71-cut"),
        pytest.param("é" * 160, "é" * 160, id="gsm-accented-160-fits"),
        pytest.param("á" * 71, "á" * 69 + "…", id="non-gsm-accent-is-ucs2"),
        pytest.param("a" * 68 + "😀", "a" * 68 + "😀", id="pair-at-70-fits"),
        pytest.param("a" * 69 + "😀", "a" * 69 + "…", id="pair-at-71-dropped"),
        pytest.param("a" * 68 + "😀b", "a" * 68 + "…", id="pair-before-cut"),
    ],
)
def test_given_sms_text_is_fitted(given: str, expected: str) -> None:
    text = sms_text(case_alert(sms_text=given))

    assert text == expected


@pytest.mark.parametrize(
    "given",
    ["泄" * 200, "a" * 400, "€" * 200, "b" * 60 + "😀" * 40, "^" * 3 + "x" * 300],
    ids=["chinese", "ascii", "extension", "emoji", "mixed-extension"],
)
def test_fitted_text_is_one_part(given: str) -> None:
    text = sms_text(case_alert(sms_text=given))

    if set(text) <= GSM_BASIC | GSM_EXTENSION:
        assert 157 <= gsm_cost(text) <= 160
    else:
        assert 69 <= utf16_units(text) <= 70
    assert "\ufffd" not in text


def test_unpaired_surrogate_is_replaced() -> None:
    assert sms_text(case_alert(sms_text="ok \ud83d")) == "ok \ufffd"


def test_built_text_keeps_case_id_and_deadline() -> None:
    alert = case_alert(title="泄露" * 60, case_id="C-20260302-0007")

    text = sms_text(alert)

    assert text.endswith("… | case C-20260302-0007 | due 10:30")
    assert utf16_units(text) == 70
    assert text.startswith("泄露泄露")


def test_built_text_folds_whitespace_and_skips_missing_parts() -> None:
    alert = case_alert(title="Daily  digest\n for support-2", case_id=None)

    assert sms_text(alert) == "Daily digest for support-2 | due 10:30"


def test_built_english_text_stays_gsm() -> None:
    alert = case_alert(title="Card number read out " * 10, case_id="C-7")

    text = sms_text(alert)

    assert text.endswith("... | case C-7 | due 10:30")
    assert 157 <= gsm_cost(text) <= 160


def test_signature_counts_and_is_never_cut() -> None:
    text = sms_text(case_alert(sms_text="泄" * 70), signature="【红线】")

    assert text == "【红线】" + "泄" * 65 + "…"
    assert utf16_units(text) == 70


# --- configuration ---------------------------------------------------------


@pytest.mark.parametrize("number", [CN_MOBILE, US_NUMBER, "+447400123456"])
def test_check_e164_accepts_valid_numbers(number: str) -> None:
    assert check_e164(number, "team support-2, manager Li") == number


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("8613123456789", "does not start with +"),
        ("+86 131 2345 6789", "not in E.164 form"),
        ("+86-131-2345-6789", "not in E.164 form"),
        ("+86013123456789", "not in E.164 form"),
        ("+8613123456", "not a valid number"),
        ("+999131234567", "not a phone number"),
        ("+86 phone 6789", "not a phone number"),
        (CN_FIXED_LINE, "fixed line"),
        ("", "does not start with +"),
    ],
)
def test_check_e164_rejects_with_a_masked_number(number: str, reason: str) -> None:
    with pytest.raises(ConfigError) as raised:
        check_e164(number, "team support-2, manager Li")

    message = str(raised.value)
    assert message.startswith("team support-2, manager Li: phone ")
    assert reason in message
    digits = "".join(char for char in number if char.isdigit())
    if len(digits) > 4:
        assert digits not in "".join(char for char in message if char.isdigit())
        assert mask_number(number) in message


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        (CN_MOBILE, "+*********6789"),
        (US_NUMBER, "+*******0123"),
        ("  +12015550123 ", "+*******0123"),
        ("12345678", "******78"),
        ("+1234", "+***4"),
        ("", ""),
    ],
)
def test_mask_number(number: str, masked: str) -> None:
    assert mask_number(number) == masked
