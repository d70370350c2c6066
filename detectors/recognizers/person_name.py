"""Person names next to a name cue or next to the person's data.

A name alone is not found: only a name that a cue introduces (户名, 收件人,
姓名, 我叫, "my name is", "Name:", "account holder") or that signs a message
with contact details in it ("Thanks, Laura Hill") or heads a street address
("to Mark Olsen, 4471 Birch Lane, ..."). A Chinese name must start with a
common surname and have one or two given-name characters after it. What
follows the name must end it: punctuation, the end of the text, or a word
such as 电话 or 先生. Where the end of a name is unclear the
candidate is dropped, because precision matters more than recall here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from detectors.recognizers.base import Candidate, Recognizer, Rule, SegmentView
from detectors.recognizers.en_address import find_street_addresses

# Common single-character surnames, simplified then traditional forms.
SINGLE_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田"
    "董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白"
    "邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温"
    "康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝"
    "包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍"
    "华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党"
    "宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑"
    "郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢"
    "劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴"
    "丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌"
    "母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居"
    "揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
    "陳張劉黃楊趙吳孫馬羅鄭謝許韓馮鄧蕭葉蘇呂盧鍾譚陸賈韋鄒賀顧龔萬錢嚴湯"
    "歐龐顏聶關蘭鮑喬莊廣賴畢雲溫傅羅"
)
# Compound surnames, simplified then traditional forms.
COMPOUND_SURNAMES = frozenset(
    (
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "令狐",
        "夏侯",
        "轩辕",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "申屠",
        "呼延",
        "澹台",
        "公冶",
        "宗政",
        "濮阳",
        "淳于",
        "单于",
        "太叔",
        "钟离",
        "闻人",
        "万俟",
        "赫连",
        "拓跋",
        "百里",
        "东郭",
        "歐陽",
        "司馬",
        "諸葛",
        "東方",
        "長孫",
        "軒轅",
        "獨孤",
        "鍾離",
        "聞人",
        "赫連",
    )
)

# Cues right before a Chinese name, longest first so 收件人 beats 收件.
_ZH_CUE = re.compile(
    r"""
    (?:户名|戶名|开户名|開戶名|账户名|帳戶名|开户人|開戶人|持卡人|收件人|收货人|收貨人
      |寄件人|联系人|聯繫人|聯絡人|姓名|我叫|本人|名字叫|名字是)
    (?P<separator>(?:是|为|為|叫)?[:：\s]*)
    """,
    re.VERBOSE,
)
# Words that end a Chinese name when they follow it: the next item of data
# or a title (收件人刘芳电话..., 户名张伟先生).
_ZH_DATA_FOLLOWERS = (
    "电话",
    "電話",
    "手机",
    "手機",
    "联系",
    "聯繫",
    "地址",
    "身份",
    "证件",
    "證件",
    "卡号",
    "卡號",
    "账号",
    "帳號",
    "先生",
    "女士",
    "小姐",
    "同学",
    "老师",
    "谢谢",
    "謝謝",
    "您好",
    "你好",
    "银行",
    "銀行",
    "开户",
    "開戶",
)
# Particles that end a name only after an explicit separator (户名是张伟吗),
# because straight after a cue they show that a plain word follows
# (姓名关联的交易).
_ZH_PARTICLES = (
    "收",
    "的",
    "和",
    "与",
    "與",
    "及",
    "或",
    "就",
    "吧",
    "吗",
    "嗎",
    "呢",
    "啊",
    "了",
    "是",
)
# Common words that start with a surname character and follow name cues
# (收件人信息, 姓名全称).
_ZH_NOT_NAMES = frozenset(
    [
        "信息",
        "全称",
        "全名",
        "全拼",
        "关联",
        "关系",
        "相关",
        "相同",
        "方式",
        "方面",
        "方便",
        "时间",
        "明细",
        "成功",
        "管理",
        "包括",
        "格式",
        "单位",
        "签名",
        "信用",
        "安全",
        "一致",
        "金额",
        "余额",
        "和我",
        "和您",
        "和你",
        "资料",
    ]
)
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{1,8}")

# An English name: two or three title-case words, a middle initial allowed.
_EN_WORD = r"[A-Z]'?[a-z]*[A-Z]?[a-z]+(?:-[A-Z][a-z]+)?"
_EN_NAME = rf"(?P<name>{_EN_WORD}(?:\s[A-Z]\.)?(?:\s{_EN_WORD}){{1,2}})"
# Cues are matched in any case, the name itself only in title case.
_EN_CUE = re.compile(
    rf"""
    (?i:
        \b(?:my\ name\ is|my\ name's|name\ on\ the\ (?:card|account)\ is)\s+
      | \b(?:full\ name|name|recipient|addressee)(?:\s+is\s+|\s*[:：]\s*)
      | \b(?:account\ holder|cardholder|card\ holder)(?:\s+is)?\s*[:：]?\s*
    )
    {_EN_NAME}
    (?![\w'])
    """,
    re.VERBOSE,
)
_EN_SIGN_OFF = re.compile(
    rf"""
    (?i:\b(?:thanks|thank\ you|thx|regards|best\ regards|kind\ regards|best|cheers
          |sincerely|yours))
    ,?\s+
    {_EN_NAME}
    [.!\s]*$
    """,
    re.VERBOSE,
)
_EN_BEFORE_ADDRESS = re.compile(rf"{_EN_NAME},\s*$")
# Capitalised words that start many sign-offs and cues but are no names.
_NOT_NAMES = frozenset(
    [
        "team",
        "support",
        "service",
        "services",
        "customer",
        "customers",
        "care",
        "department",
        "bank",
        "inc",
        "ltd",
        "llc",
        "corp",
        "company",
        "sir",
        "madam",
        "regards",
        "best",
        "thanks",
        "thank",
        "you",
        "hello",
        "hi",
        "dear",
        "mr",
        "mrs",
        "ms",
        "dr",
        "manager",
        "agent",
        "admin",
        "the",
        "and",
        "for",
        "your",
        "my",
        "account",
        "holder",
        "name",
        "not",
        "provided",
        "unknown",
        "please",
        "kind",
        "warm",
        "again",
        "much",
        "so",
        "all",
        "everyone",
        "guys",
        "street",
        "road",
        "avenue",
        "lane",
        "drive",
        "court",
        "apt",
        "suite",
        "unit",
        "to",
        "attn",
        "attention",
        "ship",
        "send",
        "deliver",
        "mail",
        "from",
        "of",
    ]
)
# How far before an address its addressee's name may start, in characters.
_NAME_WINDOW = 80
_CONTACT = re.compile(r"@|[0-9][0-9 ().\-]{5,}[0-9]")


def _zh_name_end(text: str, start: int, separated: bool) -> int | None:
    """Return where a Chinese name starting at `start` ends, or None.

    `separated` is whether a colon, space or 是 stands between the cue and
    the name.
    """
    run = _HAN_RUN.match(text, start)
    if run is None:
        return None
    end = run.end()
    for size in range(1, end - start):
        if text.startswith(_ZH_DATA_FOLLOWERS, start + size):
            end = start + size
            break
        if text.startswith(_ZH_PARTICLES, start + size):
            if not separated:
                return None
            end = start + size
            break
    name = text[start:end]
    if name[:2] in _ZH_NOT_NAMES:
        return None
    if name[:2] in COMPOUND_SURNAMES and 3 <= len(name) <= 4:
        return end
    if name[0] in SINGLE_SURNAMES and 2 <= len(name) <= 3:
        return end
    return None


def _english_name_span(match: re.Match[str]) -> tuple[int, int] | None:
    """Return the span of the name group without leading cue words.

    "To Mark Olsen" loses "To"; what is left must be two or three words
    that are not common capitalised words.
    """
    words = list(re.finditer(r"[^\s]+", match.group("name")))
    while words and words[0].group().lower() in _NOT_NAMES:
        words.pop(0)
    full_words = [w for w in words if not re.fullmatch(r"[A-Z]\.", w.group())]
    if len(full_words) < 2:
        return None
    if any(w.group().lower() in _NOT_NAMES for w in words):
        return None
    offset = match.start("name")
    return offset + words[0].start(), offset + words[-1].end()


RULES = (
    Rule(
        "person_name.chinese_cue",
        "PERSON_NAME",
        "a common surname and one or two given-name characters after a cue "
        "such as 收件人, 户名 or 我叫, ended by punctuation or a data word",
        examples=("收件人：刘芳，电话13812345678", "户名张伟先生", "我叫陈晓明"),
        counter_examples=("收件人信息不全", "姓名关联的交易"),
    ),
    Rule(
        "person_name.chinese_compound_surname",
        "PERSON_NAME",
        "a compound surname such as 欧阳 and one or two given-name characters",
        examples=("开户名是欧阳思远",),
    ),
    Rule(
        "person_name.english_cue",
        "PERSON_NAME",
        "two or three title-case words after my name is, name:, recipient or "
        "cardholder",
        examples=(
            "My name is Nadia Brooks and my card was charged twice",
            "Name: Mark J. Olsen",
            "recipient: Dana O'Brien-Walsh",
        ),
        counter_examples=("my name is not provided", "Name: Customer Support"),
    ),
    Rule(
        "person_name.signature",
        "PERSON_NAME",
        "a name signing off a message that contains contact details",
        examples=("call me on 202-555-0178. Thanks, Nadia Brooks",),
        counter_examples=(
            "Thanks, Nadia Brooks",
            "call me on 202-555-0178. Thanks, Team",
        ),
    ),
    Rule(
        "person_name.addressee",
        "PERSON_NAME",
        "a name followed by a comma and a street address",
        examples=("send it to Owen Castillo, 3308 Alder Way, Fairview, OR 97024",),
    ),
)


class PersonNameRecognizer(Recognizer):
    name = "person_name"
    types = ("PERSON_NAME",)
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        text = view.folded.text
        yield from self._chinese(text)
        yield from self._english(text)

    def _chinese(self, text: str) -> Iterator[Candidate]:
        for cue in _ZH_CUE.finditer(text):
            start = cue.end()
            separated = cue.group("separator") != ""
            end = _zh_name_end(text, start, separated)
            if end is None:
                continue
            yield self._candidate(
                start, end, text, 0.85, "person_name_cue", "name after a name cue"
            )

    def _english(self, text: str) -> Iterator[Candidate]:
        for match in _EN_CUE.finditer(text):
            span = _english_name_span(match)
            if span is not None:
                yield self._candidate(
                    *span, text, 0.8, "person_name_cue", "name after a name cue"
                )
        sign_off = _EN_SIGN_OFF.search(text)
        if sign_off and _CONTACT.search(text, 0, sign_off.start()):
            span = _english_name_span(sign_off)
            if span is not None:
                yield self._candidate(
                    *span,
                    text,
                    0.75,
                    "person_name_signature",
                    "name signing a message that holds contact details",
                )
        for address in find_street_addresses(text):
            window_start = max(0, address.start - _NAME_WINDOW)
            before = _EN_BEFORE_ADDRESS.search(text, window_start, address.start)
            span = _english_name_span(before) if before else None
            if span is not None:
                yield self._candidate(
                    *span,
                    text,
                    0.75,
                    "person_name_addressee",
                    "name heading a street address",
                )

    def _candidate(
        self, start: int, end: int, text: str, confidence: float, rule: str, why: str
    ) -> Candidate:
        value = " ".join(text[start:end].split())
        return Candidate(
            start, end, "PERSON_NAME", "full", value, confidence, rule, why
        )


RECOGNIZERS = [PersonNameRecognizer()]
