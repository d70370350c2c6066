"""Concepts: the words and phrasings a risky phrase is built from.

A concept is a set of interchangeable terms in Chinese and English (synonyms,
abbreviations, common misspellings and look-alike characters). Phrase rules
combine concepts, so "报一下验证码", "验证码麻烦念给我" and "read me the code
we texted" all come from two concepts: a request and a one-time code.

Chinese terms are plain text. English terms are lower case and match on word
boundaries; single English words of five letters or more also match with one
typo (see `detectors.phrases.matcher`). A term may be a regular expression
when it starts with `re:`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    name: str
    zh: tuple[str, ...] = ()
    en: tuple[str, ...] = ()

    @property
    def terms(self) -> tuple[str, ...]:
        return self.zh + self.en


def _concepts(*items: Concept) -> dict[str, Concept]:
    return {item.name: item for item in items}


# The term lists are data; one term per line would hide their shape.
# fmt: off
CONCEPTS = _concepts(
    # Asking the customer to tell the agent something.
    Concept(
        "ASK",
        zh=(
            "报", "报一下", "报给我", "说", "说一下", "说下", "念", "念一下", "读", "读一下", "告诉", "告知",
            "提供", "发一下", "发下", "发给我", "发我", "发过来", "给我", "给一下", "回复", "私信", "留", "留下",
            "多少", "是多少", "是什么", "啥", "几位", "输给我", "打出来", "打一下", "拍给我", "拍一下", "截图给我",
            "需要您", "需要你", "麻烦您", "麻烦你", "请您", "请你", "发来",
        ),
        en=(
            "tell me", "give me", "read me", "read out", "read off", "read it",
            "send me", "send over", "send it", "share", "provide", "confirm", "verify",
            "what's", "whats", "what is", "what was", "what are", "may i have",
            "can i have", "could i have", "could i get", "can i get", "let me have",
            "let me know", "i need", "we need", "i'll need", "need your", "type",
            "enter it here", "spell", "repeat", "pass along", "hand over", "text me",
            "dm me", "drop", "post", "paste", "forward", "required", "go ahead with",
            "pop", "put it in here", "stick it in", "shoot me", "type it here",
            "can you give", "could you give", "would you give", "please give",
        ),
    ),
    Concept(
        "OTP",
        zh=(
            "验证码", "校验码", "动态码", "动态密码", "短信码", "短信验证码", "手机验证码", "动态口令", "激活码", "确认码",
            "授权码", "验证马", "验正码", "效验码", "短信里的码", "收到的码",
            "六位数字", "六位数", "6位数字", "那串数字", "那串数", "短信里的数字", "收到的数字",
            "短信上的数字", "手机上的数字", "发给您的数字",
        ),
        en=(
            "verification code", "one-time code", "one time code", "one-time passcode",
            "one time password", "one-time password", "otp", "sms code", "text code",
            "security code we", "code we sent", "code we just sent", "code i sent",
            "code you received", "code you got", "code on your phone", "6-digit code",
            "six-digit code", "six digit code", "4-digit code", "four digit code",
            "confirmation code", "authentication code", "auth code", "2fa code",
            "login code", "access code", "pin we sent", "passcode we sent",
            "code from the text", "code from the sms", "code in the text", "code in the sms",
            "code on the screen", "code on your screen", "code you just got",
            "verification thingy", "digit thing", "six-digit number", "6-digit number",
            "code in the text message", "code in your texts", "from your texts",
            "code the bank sent", "code the app sent", "code they texted", "texted you",
        ),
    ),
    Concept(
        "PASSWORD",
        zh=(
            "密码", "口令", "支付密码", "取款密码", "取款时输的", "取款的时候输的", "输的那四位",
            "输的那六位", "那四位数字", "那六位密码", "登录密码", "交易密码", "网银密码", "查询密码", "pin码", "密马",
            "蜜码", "开机密码", "解锁密码",
        ),
        en=(
            "password", "passcode", "pin", "pin number", "pin code", "passphrase",
            "login details", "login credentials", "credentials", "pw", "pwd",
            "security answer", "secret answer", "online banking login",
        ),
    ),
    Concept(
        "CVV",
        zh=(
            "安全码", "cvv", "cvv2", "cvc", "cvn", "卡背面", "背面三位", "背面的三位", "背后三位", "背面后三位",
            "卡背后", "签名栏", "背面数字",
        ),
        en=(
            "cvv", "cvv2", "cvc", "cvc2", "cvn", "card verification", "security code",
            "back of the card", "back of your card", "three digits on the back",
            "3 digits on the back", "three-digit code", "3-digit code",
        ),
    ),
    # Changing or resetting a secret: legitimate self-service, not a request.
    Concept(
        "SELF_SERVICE",
        zh=(
            "修改密码", "重置密码", "忘记密码", "找回密码", "设置密码", "初始密码", "在页面", "在app", "在 app",
            "在手机上输入", "在网页", "自行", "自己输入", "输入框", "在应用", "官方app",
        ),
        en=(
            "reset your", "reset the", "change your password", "update your password",
            "forgot your", "forgotten", "set up a", "create a new", "new password",
            "in the app", "on the website", "on the page", "on screen", "on the screen",
            "yourself", "self-service", "keypad", "ivr",
        ),
    ),
    Concept(
        "ME",
        zh=(
            "re:加(?:一下|个|下)?我(?![们司])", "re:我(?![们司])的", "re:(?<![们])我(?![们司])",
        ),
        en=(
            "me", "my", "mine", "myself",
        ),
    ),
    Concept(
        "ADD_ME",
        zh=(
            "re:加(?:一下|个|下)?我(?![们司])", "re:添加我(?![们司])", "re:联系我(?![们司])",
            "re:找我(?![们司])", "re:私信我", "re:发(?:给|到)我(?![们司])", "re:打(?:给)?我(?![们司])",
            "re:拨打?我(?![们司])", "re:(?:call|加)我(?![们司])", "re:扫(?:一下)?我",
            "re:留(?:个|下)?我(?![们司])",
        ),
        en=(
            "add me", "text me", "message me", "call me", "ring me", "whatsapp me",
            "dm me", "ping me", "reach me", "contact me", "email me", "find me",
            "hit me up", "send it to me", "send them to me", "send to my", "to my",
            "at my", "on my", "via my", "reach out to me",
        ),
    ),
    Concept(
        "PERSONAL",
        zh=(
            "个人", "私人", "自己的", "私下", "私聊", "工作外", "下班后", "私号", "小号",
        ),
        en=(
            "personal", "private", "own", "cell", "mobile", "home number",
            "after hours", "off the clock", "off-platform", "off platform",
        ),
    ),
    Concept(
        "PRIVATE_APP",
        zh=(
            "微信", "薇信", "威信", "v信", "vx", "wx", "weixin", "qq", "扣扣", "企鹅号", "手机号",
            "手机", "电话", "钉钉", "whatsapp", "telegram", "邮箱", "抖音", "微博", "小红书", "支付宝",
            "二维码",
        ),
        en=(
            "wechat", "whatsapp", "whats app", "telegram", "signal", "line", "viber",
            "instagram", "insta", "facebook", "messenger", "snapchat", "gmail",
            "hotmail", "yahoo", "outlook", "qq", "cell", "cellphone", "mobile",
            "personal email", "personal number", "skype", "discord", "kakaotalk",
            "email", "e-mail", "inbox", "number", "phone",
        ),
    ),
    Concept(
        "OFF_CHANNEL",
        zh=(
            "私聊", "私下联系", "私下沟通", "私下加", "私下聊", "线下联系", "线下沟通", "单独联系", "单独加", "单独聊",
            "不走系统", "不通过系统", "场外", "绕过平台", "别在这里说", "这里不方便说", "这边不方便说", "换个地方聊",
        ),
        en=(
            "off the record", "outside the system", "outside this chat",
            "outside the platform", "outside of the system", "take this offline",
            "continue on whatsapp", "switch to whatsapp", "move this to",
            "talk privately", "chat privately", "between us", "not through the system",
            "bypass the system", "directly with me",
        ),
    ),
    # Writing down, photographing or saving what the customer gave.
    Concept(
        "CAPTURE",
        zh=(
            "截图", "截个图", "截屏", "拍照", "拍下", "拍个照", "拍一下", "照下来", "录屏", "录下来", "复印",
            "扫描一份", "拷贝",
        ),
        en=(
            "screenshot", "screen shot", "screengrab", "snapshot", "snap", "photo of",
            "picture of", "pic of", "photograph", "recorded", "scan of", "copy of",
        ),
    ),
    Concept(
        "WRITE_DOWN",
        zh=(
            "记下", "记在", "记到", "记住", "记一下", "记好", "抄下", "抄在", "抄到", "写下", "写在", "写到",
            "存下", "存在", "存到", "存一下", "存了", "保存", "保存在", "保存到", "备份", "留底", "留个底", "留一份",
            "留存", "收藏", "记录在", "登记在", "记本子",
        ),
        en=(
            "write down", "wrote down", "written down", "jot down", "jotted down",
            "note down", "noted down", "wrote it down", "written it down",
            "jotted it down", "noted it down", "copied it down", "keep a copy",
            "kept a copy", "keep it on file", "saved", "save it", "stored", "store it",
            "kept", "keep your", "copied", "memorised", "memorized", "remember it",
            "re:\\b(?:wrote|written|write|jot|jotted|noted?|copied|scribbled)\\b(?:\\s+[a-z']+){1,4}\\s+down\\b",
        ),
    ),
    Concept(
        "PRIVATE_STORE",
        zh=(
            "本子", "小本", "纸上", "便签", "便利贴", "笔记", "手机里", "手机上", "我手机", "备忘录", "电脑上",
            "电脑里", "我电脑", "表格", "excel", "相册", "u盘", "网盘", "云盘", "文件里", "自己这", "私人",
            "个人",
        ),
        en=(
            "notebook", "notepad", "note pad", "sticky note", "post-it", "post it",
            "my phone", "my laptop", "my computer", "my desktop", "my notes", "a file",
            "spreadsheet", "excel", "my drive", "usb", "on paper", "piece of paper",
            "my own", "personal",
        ),
    ),
    # Keeping something to use it again, which the system should do instead.
    Concept(
        "LATER",
        zh=(
            "下次", "以后", "回头", "方便以后", "下回", "省得再", "不用再报", "不用再发",
        ),
        en=(
            "for later", "for next time", "next time", "won't need to give it again",
            "won't have to give it again", "don't need to give it again",
            "so you don't have to", "so you won't have to", "in future",
            "in the future",
        ),
    ),
    Concept(
        "STRONG_WRITE",
        zh=(
            "记下", "记在", "记到", "记住", "抄下", "抄在", "抄到", "写下", "写在", "留底", "留个底", "记本子",
            "存到我", "存在我", "保存到我", "保存在我",
        ),
        en=(
            "write down", "wrote down", "written down", "jot down", "jotted down",
            "note down", "noted down", "wrote it down", "written it down",
            "jotted it down", "noted it down", "copied it down", "memorised",
            "memorized", "keep a copy", "kept a copy",
            "re:\\b(?:wrote|written|write|jot|jotted|noted?|copied|scribbled)\\b(?:\\s+[a-z']+){1,4}\\s+down\\b",
        ),
    ),
    # Telling the customer to do something themselves, through the system.
    Concept(
        "YOU_DO",
        zh=(
            "请您", "您可以", "麻烦您", "您先", "您自己", "请上传", "上传", "你拍", "请记", "re:(?<![帮给替为])您(?:记|拍|保存|截图)", "你记",
            "请保存", "提醒您", "建议您",
        ),
        en=(
            "please upload", "upload", "you can", "you could", "could you", "you may",
            "please take", "attach", "make a note", "please note", "please keep",
            "keep this", "for your records", "save this",
        ),
    ),
    # The company's own channels, which are not personal ones.
    Concept(
        "OFFICIAL",
        zh=(
            "公众号", "小程序", "官方", "客服号", "服务号", "官网", "我们的", "我司", "本公司", "企业微信客服", "支付",
        ),
        en=(
            "official", "our app", "our website", "our support", "the company",
            "customer service line", "support line", "helpline", "hotline",
        ),
    ),
    Concept(
        "CUSTOMER_DATA",
        zh=(
            "资料", "信息", "卡号", "身份证", "证件", "号码", "手机号", "密码", "照片", "地址", "银行卡", "账号",
            "个人信息", "身份信息", "卡片",
        ),
        en=(
            "your details", "your info", "your information", "your card", "card number",
            "your number", "your id", "your passport", "your license", "your licence",
            "your address", "your account", "your ssn", "your social", "your photo",
            "details", "it", "that", "them",
        ),
    ),
    Concept(
        "FULL",
        zh=(
            "完整", "全部", "所有", "整个", "全号", "全部的", "完整的", "全", "每一位", "18位", "十八位",
        ),
        en=(
            "full", "entire", "whole", "complete", "all the digits", "all 16",
            "all sixteen", "every digit", "the long number",
        ),
    ),
    Concept(
        "IDENT",
        zh=(
            "身份证", "身份证号", "证件号", "银行卡", "卡号", "银行卡号", "信用卡", "账号", "账户", "社保", "护照",
            "驾照", "户口本", "手持身份证", "正反面",
        ),
        en=(
            "card number", "credit card", "debit card", "card", "account number",
            "social security", "ssn", "id number", "passport", "license number",
            "licence number", "bank account", "routing number", "sort code",
        ),
    ),
    Concept(
        "EXTRA_SECRET",
        zh=(
            "母亲的姓名", "母亲姓名", "妈妈的名字", "母亲的名字", "婚前姓", "密保问题", "密保答案", "家庭住址和", "工作单位和",
            "妈妈的手机", "母亲的手机", "父母的电话", "家人的手机", "家人的电话", "配偶的身份证",
        ),
        en=(
            "mother's maiden name", "mothers maiden name", "maiden name",
            "security question", "first pet", "date of birth and",
        ),
    ),
    Concept(
        "TAIL",
        zh=(
            "后四位", "后4位", "末四位", "末4位", "后六位", "后6位", "前六位", "前6位", "前四位", "前4位",
            "最后四位", "最后4位", "后几位", "尾号", "后三位", "中间几位",
        ),
        en=(
            "last four", "last 4", "final four", "final 4", "last six", "last 6",
            "first six", "first 6", "first four", "first 4", "last few digits",
            "last two digits", "last digits", "middle digits", "ending digits",
        ),
    ),
    Concept(
        "ONLY",
        zh=(
            "就行", "即可", "就可以", "就好", "就够了", "就成", "只需要", "只要", "仅需",
        ),
        en=(
            "just", "only", "simply", "that's enough", "that's all i need",
        ),
    ),
    Concept(
        "AGAIN_ASK",
        zh=(
            "再报", "再说", "再提供", "再发", "再念", "再读", "重新报", "重新提供", "重新发", "再来一遍", "再报一遍",
            "重复一遍", "重新输入", "又要报", "再给我", "re:再(?:完整|全部|仔细)?(?:地)?(?:报|说|提供|发|念|读)",
        ),
        en=(
            "re-send", "resend", "re-enter", "give it again", "read it again",
            "say it again", "tell me again", "repeat your", "repeat the",
        ),
    ),
    Concept(
        "AGAIN",
        zh=(
            "再一次", "再次", "又要", "再一遍", "重新",
        ),
        en=(
            "again", "once more", "one more time", "repeat", "re-confirm",
        ),
    ),
)
# fmt: on
