"""Tables for the Chinese address recognizer: levels, suffixes and names.

Every table is written in simplified characters. The recognizer maps the text
through `TRADITIONAL_TO_SIMPLIFIED` (one character for one, so offsets keep)
before it looks anything up, which is how traditional spellings such as 區,
號, 樓 and 廣東 are found. Prefecture and county names come from
python-stdnum's administrative-division table, not from here.
"""

from __future__ import annotations

from enum import IntEnum


class Level(IntEnum):
    """Address levels, from the largest area to the smallest.

    The parts of an address appear in this order. `SECTION`, `LANE` and
    `ALLEY` are the numbered 段, 巷 and 弄 between a road and a house number
    (Taiwan's 忠孝東路四段100巷5弄, Shanghai's 1088弄).
    """

    PROVINCE = 0
    CITY = 1
    DISTRICT = 2
    TOWN = 3
    VILLAGE = 4
    ROAD = 5
    SECTION = 6
    LANE = 7
    ALLEY = 8
    NUMBER = 9
    COMPOUND = 10
    BUILDING = 11
    UNIT = 12
    FLOOR = 13
    ROOM = 14


# Provincial-level divisions: the full name and the short name people write
# without the suffix (广东深圳市, 北京朝阳区).
PROVINCES: tuple[tuple[str, str], ...] = (
    ("北京市", "北京"),
    ("天津市", "天津"),
    ("上海市", "上海"),
    ("重庆市", "重庆"),
    ("河北省", "河北"),
    ("山西省", "山西"),
    ("辽宁省", "辽宁"),
    ("吉林省", "吉林"),
    ("黑龙江省", "黑龙江"),
    ("江苏省", "江苏"),
    ("浙江省", "浙江"),
    ("安徽省", "安徽"),
    ("福建省", "福建"),
    ("江西省", "江西"),
    ("山东省", "山东"),
    ("河南省", "河南"),
    ("湖北省", "湖北"),
    ("湖南省", "湖南"),
    ("广东省", "广东"),
    ("海南省", "海南"),
    ("四川省", "四川"),
    ("贵州省", "贵州"),
    ("云南省", "云南"),
    ("陕西省", "陕西"),
    ("甘肃省", "甘肃"),
    ("青海省", "青海"),
    ("台湾省", "台湾"),
    ("内蒙古自治区", "内蒙古"),
    ("广西壮族自治区", "广西"),
    ("西藏自治区", "西藏"),
    ("宁夏回族自治区", "宁夏"),
    ("新疆维吾尔自治区", "新疆"),
    ("香港特别行政区", "香港"),
    ("澳门特别行政区", "澳门"),
)

# Suffixes of the named levels, longest first within a level. 市 is both a
# prefecture-level city and a county-level city (苏州市昆山市). 新区 and
# 开发区 are districts of their own (浦东新区) or areas inside one
# (道里区群力新区), so they are suffixes at both levels.
NAMED_SUFFIXES: dict[Level, tuple[str, ...]] = {
    Level.CITY: ("自治州", "地区", "市", "州", "盟"),
    Level.DISTRICT: ("自治县", "自治旗", "新区", "区", "县", "旗", "市"),
    Level.TOWN: ("开发区", "街道", "新区", "镇", "乡"),
    Level.VILLAGE: ("社区", "嘎查", "村"),
    Level.ROAD: (
        "大道",
        "大街",
        "胡同",
        "巷子",
        "路",
        "街",
        "巷",
        "弄",
        "道",
        "段",
    ),
    Level.COMPOUND: (
        "小区",
        "花园",
        "家园",
        "新村",
        "公寓",
        "大厦",
        "广场",
        "公馆",
        "山庄",
        "别墅",
        "宿舍",
        "大院",
        "苑",
        "园",
        "城",
        "府",
        "庭",
        "湾",
        "阁",
        "轩",
        "居",
        "邸",
        "坊",
    ),
}

# Minimum and maximum name length before a suffix, for names in no table.
NAME_LENGTHS: dict[Level, tuple[int, int]] = {
    Level.CITY: (2, 6),
    Level.DISTRICT: (2, 6),
    Level.TOWN: (2, 6),
    Level.VILLAGE: (2, 6),
    Level.ROAD: (2, 8),
    Level.COMPOUND: (2, 10),
}

# Suffixes after a number (491号, 24栋, 1单元, 1401室), longest first. 号 has
# no fixed level: it is the house number after a road, the building after a
# compound and the room after a unit, so the recognizer places it.
NUMBERED_SUFFIXES: dict[str, Level] = {
    "号楼": Level.BUILDING,
    "号院": Level.NUMBER,
    "号房": Level.ROOM,
    "单元": Level.UNIT,
    "号": Level.NUMBER,
    "段": Level.SECTION,
    "巷": Level.LANE,
    "弄": Level.ALLEY,
    "组": Level.NUMBER,
    "栋": Level.BUILDING,
    "幢": Level.BUILDING,
    "座": Level.BUILDING,
    "层": Level.FLOOR,
    "楼": Level.FLOOR,
    "室": Level.ROOM,
    "房": Level.ROOM,
}

# Characters after 号 that make it no house number: 2号线 (metro line), 3号窗口.
NOT_HOUSE_NUMBER_FOLLOWERS = ("线", "码", "窗", "位", "床", "机", "台", "车", "店")

# Characters that never occur in a place name, so a name cannot run across
# them: particles, pronouns and the verbs that lead into an address.
NON_NAME_CHARS = frozenset(
    "的是在了吗呢吧啊呀哦嗯么您你我他她它们这哪请把被让想要帮给过着"
    "与或及址改换变写填寄送往到住搬为叫说话"
)

# Words right before an address. Their characters cannot start a name
# either: 改成 makes 成上海市 impossible while 成都市 stays a city.
LEAD_IN_WORDS = (
    "地址",
    "住址",
    "改成",
    "换成",
    "变成",
    "写成",
    "填成",
    "改为",
    "寄到",
    "寄至",
    "寄往",
    "送到",
    "送至",
    "发到",
    "发往",
    "搬到",
    "住在",
    "家住",
    "位于",
    "放到",
    "放在",
    "邮到",
    "快递",
    "麻烦",
    "帮忙",
    "一下",
    "谢谢",
    "您好",
    "你好",
)

# Context words showing that a person lives or receives mail at the address.
# A bare 地址 is not enough, because sights and shops have addresses too. The
# recognizer accepts a 地址： label only in a customer's message.
PERSONAL_CONTEXT = (
    "收货",
    "收件",
    "寄到",
    "寄给",
    "送到",
    "送货",
    "配送",
    "派送",
    "邮寄",
    "快递",
    "住址",
    "家住",
    "住在",
    "居住",
    "现居",
    "现住",
    "户籍",
    "户口",
    "我家",
    "家里",
    "我的地址",
    "新地址",
    "家庭地址",
    "通讯地址",
    "通信地址",
    "联系地址",
    "居住地址",
    "常住地址",
    "身份证地址",
)

# Words right after an address that name it as someone's home: 在…号居住,
# …号居民.
PERSONAL_CONTEXT_AFTER = ("居住", "居民", "住户")

# Context words showing that the address belongs to a business or a sight.
BUSINESS_CONTEXT = (
    "门店",
    "店铺",
    "本店",
    "分店",
    "营业厅",
    "网点",
    "专卖店",
    "旗舰店",
    "服务中心",
    "维修点",
    "总部",
    "公司地址",
    "办公地址",
    "退货地址",
    "寄回地址",
    "酒店",
    "宾馆",
    "饭店",
    "餐厅",
    "餐馆",
    "景点",
    "博物馆",
    "仓库",
    "商场",
    "购物中心",
    "市场",
    "超市",
    "写字楼",
    "它的地址",
    "它地址",
    "该店",
)

# Traditional characters of place names, address words and the context words
# above, each with its simplified form. Pairs of characters: traditional
# first. The list covers what addresses use, not the whole script.
_TRADITIONAL_PAIRS = (
    "區区縣县號号樓楼鎮镇鄉乡廣广場场單单層层棟栋園园廈厦閣阁軒轩灣湾莊庄"
    "東东龍龙蘇苏貴贵雲云陝陕肅肃內内寧宁維维爾尔門门慶庆臺台遼辽壯壮別别"
    "衚胡衕同嶺岭達达義义開开發发興兴陽阳華华濱滨瀋沈鄭郑漢汉橋桥環环際际"
    "國国豐丰長长鳳凤廠厂館馆專专業业戶户雙双葉叶鄰邻裡里裏里廳厅鐵铁線线"
    "島岛濟济寶宝雞鸡錦锦繡绣綠绿蘭兰烏乌魯鲁齊齐滬沪贛赣閩闽粵粤瓊琼隴陇"
    "岡冈嶽岳順顺澤泽廟庙壩坝頭头圍围樂乐饒饶潯浔應应懷怀鹽盐滄沧鄲郸晉晋"
    "臨临運运銀银撫抚錫锡揚扬連连紹绍溫温麗丽蕪芜銅铜鷹鹰棗枣營营濰潍煙烟"
    "鶴鹤駐驻荊荆鹹咸隨随婁娄欽钦來来瀘泸綿绵資资涼凉畢毕紅红塢坞處处辦办"
    "組组碼码電电話话貨货郵邮遞递車车亞亚匯汇滙汇橫横縱纵寬宽濤涛鐘钟龜龟"
    "淺浅灘滩倫伦勝胜圖图嶼屿礦矿巖岩陰阴關关驛驿歸归壽寿體体們们這这個个"
    "請请寫写給给麼么嗎吗讓让幫帮還还過过說说轉转機机換换變变總总倉仓醫医"
    "賓宾飯饭鋪铺點点"
)

TRADITIONAL_TO_SIMPLIFIED: dict[int, str] = {
    ord(_TRADITIONAL_PAIRS[i]): _TRADITIONAL_PAIRS[i + 1]
    for i in range(0, len(_TRADITIONAL_PAIRS), 2)
    if _TRADITIONAL_PAIRS[i] != _TRADITIONAL_PAIRS[i + 1]
}
