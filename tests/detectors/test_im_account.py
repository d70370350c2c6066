"""Messenger accounts: QQ numbers, WeChat ids and @handles after their cue.

Every account and number here is made up.
"""

from __future__ import annotations

import pytest

from detectors.engine import Detector
from detectors.recognizers.base import SegmentView
from detectors.recognizers.im_account import MessengerAccountRecognizer
from detectors.recognizers.phone import PhoneRecognizer
from detectors.types import Interaction, Segment


def found(text: str) -> list[tuple[str, str, str]]:
    """Return (covered text, value, rule) for each account candidate."""
    view = SegmentView(Segment(id="s1", speaker="agent", text=text), "zh")
    return [
        (text[c.start : c.end], c.value, c.rule)
        for c in MessengerAccountRecognizer().find(view)
    ]


@pytest.mark.parametrize(
    ("text", "covered", "value", "rule"),
    [
        ("加我QQ：384756291，晚上联系", "384756291", "384756291", "im_qq"),
        ("我的qq是 1029384756", "1029384756", "1029384756", "im_qq"),
        ("扣扣号：5566778", "5566778", "5566778", "im_qq"),
        ("QQ号码为９８７６５４３２", "９８７６５４３２", "98765432", "im_qq"),
        ("微信号：lihua_0923", "lihua_0923", "lihua_0923", "im_wechat"),
        ("加我vx abc_98765谢谢", "abc_98765", "abc_98765", "im_wechat"),
        ("wx: zhangwei88", "zhangwei88", "zhangwei88", "im_wechat"),
        ("my wechat is: lin_yue2024.", "lin_yue2024", "lin_yue2024", "im_wechat"),
        ("my qq is 12345678.", "12345678", "12345678", "im_qq"),
        ("Line ID: mei.lin88.", "mei.lin88", "mei.lin88", "im_line"),
        ("我微信是SunnyDay", "SunnyDay", "SunnyDay", "im_wechat"),
        ("WeChat ID: tom-li2020", "tom-li2020", "tom-li2020", "im_wechat"),
        ("telegram @Cool_Cat_77", "@Cool_Cat_77", "cool_cat_77", "im_telegram"),
        ("tg: @dev_anna", "@dev_anna", "dev_anna", "im_telegram"),
        ("Telegram: coolcat", "coolcat", "coolcat", "im_telegram"),
        ("my line id: mei.lin88", "mei.lin88", "mei.lin88", "im_line"),
        ("whatsapp @someone_here", "@someone_here", "someone_here", "im_whatsapp"),
    ],
)
def test_accounts_are_found(text: str, covered: str, value: str, rule: str) -> None:
    assert found(text) == [(covered, value, rule)]


@pytest.mark.parametrize(
    "text",
    [
        "这个问题不方便说，我们私聊吧，加我QQ",  # the cue without an account
        "QQ号多少",  # a question
        "qq邮箱1029384756@qq.com",  # an email address
        "加QQ群583920174",  # a group number
        "充值QQ币500元",  # QQ coins
        "我的QQ号13812345678",  # a mobile number stays a phone number
        "加我微信152-5124-0450",  # a phone number given as a WeChat account
        "微信支付单号4200001234567890",  # a payment number
        "微信 please add me",  # an English word after the cue
        "微信号0abc123",  # an id must start with a letter
        "the line is busy",  # line as a word
        "line@example.com",  # an email address
        "WhatsApp +1 415 555 0100",  # a phone number
        "Telegram coolcat",  # a bare handle without a separator
        "my telegram is johnny",  # "is" is no separator for a bare handle
        "WeChat is awesome",  # nor for an id of letters alone
        "QQ 2号",  # too few digits
        "QQ等级12345.6",  # a decimal number
        "qq 12345678.com",  # a domain
    ],
)
def test_non_accounts_are_ignored(text: str) -> None:
    assert found(text) == []


def test_mobile_given_as_wechat_is_a_phone_number() -> None:
    text = "您加我微信13900004821，把身份证拍给我"
    interaction = Interaction(
        id="i1", channel="chat", segments=[Segment(id="s1", speaker="agent", text=text)]
    )
    detector = Detector(recognizers=[PhoneRecognizer(), MessengerAccountRecognizer()])
    findings = detector.detect(interaction).findings
    assert [(f.type, text[f.start : f.end]) for f in findings] == [
        ("PHONE_NUMBER", "13900004821")
    ]
