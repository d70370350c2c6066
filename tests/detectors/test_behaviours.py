"""Behaviours across a conversation: phrases, answers, split numbers, repeats."""

from __future__ import annotations

import pytest

from detectors.engine import Detector
from detectors.types import Finding, Interaction, Segment
from tests.fakedata import card, resident_id

ID = resident_id("37020219760811234")
CARD = card("621700", 19)
VISA = card("4", 16)

A, C = "agent", "customer"


def run(*turns: tuple[str, str], channel: str = "chat") -> list[Finding]:
    segments = [
        Segment(id=f"s{number}", speaker=speaker, text=text)
        for number, (speaker, text) in enumerate(turns, start=1)
    ]
    interaction = Interaction(id="c1", channel=channel, segments=segments)
    return Detector().detect(interaction).findings


def behaviours(*turns: tuple[str, str]) -> set[str]:
    return {f.behaviour for f in run(*turns) if f.behaviour}


CONVERSATIONS = [
    # (turns, expected behaviours)
    (
        [(A, "核实身份需要您把短信里的动态码发我一下"), (C, "715302")],
        {"credential_request"},
    ),
    (
        [
            (A, "Could you tell me the verification code from the text message?"),
            (C, "It's 4 4 1 9 0 2"),
        ],
        {"credential_request"},
    ),
    (
        [(A, "麻烦说一下信用卡背面的三位数安全码"), (C, "是二八六")],
        {"credential_request"},
    ),
    (
        [
            (A, "We need your PIN to unlock the card, what is it?"),
            (C, "Not comfortable with that"),
        ],
        {"credential_request"},
    ),
    (
        [(A, "温馨提示：验证码请勿告诉任何人，包括客服"), (C, "好的知道了")],
        set(),
    ),
    (
        [
            (A, "We will never ask for your password or one-time code."),
            (C, "Good to know"),
        ],
        set(),
    ),
    (
        [(C, "刚收到的验证码是903317，这个要填哪里")],
        {"credential_request"},
    ),
    (
        [(A, "系统这边看不到，您加我个人微信吧，我帮您弄"), (C, "好")],
        {"private_channel"},
    ),
    (
        [(A, "Easier if you message me on WhatsApp, my number is +44 7700 900123")],
        {"private_channel"},
    ),
    (
        [(A, "Our support line is open 24/7, you can also email support@example.com")],
        set(),
    ),
    (
        [(C, f"卡号{CARD}"), (A, "好的，我已经把卡号抄在便签上了，下次不用再报")],
        {"unmasked_record", "unauthorised_retention"},
    ),
    (
        [(A, "Let me take a screenshot of your details for later")],
        {"unauthorised_retention"},
    ),
    (
        [(A, "I took a screenshot of your passport page and saved it to my laptop")],
        {"unauthorised_retention"},
    ),
    (
        [(A, "为了办理，请提供完整的银行卡号和身份证号码")],
        {"over_collection"},
    ),
    (
        [
            (
                A,
                "Please give me your entire social security number and your mother's maiden name",
            )
        ],
        {"over_collection"},
    ),
    (
        [(A, "核对身份，报一下您手机号的后四位就可以"), (C, "0385")],
        {"partial_hint"},
    ),
    (
        [(A, "Could you read me the last four digits of the card?"), (C, "7710")],
        {"partial_hint"},
    ),
    (
        [(A, "Your card ending 7710 is active again.")],
        set(),
    ),
    (
        [
            (A, "请提供身份证号"),
            (C, ID),
            (A, "没查到，麻烦再报一遍身份证号码"),
            (C, ID),
        ],
        {"unmasked_record", "redundant_verification"},
    ),
    (
        [
            (A, "What's your card number?"),
            (C, VISA),
            (A, "Hmm, can you say it once more?"),
            (C, VISA),
        ],
        {"unmasked_record", "redundant_verification"},
    ),
]


@pytest.mark.parametrize(("turns", "expected"), CONVERSATIONS)
def test_conversation_behaviours(
    turns: list[tuple[str, str]], expected: set[str]
) -> None:
    assert behaviours(*turns) == expected


def test_code_answer_is_masked_whole() -> None:
    findings = run((A, "您手机上的验证码是多少"), (C, "882016"))
    (code,) = [f for f in findings if f.type == "VERIFICATION_CODE"]
    assert code.segment == "s2"
    assert code.masked == "******"
    assert code.behaviour == "credential_request"


def test_cvv_answer_is_typed_as_cvv() -> None:
    findings = run(
        (A, "please read me the CVV on the back of the card"), (C, "It is 418")
    )
    assert [f.type for f in findings if f.segment == "s2"] == ["CARD_CVV"]


def test_last_four_answer_is_partial_without_behaviour() -> None:
    findings = run((A, "报一下银行卡后四位就行"), (C, "6620"))
    (tail,) = [f for f in findings if f.segment == "s2"]
    assert (tail.type, tail.form, tail.behaviour) == ("BANK_CARD", "partial", None)


def test_agent_own_number_is_private_channel_not_record() -> None:
    findings = run((A, "加我微信138-0013-8000，图片发我"))
    phone = next(f for f in findings if f.type == "PHONE_NUMBER")
    assert phone.behaviour == "private_channel"
    assert phone.severity == "high"


def test_request_with_two_behaviours_reports_both() -> None:
    found = behaviours((A, "请提供完整的身份证号码和取款密码"))
    assert found == {"over_collection", "credential_request"}


def test_card_split_over_two_messages() -> None:
    findings = run((C, f"我的卡是{CARD[:8]}"), (C, CARD[8:]))
    cards = [f for f in findings if f.type == "BANK_CARD"]
    assert [f.segment for f in cards] == ["s1", "s2"]
    assert all(f.form == "full" for f in cards)
    assert cards[0].fingerprint == cards[1].fingerprint
    assert all(f.behaviour == "unmasked_record" for f in cards)


def test_split_number_survives_a_backchannel() -> None:
    findings = run((C, CARD[:10]), (A, "嗯"), (C, CARD[10:]))
    assert sorted(f.segment for f in findings if f.type == "BANK_CARD") == ["s1", "s3"]


def test_unrelated_short_numbers_are_not_joined() -> None:
    findings = run((C, "我买了3件"), (C, "一共花了128元"))
    assert [f for f in findings if f.form == "full"] == []


def test_spoken_card_read_back_by_agent() -> None:
    spoken = " ".join("零一二三四五六七八九"[int(d)] for d in CARD)
    findings = run(
        (C, f"卡号是{spoken}"), (A, f"跟您核对，卡号{spoken}，对吗"), channel="voice"
    )
    cards = {(f.segment, f.behaviour) for f in findings if f.type == "BANK_CARD"}
    assert cards == {("s1", "unmasked_record"), ("s2", "agent_full_disclosure")}


BUSINESS = [
    (A, "那家酒店的前台电话是010-65512345，您可以直接打过去"),
    (A, "The gallery is at 40 Harbour Road and their number is 020 7946 0321"),
    (C, "请问博物馆的地址是哪里"),
]


@pytest.mark.parametrize("turn", BUSINESS)
def test_business_contact_raises_no_case(turn: tuple[str, str]) -> None:
    assert behaviours(turn) == set()


def test_agent_giving_venue_number_on_request_raises_no_case() -> None:
    turns = [(C, "餐厅电话多少"), (A, "是0755-26881234，营业到晚上十点")]
    assert behaviours(*turns) == set()


def test_agent_reading_back_customer_number_still_counts() -> None:
    turns = [(C, "手机13912345678"), (A, "好的，核对一下，13912345678对吗")]
    assert behaviours(*turns) == {"unmasked_record"}


def test_customer_own_number_near_business_word_counts() -> None:
    assert behaviours((C, "我在酒店上班，我的电话13800138000")) == {"unmasked_record"}
