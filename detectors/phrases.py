"""The catalogue of risky agent phrases, one data entry per phrase family.

Each `PhraseRule` names the behaviour its phrases show. Patterns are regular
expressions matched on the folded, lower-cased text of an agent's segment;
a match inside a clause that negates it ("请勿透露密码", "never share your
PIN") does not count. Adding a phrase family is adding an entry here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Request verbs and the gap allowed between a verb and its object, in Chinese.
_ZH_ASK = r"(?:报|说|念|读|告诉|提供|发|给|输入|填|确认|核对|拍|传)"
_ZH_GAP = r"[^。？！?!\n]{0,12}"
_EN_GAP = r"[^.?!\n]{0,40}"
_EN_ASK = (
    r"(?:what'?s|what\ is|tell\ me|give\ me|read\ (?:me|out|off)|send\ (?:me|over)"
    r"|share|provide|confirm|i\ need|we\ need|can\ you\ (?:give|tell|read|send|share"
    r"|provide|confirm)|could\ you\ (?:give|tell|read|send|share|provide|confirm)"
    r"|may\ i\ have|please\ (?:give|send|share|provide|read|tell))"
)

# Words that turn a request into a warning: "请勿透露验证码", "never share".
NEGATION = re.compile(
    r"请勿|切勿|不要|别|不会|无需|不需要|绝不|不得|严禁|谨防|never|don'?t|do not|won'?t"
    r"|will not|not ask|no one|nobody|should not|shouldn'?t"
)


@dataclass(frozen=True)
class PhraseRule:
    """A family of risky agent phrases.

    `secret` names the secret type a customer's answer to the phrase would
    be (VERIFICATION_CODE, CARD_CVV or PASSWORD); `asks_for` names the
    identifier a request is about, so a repeated request can be recognised.
    """

    name: str
    behaviour: str
    patterns: tuple[str, ...]
    secret: str | None = None
    asks_for: str | None = None
    compiled: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        compiled = tuple(re.compile(p, re.VERBOSE) for p in self.patterns)
        object.__setattr__(self, "compiled", compiled)


_OTP_ZH = r"(?:验证码|校验码|动态码|动态密码|短信码|动态口令|激活码|otp)"
_OTP_EN = (
    r"(?:one[\ -]time\ (?:pass)?code|verification\ code|security\ code\ we|otp"
    r"|sms\ code|text(?:ed)?\ code|(?:\d|four|six|eight)[\ -]digit\ code"
    r"|code\ (?:we|i)\ (?:just\ )?sent|the\ code\ (?:you|on\ your)|passcode)"
)
_PASSWORD_ZH = r"(?:密码|口令|pin码|pin)"
_PASSWORD_EN = r"(?:password|passcode|pin\b|pin\ number|login\ details|credentials)"
_CVV_ZH = r"(?:安全码|cvv2?|cvc|校验位|卡背面[^。？！]{0,6}(?:三|3|四|4)位)"
_CVV_EN = r"(?:cvv2?|cvc|security\ code\ on\ the\ back|three[\ -]digit\ code\ on\ the\ back|card\ security\ code)"

RULES: tuple[PhraseRule, ...] = (
    PhraseRule(
        "ask_one_time_code",
        "credential_request",
        (
            rf"{_OTP_ZH}{_ZH_GAP}(?:是多少|多少|{_ZH_ASK})",
            rf"{_ZH_ASK}{_ZH_GAP}{_OTP_ZH}",
            rf"{_EN_ASK}{_EN_GAP}{_OTP_EN}",
            rf"{_OTP_EN}{_EN_GAP}(?:please|\?)",
        ),
        secret="VERIFICATION_CODE",
    ),
    PhraseRule(
        "ask_password",
        "credential_request",
        (
            rf"{_PASSWORD_ZH}{_ZH_GAP}(?:是多少|多少|是什么|{_ZH_ASK})",
            rf"{_ZH_ASK}{_ZH_GAP}{_PASSWORD_ZH}",
            rf"{_EN_ASK}{_EN_GAP}{_PASSWORD_EN}",
        ),
        secret="PASSWORD",
    ),
    PhraseRule(
        "ask_card_security_code",
        "credential_request",
        (
            rf"{_CVV_ZH}{_ZH_GAP}(?:是多少|多少|{_ZH_ASK})",
            rf"{_ZH_ASK}{_ZH_GAP}{_CVV_ZH}",
            rf"{_EN_ASK}{_EN_GAP}{_CVV_EN}",
        ),
        secret="CARD_CVV",
    ),
    PhraseRule(
        "move_to_private_channel",
        "private_channel",
        (
            r"加(?:一下)?我(?:的)?(?:个人|私人)?(?:微信|vx|wx|v信|薇信|qq|企鹅|whatsapp|电话|手机)",
            r"(?:我的|我)(?:个人|私人)?(?:微信号?|vx|wx|qq号?)(?:是|:|：)",
            r"私聊|私下(?:联系|沟通|加|聊|说)|单独(?:联系|加)我|线下(?:联系|沟通)我",
            r"(?:发|传|寄)(?:到|给)我(?:的)?(?:个人|私人)?(?:微信|qq|邮箱|手机|电话)",
            r"(?:打|拨|联系)我(?:的)?(?:私人|个人)(?:电话|手机|号码)",
            r"我(?:的)?(?:私人|个人)(?:电话|手机|号码|微信|邮箱)",
            r"扫(?:一下)?我(?:的)?(?:个人)?(?:微信)?二维码",
            r"(?:text|message|call|whatsapp|email|dm|ping|add|reach)\ me\ (?:directly\ )?"
            r"(?:on|at|via)\ (?:my\ )?(?:personal|private|own|cell|whatsapp|wechat|telegram"
            r"|signal|gmail|hotmail|yahoo|line)",
            r"to\ my\ (?:cell|personal|private|own)\b",
            r"my\ (?:personal|private)\ (?:email|phone|number|cell|mobile|whatsapp|wechat"
            r"|line|account)",
            r"(?:off\ the\ record|outside\ (?:the|this)\ (?:system|platform|chat))",
        ),
    ),
    PhraseRule(
        "keep_customer_data",
        "unauthorised_retention",
        (
            r"截(?:个|了|一下)?图(?:保存|存|留|下来|发)",
            r"(?:拍|照)(?:个|了|一下)?(?:照|相|下来)(?:保存|存|留)",
            r"(?:记|抄|写)(?:在|到|下来?在?)(?:我的?)?(?:本子|纸|便签|笔记本?|小本|手机|备忘录|电脑|表格)",
            r"(?:记|抄)下来了",
            r"(?:存|保存|备份|留)(?:在|到)(?:我的?)?(?:手机|电脑|本地|个人|u盘|网盘|相册)",
            r"(?:帮您|给您|我)(?:先)?(?:存|记|留)(?:一下|下来|个底)?(?:您的)?"
            r"(?:卡号|身份证|证件|号码|资料|信息|密码)",
            r"留(?:个|一)?(?:底|备份)",
            r"(?:wrote|written|write|jot(?:ted)?|noted?|noting|copied|copy)\ "
            r"(?:it|that|them|this|your\ [a-z]+(?:\ [a-z]+)?)\ down",
            r"(?:saved?|keep|kept|stored?|copied)\ [^.?!\n]{0,30}\ (?:on|to|in)\ (?:my|a)\ "
            r"(?:phone|notebook|notepad|laptop|desktop|computer|file|spreadsheet|sticky\ note"
            r"|drive|notes)",
            r"(?:took|take|taking)\ a\ (?:screenshot|photo|picture)\ of\ (?:it|that|your)",
            r"keep\ (?:a\ copy|it\ on\ file|your\ (?:card|details|number)\ on\ file)",
            r"won'?t\ need\ to\ give\ it\ (?:to\ me\ )?again",
        ),
    ),
    PhraseRule(
        "ask_full_identifier",
        "over_collection",
        (
            r"(?:完整|全部|整个|所有|全)(?:的)?(?:身份证|银行卡|卡号|证件号|账号|社保)",
            r"(?:full|entire|whole|complete)\ (?:card|credit\ card|debit\ card|account"
            r"|social\ security|ssn|id|passport)\ ?(?:number)?",
            r"mother'?s\ maiden\ name|母亲(?:的)?(?:姓名|名字)",
        ),
    ),
    PhraseRule(
        "ask_part_of_identifier",
        "partial_hint",
        (
            r"(?:后|末)(?:四|4|六|6|三|3)位(?:数字|号码)?(?:就行|即可|就可以|是多少|多少)",
            rf"{_ZH_ASK}{_ZH_GAP}(?:后|末|前)(?:四|4|六|6)位",
            r"(?:just|only)\ (?:give|tell|read|need)\ (?:me\ )?the\ (?:last|first)\ "
            r"(?:four|4|six|6|few)",
            rf"{_EN_ASK}{_EN_GAP}(?:last|first)\ (?:four|4|six|6)\ (?:digits|numbers)",
        ),
    ),
    PhraseRule(
        "ask_again",
        "redundant_verification",
        (
            r"(?:再|重新)(?:报|说|提供|发|输入|念|读|确认|核对)(?:一遍|一次|一下)?[^。？！]{0,8}"
            r"(?:身份证|卡号|银行卡|证件|手机号|号码|密码|验证码)",
            r"(?:身份证|卡号|银行卡|证件|手机号|号码)[^。？！]{0,8}(?:再|重新)(?:报|说|提供|发)(?:一遍|一次)",
            r"(?:card|id|account|social\ security|phone)\ (?:number\ )?again",
            r"(?:repeat|give\ me|read|tell\ me)\ (?:your|the)\ (?:full\ )?(?:card|id|account"
            r"|social\ security|phone)\ (?:number\ )?(?:again|one\ more\ time|once\ more)",
        ),
    ),
)
