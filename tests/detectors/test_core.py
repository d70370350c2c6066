"""The detector core: normalisation, the first recognizers, forms and policy."""

from __future__ import annotations

import pytest

from detectors.engine import Detector
from detectors.masking import fingerprint, mask_value, masked_excerpt
from detectors.normalize import MappedText, digit_runs, fold_width
from detectors.types import Interaction, Segment
from tests.fakedata import card, resident_id, resident_id_ending_x

ID = resident_id()
ID_X = resident_id_ending_x()
UNIONPAY = card("622848", 19)
VISA = card("4", 16)
MASTERCARD_2 = card("2221", 16)


def detect(text: str, speaker: str = "customer", channel: str = "chat") -> list:
    interaction = Interaction(
        id="t1",
        channel=channel,
        segments=[Segment(id="s1", speaker=speaker, text=text)],
    )
    return Detector(fingerprint_key=b"test-key").detect(interaction).findings


def spans(text: str, speaker: str = "customer") -> list[tuple[str, str, str]]:
    """Return (type, form, covered text) for every finding in `text`."""
    return [(f.type, f.form, text[f.start : f.end]) for f in detect(text, speaker)]


# --- normalisation -------------------------------------------------------


def test_fold_width_keeps_length_and_offsets() -> None:
    text = "身份证：１１０１\u3000２３"
    folded = fold_width(text)
    assert len(folded.text) == len(text)
    assert folded.text == "身份证:1101 23"
    assert folded.original_span(4, 8) == (4, 8)


def test_rewrite_maps_back_to_original() -> None:
    mapped = MappedText.identity("call six one")
    rewritten = mapped.rewrite([(5, 8, "6"), (9, 12, "1")])
    assert rewritten.text == "call 6 1"
    assert rewritten.original_span(5, 8) == (5, 12)


def test_rewrite_rejects_overlapping_pieces() -> None:
    with pytest.raises(ValueError, match="overlap"):
        MappedText.identity("abcdef").rewrite([(0, 3, "x"), (2, 4, "y")])


def test_digit_runs_group_and_check_character() -> None:
    runs = digit_runs(fold_width("卡号6222 0212-3456谢谢，证件11010119900307653X。"))
    assert [r.digits for r in runs] == ["622202123456", "11010119900307653X"]
    assert runs[0].groups == (4, 4, 4)
    assert list(runs[0].group_slices())[0] == (0, 12)


def test_digit_runs_skip_numbers_glued_to_latin_letters() -> None:
    assert digit_runs(fold_width("tracking SF6211354998039 ok")) == []


# --- recognizers -----------------------------------------------------------

RECOGNIZED = [
    # (text, type, form, expected covered text)
    ("电话13800000000谢谢", "PHONE_NUMBER", "full", "13800000000"),
    ("请拨+86 138 0000 0000联系", "PHONE_NUMBER", "full", "+86 138 0000 0000"),
    ("号码166-1234-5678", "PHONE_NUMBER", "full", "166-1234-5678"),
    ("新号段19912345678", "PHONE_NUMBER", "full", "19912345678"),
    ("reach me on (415) 555-0132 please", "PHONE_NUMBER", "full", "(415) 555-0132"),
    (f"身份证号{ID}谢谢", "CN_RESIDENT_ID", "full", ID),
    (f"证件{ID_X.lower()}", "CN_RESIDENT_ID", "full", ID_X.lower()),
    (f"卡号{UNIONPAY}", "BANK_CARD", "full", UNIONPAY),
    (
        f"card {VISA[:4]} {VISA[4:8]} {VISA[8:12]} {VISA[12:]} ok",
        "BANK_CARD",
        "full",
        f"{VISA[:4]} {VISA[4:8]} {VISA[8:12]} {VISA[12:]}",
    ),
    (f"new card {MASTERCARD_2}", "BANK_CARD", "full", MASTERCARD_2),
    (
        "邮箱li.ming+shop@example.com谢谢",
        "EMAIL_ADDRESS",
        "full",
        "li.ming+shop@example.com",
    ),
    ("卡号6222********1234已绑定", "BANK_CARD", "masked", "6222********1234"),
    ("手机138****5678", "PHONE_NUMBER", "masked", "138****5678"),
    ("证件440305********7019", "CN_RESIDENT_ID", "masked", "440305********7019"),
    ("card ending in 4821 is locked", "BANK_CARD", "partial", "4821"),
    ("尾号4821的卡", "BANK_CARD", "partial", "4821"),
]


@pytest.mark.parametrize(("text", "entity", "form", "covered"), RECOGNIZED)
def test_recognized(text: str, entity: str, form: str, covered: str) -> None:
    assert (entity, form, covered) in spans(text)


def test_full_width_id_span_covers_original_characters() -> None:
    wide = ID.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    text = f"身份证：{wide}"
    assert spans(text) == [("CN_RESIDENT_ID", "full", wide)]


NOT_RECOGNIZED = [
    "订单号202685316506739281的物流",
    "快递单号SF6211354998039一直没更新",
    "退款金额7686.63元会原路返回",
    "客服热线400-820-8820，工作时间9点到18点",
    "call us toll free on 1-800-555-0199",
    "timestamp 1712345678901 logged",
    "avatar@2x.png uploaded",
    f"工单号{ID[:17]}",  # 17 digits: not an ID
    f"序列号{UNIONPAY[:-1]}{(int(UNIONPAY[-1]) + 1) % 10}",  # fails Luhn, no card word
]


@pytest.mark.parametrize("text", NOT_RECOGNIZED)
def test_not_recognized(text: str) -> None:
    assert [f for f in detect(text) if f.form == "full"] == []


def test_card_failing_luhn_next_to_card_word_is_low_confidence() -> None:
    broken = UNIONPAY[:-1] + str((int(UNIONPAY[-1]) + 1) % 10)
    findings = detect(f"银行卡号{broken}")
    assert [f.type for f in findings] == ["BANK_CARD"]
    assert findings[0].confidence < 0.7


def test_id_region_code_is_not_a_reason_to_reject() -> None:
    # 99 is no province, but the check character and date are valid.
    unusual = resident_id("99999919870615123")
    assert spans(f"身份证{unusual}") == [("CN_RESIDENT_ID", "full", unusual)]


def test_id_with_impossible_birth_date_is_rejected() -> None:
    assert spans(f"号码{resident_id('33010219871315123')}") == []


# --- behaviours and severity -------------------------------------------------


def test_customer_identifier_is_unmasked_record() -> None:
    (finding,) = detect(f"我的身份证{ID}")
    assert finding.behaviour == "unmasked_record"
    assert finding.severity == "medium"


def test_agent_identifier_is_full_disclosure() -> None:
    (finding,) = detect(f"跟您确认一下，身份证号是{ID}对吗", speaker="agent")
    assert finding.behaviour == "agent_full_disclosure"
    assert finding.severity == "high"


def test_agent_phone_is_not_full_disclosure() -> None:
    (finding,) = detect("您的手机是13800000000吗", speaker="agent")
    assert finding.behaviour == "unmasked_record"


def test_masked_and_partial_raise_no_behaviour() -> None:
    findings = detect("卡号6222********1234，尾号1234", speaker="agent")
    assert {f.form for f in findings} == {"masked", "partial"}
    assert all(f.behaviour is None for f in findings)
    assert all(f.severity == "none" for f in findings)


def test_finding_never_carries_the_value() -> None:
    (finding,) = detect(f"卡号{UNIONPAY}")
    assert UNIONPAY not in repr(finding)
    assert UNIONPAY not in str(finding.to_dict())
    assert finding.masked.endswith(UNIONPAY[-4:])
    assert finding.masked.startswith(UNIONPAY[:4])


# --- masking ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("entity", "value", "masked"),
    [
        ("BANK_CARD", "6222021234567890123", "6222***********0123"),
        ("PHONE_NUMBER", "+8613800001234", "+86138****1234"),
        ("PHONE_NUMBER", "13800001234", "138****1234"),
        ("VERIFICATION_CODE", "482913", "******"),
        ("CARD_CVV", "953", "***"),
        ("EMAIL_ADDRESS", "li.ming@example.com", "l******@example.com"),
        ("IM_ACCOUNT", "1234567", "*****67"),
    ],
)
def test_mask_value(entity: str, value: str, masked: str) -> None:
    assert mask_value(entity, value) == masked


def test_fingerprint_is_keyed_and_stable() -> None:
    first = fingerprint(b"key-one", "BANK_CARD", UNIONPAY)
    assert first == fingerprint(b"key-one", "BANK_CARD", UNIONPAY)
    assert first != fingerprint(b"key-two", "BANK_CARD", UNIONPAY)
    assert UNIONPAY not in first


def test_fingerprint_rejects_empty_key() -> None:
    with pytest.raises(ValueError, match="empty"):
        fingerprint(b"", "BANK_CARD", UNIONPAY)


def test_excerpt_masks_unproven_numbers_too() -> None:
    text = f"卡号{UNIONPAY}，另一张1234567890123，邮箱a.b@example.org"
    start = text.index(UNIONPAY)
    excerpt = masked_excerpt(
        text,
        start,
        start + len(UNIONPAY),
        [(start, start + len(UNIONPAY), "6228***0123")],
        window=60,
    )
    assert UNIONPAY not in excerpt
    assert "1234567890123" not in excerpt
    assert "a.b@example.org" not in excerpt
    assert "6228***0123" in excerpt


def test_excerpt_in_findings_holds_no_value() -> None:
    findings = detect(f"客户说卡号是{UNIONPAY}，手机13800000000")
    assert len(findings) == 2
    for finding in findings:
        assert UNIONPAY not in finding.excerpt
        assert "13800000000" not in finding.excerpt


def test_voice_finding_gets_interpolated_time_range() -> None:
    segment = Segment(
        id="s1", speaker="customer", text=f"卡号{UNIONPAY}", start_ms=1000, end_ms=3100
    )
    report = Detector().detect(Interaction(id="v", channel="voice", segments=[segment]))
    (finding,) = report.findings
    assert finding.start_ms is not None and finding.end_ms is not None
    assert 1000 <= finding.start_ms < finding.end_ms <= 3100
