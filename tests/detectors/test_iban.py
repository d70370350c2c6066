"""Bank accounts: IBANs proven by stdnum, Chinese accounts by an account keyword."""

from __future__ import annotations

import pytest
from stdnum import iban

from detectors.engine import Detector
from detectors.recognizers import load_recognizers
from detectors.recognizers.base import SegmentView
from detectors.recognizers.iban import BankAccountRecognizer
from detectors.types import Interaction, Segment
from tests.fakedata import card, resident_id


def make_iban(country: str, bban: str) -> str:
    """Return an IBAN with valid check digits for a made-up BBAN."""
    return country + iban.calc_check_digits(country + "00" + bban) + bban


DE = make_iban("DE", "370400440532013870")
GB = make_iban("GB", "BARC20039581234567")
NL = make_iban("NL", "ABNA0417164300")
DE_GROUPED = " ".join(DE[i : i + 4] for i in range(0, len(DE), 4))
DE_WRONG_CHECK = DE[:2] + f"{(int(DE[2:4]) + 1) % 100:02d}" + DE[4:]


def found(text: str) -> list[tuple[str, str, str]]:
    view = SegmentView(Segment(id="s1", speaker="customer", text=text))
    return [
        (c.rule, text[c.start : c.end], c.value)
        for c in BankAccountRecognizer().find(view)
    ]


@pytest.mark.parametrize(
    ("text", "covered", "value"),
    [
        (f"IBAN {DE}", DE, DE),
        (f"收款IBAN：{DE_GROUPED}谢谢", DE_GROUPED, DE),
        (f"please wire it to {GB} today", GB, GB),
        (f"{NL}", NL, NL),
        (f"my iban is {GB.lower()}", GB.lower(), GB),
        (f"{DE_GROUPED} AND MORE", DE_GROUPED, DE),
        (f"IBAN {DE_GROUPED.replace(' ', '-')}", DE_GROUPED.replace(" ", "-"), DE),
    ],
)
def test_ibans_are_found(text: str, covered: str, value: str) -> None:
    assert found(text) == [("bank_account_iban", covered, value)]


@pytest.mark.parametrize(
    "text",
    [
        f"IBAN {DE_WRONG_CHECK}",  # check digits do not match
        f"{GB.lower()}",  # lower case without an IBAN keyword
        f"IBAN {DE[:-1]}",  # one digit short for the German layout
        "It ships with tracking 1ZW4F8A20367154921",  # carrier tracking number
    ],
)
def test_non_ibans_are_ignored(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "covered", "confidence"),
    [
        ("对公账户：110923871650201", "110923871650201", 0.7),
        ("会员您好，请确认对公账户110923871650201", "110923871650201", 0.7),
        (
            "请汇款到账号3301 0401 9283 7465 12，户名王小明",
            "3301 0401 9283 7465 12",
            0.7,
        ),
        ("bank account number 4820017736105", "4820017736105", 0.7),
        ("my bank account number is 73019284", "73019284", 0.7),
        ("账号是802736451902837，麻烦处理", "802736451902837", 0.55),
        ("account no. 20194837261045", "20194837261045", 0.55),
    ],
)
def test_chinese_accounts_after_a_keyword(
    text: str, covered: str, confidence: float
) -> None:
    view = SegmentView(Segment(id="s1", speaker="customer", text=text))
    candidates = list(BankAccountRecognizer().find(view))
    assert [(text[c.start : c.end], c.confidence) for c in candidates] == [
        (covered, confidence)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "我的游戏账号802736451902837被封了",  # a game login
        "会员账号802736451902837",  # a shop membership
        "账号8027364519",  # ten digits without a bank word: a QQ-sized number
        "银行账号7301928",  # seven digits, too short even after a bank word
        "802736451902837",  # no keyword at all
        "订单号802736451902837，账号信息已更新",  # keyword after the number
        f"账号{card('622848', 19)}",  # a Luhn-valid UnionPay card
        f"账号{card('622848', 19)[:-1]}0",  # UnionPay-shaped, fails Luhn
        f"账户{resident_id()}",  # a resident ID
        "账号13912345678",  # a mobile number used as a login
    ],
)
def test_other_numbers_after_account_words_are_ignored(text: str) -> None:
    assert [c for c in found(text) if c[0] == "bank_account_context"] == []


def test_full_width_account_spans_original_characters() -> None:
    text = "对公账户：１１０９２３８７１６５０２０１。"
    assert found(text) == [
        ("bank_account_context", "１１０９２３８７１６５０２０１", "110923871650201")
    ]


def test_proven_card_beats_account_guess_in_the_detector() -> None:
    number = card("622848", 19)
    text = f"银行账号{number}"
    interaction = Interaction(
        id="t1", channel="chat", segments=[Segment("s1", "customer", text)]
    )
    findings = Detector(recognizers=load_recognizers()).detect(interaction).findings
    start = text.index(number)
    end = start + len(number)
    overlapping = [f for f in findings if f.start < end and start < f.end]
    assert [(f.type, text[f.start : f.end]) for f in overlapping] == [
        ("BANK_CARD", number)
    ]
