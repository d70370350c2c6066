"""Inputs that trip naive detectors: groupings, timestamps, emoji, notes, words."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from stdnum import luhn

from detectors.engine import Detector
from detectors.types import Finding, Interaction, Segment
from tests.fakedata import card, resident_id

ROOT = Path(__file__).resolve().parents[2]
VISA = card("4", 16)
ID = resident_id("42010619850317451")


def detect(text: str, speaker: str = "customer", **extra: object) -> list[Finding]:
    segment = Segment(id="s1", speaker=speaker, text=text, extra=dict(extra))
    interaction = Interaction(id="h", channel="chat", segments=[segment])
    return Detector(fingerprint_key=b"k").detect(interaction).findings


def full(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.type, f.form) for f in findings if f.form == "full"]


def test_four_digit_groups_are_a_card() -> None:
    grouped = " ".join(VISA[i : i + 4] for i in range(0, 16, 4))
    assert full(detect(f"card {grouped}")) == [("BANK_CARD", "full")]


def test_two_digit_groups_are_not_a_card() -> None:
    pairs = " ".join(VISA[i : i + 2] for i in range(0, 16, 2))
    assert full(detect(f"scores {pairs}")) == []


def test_card_inside_long_waybill_is_not_a_card() -> None:
    waybill = "SF" + VISA + "731029384756"
    assert full(detect(f"运单 {waybill[2:]} 已签收")) == []


def test_millisecond_timestamp_passing_luhn_is_not_a_card() -> None:
    stamp = next(
        str(n)
        for n in range(1_733_000_000_000, 1_733_000_000_100)
        if luhn.is_valid(str(n))
    )
    assert full(detect(f"event at {stamp} logged")) == []


def test_offsets_after_emoji_are_string_indices() -> None:
    text = f"😀👍 身份证{ID}谢谢"
    (finding,) = detect(text)
    assert text[finding.start : finding.end] == ID


def test_number_that_reads_several_ways_gives_one_finding() -> None:
    findings = detect(f"号码{ID}")
    assert len([f for f in findings if f.form == "full"]) == 1


def test_agent_internal_note_is_record_not_disclosure() -> None:
    (finding,) = detect(f"客户身份证{ID}", speaker="agent", public=False)
    assert finding.behaviour == "unmasked_record"


def test_phone_mask_keeps_the_written_form() -> None:
    (finding,) = detect("我的手机 138 0013 8000")
    assert finding.masked == "138****8000"
    assert finding.fingerprint


def test_same_phone_written_two_ways_has_one_fingerprint() -> None:
    first = detect("手机13800138000")[0]
    second = detect("phone +86 138 0013 8000")[0]
    assert first.fingerprint == second.fingerprint


def test_spoken_email() -> None:
    text = "you can reach me at wang dot lei underscore 88 at gmail dot com thanks"
    (finding,) = [f for f in detect(text) if f.type == "EMAIL_ADDRESS"]
    assert (
        text[finding.start : finding.end]
        == "wang dot lei underscore 88 at gmail dot com"
    )
    assert finding.masked.endswith("@gmail.com")


def test_ordinary_at_sentence_is_not_an_email() -> None:
    assert detect("we met at the cafe dot matrix printer") == []


def test_name_alone_raises_no_case() -> None:
    findings = detect("您好，我叫李晓东")
    assert all(f.behaviour is None for f in findings)


def test_name_next_to_phone_raises_a_case() -> None:
    findings = detect("收件人李晓东，电话13800138000")
    assert {f.type for f in findings if f.behaviour} == {"PERSON_NAME", "PHONE_NUMBER"}


def test_spaced_masked_card_is_one_masked_value() -> None:
    findings = detect("卡号 6228 **** **** 9092", speaker="agent")
    assert [(f.type, f.form) for f in findings] == [("BANK_CARD", "masked")]


def test_explanation_names_checksum_and_context() -> None:
    (finding,) = detect(f"银行卡号{VISA}")
    assert "Luhn" in finding.explanation
    assert "context: 银行卡" in finding.explanation


@pytest.mark.parametrize(
    "expression",
    [
        "'1 ' * 60000",
        "'6222 ' * 30000",
        "'a.' * 60000 + '@'",
        "('a' * 60 + '.') * 2000 + 'com'",
        "'*' * 120000",
        "'一' * 120000",
        "'请把验证码告诉我，' * 12000",
        "'电话13800000000谢谢 卡号6222020000000000 ' * 3000",
    ],
)
def test_pathological_input_finishes(expression: str) -> None:
    # Run in a child process so a regression shows up as a timeout, not a
    # test run that never ends.
    script = textwrap.dedent(
        f"""
        from detectors.engine import Detector
        from detectors.types import Interaction, Segment
        text = {expression}
        for speaker in ("customer", "agent"):
            segment = Segment(id="s", speaker=speaker, text=text)
            Detector().detect(Interaction(id="p", channel="chat", segments=[segment]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, timeout=240, capture_output=True
    )
    assert result.returncode == 0, result.stderr.decode()[-500:]


@pytest.mark.parametrize(
    "text",
    [
        "Please don't send your password here. It's a scam if anyone asks.",
        "please never post your PIN here, thanks",
        "For security, don't share the password with me.",
        "my password is here somewhere, hold on",
    ],
)
def test_password_warnings_are_not_secrets(text: str) -> None:
    assert [f for f in detect(text) if f.type == "PASSWORD"] == []


@pytest.mark.parametrize(
    ("text", "covered"),
    [("验证码 385 921", "385 921"), ("验证码是：三八五九二一", "三八五九二一")],
)
def test_spaced_and_spoken_codes(text: str, covered: str) -> None:
    (finding,) = [f for f in detect(text) if f.type == "VERIFICATION_CODE"]
    assert text[finding.start : finding.end] == covered


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("您身份证后四位是3219", "CN_RESIDENT_ID"),
        ("尾号4190的手机已经绑定成功", "PHONE_NUMBER"),
        ("尾号4190的卡已经解冻", "BANK_CARD"),
    ],
)
def test_tail_type_follows_nearest_words(text: str, entity: str) -> None:
    assert [(f.type, f.form) for f in detect(text, speaker="agent")] == [
        (entity, "partial")
    ]


def test_return_address_of_a_company_raises_no_case() -> None:
    text = "请将退货寄到：深圳市南山区科技园科苑路15号 某某科技有限公司售后部"
    assert all(f.behaviour is None for f in detect(text, speaker="agent"))


def test_agent_stating_customer_phone_is_a_record() -> None:
    (finding,) = detect("客户手机号：15867234190，已核实", speaker="agent")
    assert finding.behaviour == "unmasked_record"


def test_phrase_suggestion_is_advice_not_the_phrase() -> None:
    findings = detect("把收到的验证码报给我", speaker="agent")
    (phrase,) = [f for f in findings if f.type == "RISKY_PHRASE"]
    assert "Never ask for passwords" in phrase.suggestion
