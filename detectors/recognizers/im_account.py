"""Messenger accounts: QQ numbers, WeChat ids, Telegram, Line and WhatsApp handles.

An account is only found right after a word that names its messenger (QQ号,
加我微信, vx:, WeChat ID, Telegram @handle). Each messenger has its own id
shape. A QQ number is 5 to 11 digits not starting with 0, and a WeChat id is
6 to 20 letters, digits, underscores or hyphens starting with a letter. A number
given as a WeChat or WhatsApp account is a phone number and stays with the
phone recognizer, so no pure 11-digit mobile number is claimed here, and no
value that continues into an email address (12345678@qq.com).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from detectors.recognizers.base import Candidate, Recognizer, Rule, SegmentView

# Between the messenger word and the id: "号", "是", "is", a colon, spaces.
_JOINER = r"\s*(?:(?:号码?|號碼?|id|ID|账号|帳號|是|为|為|is\b|:|：|-)\s*){0,3}"

_QQ = re.compile(
    rf"""
    (?<![A-Za-z])
    (?:QQ|qq|Qq|扣扣)
    (?!群|空间|邮箱|音乐|会员|钱包|币)   # a group, a blog or mail is not the account
    {_JOINER}
    (?P<id>[1-9][0-9]{{4,10}})
    (?![0-9@\-_A-Za-z]|\.[0-9A-Za-z])     # a sentence's full stop may follow
    """,
    re.VERBOSE,
)
_WECHAT = re.compile(
    rf"""
    (?:微信|威信|薇信|V信|v信|
       (?<![A-Za-z])(?:vx|VX|Vx|wx|WX|Wx|wechat|WeChat|Wechat|WECHAT|weixin)(?![A-Za-z]))
    (?!支付|群|公众号|小程序|红包|转账|钱包)
    {_JOINER}
    (?P<id>[A-Za-z][A-Za-z0-9_\-]{{5,19}})
    (?![A-Za-z0-9_\-@]|\.[0-9A-Za-z])
    """,
    re.VERBOSE,
)
# Telegram and Line usernames: @handle, or a bare handle right after the
# messenger word. WhatsApp accounts are phone numbers, so a WhatsApp
# handle is only an @handle.
_HANDLE = re.compile(
    rf"""
    (?<![A-Za-z])
    (?P<app>telegram|Telegram|TELEGRAM|tg|TG|电报|line|Line|LINE|whatsapp|WhatsApp|Whatsapp)
    (?:\s+(?:id|ID|handle|username|account))?
    {_JOINER}
    (?P<at>@)?
    (?P<id>[A-Za-z][A-Za-z0-9_.]{{2,30}}[A-Za-z0-9_])
    (?![A-Za-z0-9_@])
    """,
    re.VERBOSE,
)
_APP_NAMES = {"telegram": "Telegram", "line": "Line", "whatsapp": "WhatsApp"}
_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# Words that follow a messenger name in a sentence and are not ids.
_NOT_IDS = frozenset(
    [
        "account",
        "accounts",
        "message",
        "messages",
        "number",
        "please",
        "instead",
        "because",
        "support",
        "chat",
        "group",
        "channel",
        "later",
        "today",
        "tomorrow",
    ]
)


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    value: str
    rule: str
    confidence: float
    explanation: str


def _qq_numbers(text: str) -> Iterator[_Found]:
    for match in _QQ.finditer(text):
        number = match.group("id")
        if _CN_MOBILE.fullmatch(number):
            continue  # a mobile number stays a phone number
        start, end = match.span("id")
        yield _Found(start, end, number, "im_qq", 0.9, "QQ number after a QQ cue")


def _has_separator(match: re.Match[str]) -> bool:
    """Return whether a colon, 号, 是 or "id" separates the cue from the id."""
    joined = match.group()[: match.start("id") - match.start()]
    return bool(re.search(r"[:：号號是]|\bid\b|\bID\b", joined))


def _wechat_ids(text: str) -> Iterator[_Found]:
    for match in _WECHAT.finditer(text):
        wechat_id = match.group("id")
        if wechat_id.lower() in _NOT_IDS:
            continue
        # An id of letters alone could be an English word ("微信 please"),
        # so it counts only after an explicit separator or 号.
        if wechat_id.isalpha() and not _has_separator(match):
            continue
        start, end = match.span("id")
        yield _Found(
            start, end, wechat_id, "im_wechat", 0.85, "WeChat id after a WeChat cue"
        )


def _handles(text: str) -> Iterator[_Found]:
    for match in _HANDLE.finditer(text):
        handle = match.group("id")
        app = match.group("app").lower()
        if handle.lower() in _NOT_IDS:
            continue
        at = match.start("at") if match.group("at") else -1
        if at > 0 and text[at - 1].isalnum():
            continue  # line@example.com is an email address
        # "line" and "tg" are everyday words, so a handle without @ needs a
        # separator; WhatsApp accounts are phone numbers unless given as @.
        if at < 0 and (app == "whatsapp" or not _has_separator(match)):
            continue
        start = at if at >= 0 else match.start("id")
        end = match.end("id")
        name = {"tg": "telegram", "电报": "telegram"}.get(app, app)
        title = _APP_NAMES[name]
        yield _Found(
            start,
            end,
            handle.lower(),
            f"im_{name}",
            0.8,
            f"{title} handle after a {title} cue",
        )


RULES = (
    Rule(
        "im_account.qq",
        "IM_ACCOUNT",
        "5 to 11 digits, not starting with 0, after QQ or 扣扣",
        examples=("我的QQ号是 284910375", "qq 50391827", "扣扣：50391827"),
        counter_examples=("QQ群 284910375", "QQ 0123456", "qq 50391827@qq.com"),
    ),
    Rule(
        "im_account.wechat",
        "IM_ACCOUNT",
        "a WeChat id (a letter, then 5 to 19 letters, digits, _ or -) after "
        "微信, vx, wx or WeChat",
        examples=(
            "加我微信 lin_yue_1988",
            "vx: chenhao-2024",
            "WeChat ID: zq_receipts",
        ),
        counter_examples=("微信支付 wx20240501", "加我微信 please", "微信 13812345678"),
    ),
    Rule(
        "im_account.wechat_letters",
        "IM_ACCOUNT",
        "a WeChat id of letters alone, only after a colon, 号, 是 or id",
        examples=("微信号 wangleix",),
        counter_examples=("加我微信 wangleix",),
    ),
    Rule(
        "im_account.telegram",
        "IM_ACCOUNT",
        "a Telegram @handle, or a handle after telegram, tg or 电报 and a separator",
        examples=("telegram @lin_yue88", "tg: morris_k"),
        counter_examples=("tg me later",),
    ),
    Rule(
        "im_account.line",
        "IM_ACCOUNT",
        "a Line @handle, or a handle after line and a separator",
        examples=("line: kmorris", "Line id @yue_lin"),
        counter_examples=("send it to line@example.com", "line kmorris"),
    ),
    Rule(
        "im_account.whatsapp",
        "IM_ACCOUNT",
        "a WhatsApp @handle, because a WhatsApp number stays a phone number",
        examples=("WhatsApp @kmorris",),
        counter_examples=("WhatsApp +44 7911 234567", "whatsapp: kmorris"),
    ),
)


class MessengerAccountRecognizer(Recognizer):
    name = "im_account"
    types = ("IM_ACCOUNT",)
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        text = view.folded.text
        for found in (*_qq_numbers(text), *_wechat_ids(text), *_handles(text)):
            yield Candidate(
                found.start,
                found.end,
                "IM_ACCOUNT",
                "full",
                found.value,
                found.confidence,
                found.rule,
                found.explanation,
            )


RECOGNIZERS = [MessengerAccountRecognizer()]
