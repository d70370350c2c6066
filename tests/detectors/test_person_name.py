"""Person names next to a cue or next to the person's data.

Every name, number and address here is made up.
"""

from __future__ import annotations

import pytest

from detectors.recognizers.base import SegmentView
from detectors.recognizers.person_name import (
    COMPOUND_SURNAMES,
    SINGLE_SURNAMES,
    PersonNameRecognizer,
)
from detectors.types import Segment


def found(text: str, language: str = "zh") -> list[tuple[str, str]]:
    """Return (covered text, rule) for each name candidate."""
    view = SegmentView(Segment(id="s1", speaker="customer", text=text), language)
    return [(text[c.start : c.end], c.rule) for c in PersonNameRecognizer().find(view)]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("退款请打到这张卡：6217 0000 1111 2222 333，户名周晓明", "周晓明"),
        ("联系电话139-0000-4821，收件人方婷", "方婷"),
        ("收件人方婷电话13900004821", "方婷"),
        ("户名是張偉嗎", "張偉"),
        ("姓名：欧阳思琪，身份证后四位1234", "欧阳思琪"),
        ("持卡人：司马光明", "司马光明"),
        ("你好，我叫林一帆，想查一下订单", "林一帆"),
        ("本人孙丽，电话13912345678", "孙丽"),
        ("联系人 郑凯先生", "郑凯"),
        ("開戶名：黃志強", "黃志強"),
    ],
)
def test_chinese_names_after_a_cue(text: str, name: str) -> None:
    assert found(text) == [(name, "person_name_cue")]


@pytest.mark.parametrize(
    "text",
    [
        "联系人：王先生",  # a surname and a title, no given name
        "户名不对",  # no surname after the cue
        "我叫车去机场",  # 车 is a surname, but the run is too long to be a name
        "我叫王小明今天来办理",  # the end of the name is unclear
        "姓名和身份证号都要吗",  # a particle after the cue
        "另有一笔与其姓名关联的交易",  # a word starting with a surname character
        "收件人信息填错了",  # a common word after the cue
        "户名周晓明的卡",  # a particle without a separator: the end is unclear
        "我叫王",  # a surname alone
        "客户王小明说",  # no cue
    ],
)
def test_chinese_non_names_are_ignored(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "name", "rule"),
    [
        (
            "Hi, my email changed to wu77@example.org. Phone is 303.555.0142. Thanks, Grace Tanaka",
            "Grace Tanaka",
            "person_name_signature",
        ),
        (
            "Please send the new card to Omar Haddad, 77 Cherry Street, Apt 2, Dayton, OH 45402.",
            "Omar Haddad",
            "person_name_addressee",
        ),
        (
            "To Omar Haddad, 77 Cherry Street, Apt 2, Dayton, OH 45402.",
            "Omar Haddad",
            "person_name_addressee",
        ),
        ("my name is Peter O'Neil and I need help", "Peter O'Neil", "person_name_cue"),
        ("My name is Laura J. Hill.", "Laura J. Hill", "person_name_cue"),
        ("Name: Wei Zhang", "Wei Zhang", "person_name_cue"),
        ("NAME: Wei Zhang", "Wei Zhang", "person_name_cue"),
        ("The account holder is Priya Raman", "Priya Raman", "person_name_cue"),
        ("cardholder: Sean McDonald", "Sean McDonald", "person_name_cue"),
    ],
)
def test_english_names(text: str, name: str, rule: str) -> None:
    assert found(text, "en") == [(name, rule)]


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, Grace Tanaka",  # a sign-off without contact details
        "My name is john smith",  # not in title case
        "my name is Laura",  # a first name alone
        "Thanks, Support Team. Call 555 123 4567",  # not a name
        "The name is Bond Street",  # a street, not a person
        "I want to change the name on the account",  # a cue with no name
        "Regards, Customer Care, phone 555 123 4567",  # a team sign-off
    ],
)
def test_english_non_names_are_ignored(text: str) -> None:
    assert found(text, "en") == []


def test_value_is_the_name_with_single_spaces() -> None:
    view = SegmentView(
        Segment(id="s1", speaker="customer", text="Name:  Wei\u3000Zhang")
    )
    values = [c.value for c in PersonNameRecognizer().find(view)]
    assert values == ["Wei Zhang"]


def test_surname_lists_hold_single_and_compound_surnames() -> None:
    assert all(len(surname) == 1 for surname in SINGLE_SURNAMES)
    assert all(len(surname) == 2 for surname in COMPOUND_SURNAMES)
    assert {"王", "李", "張", "陳"} <= SINGLE_SURNAMES
    assert {"欧阳", "司马", "諸葛"} <= COMPOUND_SURNAMES
