"""Chinese addresses: levels, spans, traditional characters and context.

Every address here is made up: the roads, estates and numbers are invented
or combined at random.
"""

from __future__ import annotations

import pytest

from detectors.engine import Detector
from detectors.recognizers.base import Candidate, SegmentView
from detectors.recognizers.cn_address import ChineseAddressRecognizer, gazetteer
from detectors.recognizers.cn_address_data import TRADITIONAL_TO_SIMPLIFIED
from detectors.types import Segment

THRESHOLD = Detector(recognizers=[]).min_confidence


def candidates(text: str, speaker: str = "customer") -> list[Candidate]:
    view = SegmentView(Segment(id="s1", speaker=speaker, text=text), "zh")
    return list(ChineseAddressRecognizer().find(view))


def reported(text: str, speaker: str = "customer") -> list[str]:
    """Return the covered text of each address the engine would report."""
    return [
        text[c.start : c.end]
        for c in candidates(text, speaker)
        if c.confidence >= THRESHOLD
    ]


@pytest.mark.parametrize(
    ("text", "covered"),
    [
        # glued to the words around it, stopping before the phone number
        (
            "收货地址帮我改成南京市鼓楼区湖南路258号凤凰苑6栋2单元903室，联系电话139-0000-4821",
            "南京市鼓楼区湖南路258号凤凰苑6栋2单元903室",
        ),
        # stopping before the recipient
        (
            "寄到武汉市洪山区珞喻路77号桂香园3栋1单元502室，收件人陈明",
            "武汉市洪山区珞喻路77号桂香园3栋1单元502室",
        ),
        # province, city, district, road and number next to personal context
        (
            "我家住在浙江省宁波市鄞州区天童南路1180号",
            "浙江省宁波市鄞州区天童南路1180号",
        ),
        # province and city written without their suffixes
        ("寄到四川绵阳涪城区临园路东段42号", "四川绵阳涪城区临园路东段42号"),
        # district, estate, building and a room without 室
        ("朝阳区望京花园西区12栋1806", "朝阳区望京花园西区12栋1806"),
        # estate, building and room only
        ("金色家园9栋2单元1203室", "金色家园9栋2单元1203室"),
        # an estate with a Latin brand name
        (
            "快递送到成华区建设路9号SOHO时代城B座1502室",
            "成华区建设路9号SOHO时代城B座1502室",
        ),
        # Shanghai lane (弄) numbers
        (
            "住址是上海市闵行区虹梅路3001弄28号402室",
            "上海市闵行区虹梅路3001弄28号402室",
        ),
        # town, village and village group
        (
            "户籍地址：江西省赣州市于都县银坑镇上坪村4组",
            "江西省赣州市于都县银坑镇上坪村4组",
        ),
        # full-width digits stay in the span
        (
            "收货地址：西安市雁塔区科技路３６号锦园４栋１单元７０２室",
            "西安市雁塔区科技路３６号锦园４栋１单元７０２室",
        ),
        # traditional characters
        (
            "請寄到廣東省佛山市南海區桂城街道南海大道18號海景花園3棟2單元801室，謝謝",
            "廣東省佛山市南海區桂城街道南海大道18號海景花園3棟2單元801室",
        ),
        # a Taiwan address with section, lane, alley and floor
        (
            "麻煩寄到臺中市西屯區臺灣大道三段99巷6弄12號7樓",
            "臺中市西屯區臺灣大道三段99巷6弄12號7樓",
        ),
    ],
)
def test_addresses_are_found(text: str, covered: str) -> None:
    assert reported(text) == [covered]


@pytest.mark.parametrize(
    "text",
    [
        "我在上海",  # a bare city
        "北京市的客户都可以办理",  # a city name in a sentence
        "我住在成都市武侯区",  # city and district, no street
        "南京市鼓楼区湖南路附近",  # a road without a number
        "预计3月5号送达",  # a date
        "坐地铁2号线到人民广场站",  # a metro line
        "请到3号窗口办理",  # a service window
        "工单号2346581已提交",  # a ticket number
        "退款金额386.50元已原路返回",  # an amount
        "我在三楼等你",  # a floor alone
        "万达广场5楼的店",  # an estate and floor, no street
        "第3单元的练习题",  # a unit number in a textbook
        "订单8846号已发货",  # a number with 号 and no street
    ],
)
def test_non_addresses_are_ignored(text: str) -> None:
    assert reported(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "门店地址：杭州市上城区解放路128号",  # a shop
        "酒店在北京市东城区东华门大街45号",  # a hotel
        "公司地址是深圳市福田区深南中路3024号",  # an office
    ],
)
def test_business_addresses_are_not_reported(text: str) -> None:
    assert reported(text) == []


@pytest.mark.parametrize(
    ("text", "covered"),
    [
        ("家庭地址：济南市历下区泉城路180号", "济南市历下区泉城路180号"),
        ("通讯地址是济南市历下区泉城路180号", "济南市历下区泉城路180号"),
        ("我的联系地址是太原市小店区长风街56号", "太原市小店区长风街56号"),
        ("邮寄地址:太原市小店区长风街56号", "太原市小店区长风街56号"),
        ("居住地址 福州市鼓楼区五四路99号", "福州市鼓楼区五四路99号"),
        ("身份证地址是福州市鼓楼区五四路99号", "福州市鼓楼区五四路99号"),
        ("地址：福州市鼓楼区五四路99号", "福州市鼓楼区五四路99号"),
        ("地址: 五四路99号", "五四路99号"),
    ],
)
def test_address_labels_are_personal_context(text: str, covered: str) -> None:
    assert reported(text) == [covered]


def test_bare_label_counts_only_for_customer() -> None:
    text = "地址：福州市鼓楼区五四路99号"
    assert reported(text, speaker="agent") == []
    assert reported(f"您的家庭{text}", speaker="agent") == ["福州市鼓楼区五四路99号"]


@pytest.mark.parametrize(
    ("text", "covered"),
    [
        # a 新区 or 开发区 inside a district, before a house number
        ("我住在合肥市包河区滨湖新区58号", "合肥市包河区滨湖新区58号"),
        ("现住南宁市青秀区仙葫开发区9号", "南宁市青秀区仙葫开发区9号"),
        # a 新区 that is a district of its own stays one
        ("寄到上海市浦东新区张杨路88号", "上海市浦东新区张杨路88号"),
        # 大道, 大街, 胡同 and 巷子
        ("寄到南宁市青秀区民族大道136号", "南宁市青秀区民族大道136号"),
        ("寄到天津市和平区南京大街12号", "天津市和平区南京大街12号"),
        ("送到北京市西城区砖塔胡同48号", "北京市西城区砖塔胡同48号"),
        ("寄到成都市青羊区窄巷子21号", "成都市青羊区窄巷子21号"),
        # a rural address: county, town, village, group and house number
        (
            "寄到湖北省黄冈市麻城市宋埠镇彭店村3组27号",
            "湖北省黄冈市麻城市宋埠镇彭店村3组27号",
        ),
        (
            "寄到四川省南充市仪陇县马鞍镇石桥村六组十五号",
            "四川省南充市仪陇县马鞍镇石桥村六组十五号",
        ),
        # house and building numbers in Chinese numerals
        ("寄到郑州市金水区农业路四百号", "郑州市金水区农业路四百号"),
        ("我住在郑州市金水区花园路一百零八号", "郑州市金水区花园路一百零八号"),
        ("送到郑州市金水区经三路六号二十三号楼", "郑州市金水区经三路六号二十三号楼"),
        # personal context after the address
        ("她在贵阳市南明区花果园大街8号居住", "贵阳市南明区花果园大街8号"),
        ("贵阳市南明区花果园大街8号居民", "贵阳市南明区花果园大街8号"),
    ],
)
def test_more_address_shapes_are_found(text: str, covered: str) -> None:
    assert reported(text) == [covered]


@pytest.mark.parametrize(
    "text",
    [
        "一百号人在门口排队",  # a count of people
        "坐十一号线到终点站",  # a metro line in Chinese numerals
        "我住在合肥市包河区滨湖新区",  # an area without a house number
        "他在贵阳市南明区花果园大街8号开店",  # a shop, no personal context
        "门店地址：济南市历下区泉城路180号",  # a labelled shop address
    ],
)
def test_more_non_addresses_are_ignored(text: str) -> None:
    assert reported(text) == []


def test_street_without_dwelling_needs_personal_context() -> None:
    address = "合肥市蜀山区长江西路188号"
    assert reported(f"地址是{address}") == []
    assert reported(f"我家住{address}") == [address]


def test_confidence_grows_with_levels() -> None:
    few = candidates("寄到光明路12号")[0]
    many = candidates("寄到福建省厦门市思明区光明路12号海韵花园3栋1单元602室")[0]
    assert few.confidence < many.confidence
    assert many.confidence >= 0.9


def test_value_is_folded_to_half_width() -> None:
    text = "收货地址：苏州市姑苏区人民路１２号"
    found = candidates(text)
    assert [c.value for c in found] == ["苏州市姑苏区人民路12号"]


def test_explanation_and_tags_name_the_parts() -> None:
    found = candidates("收货地址：厦门市湖里区仙岳路66号东方花园2栋101室")[0]
    assert found.tags == {
        "cn_address",
        "city",
        "district",
        "road",
        "number",
        "compound",
        "building",
        "room",
    }
    assert "known names: city, district" in found.explanation


def test_two_addresses_in_one_message() -> None:
    text = (
        "旧地址长沙市岳麓区麓山南路8号3栋201室，新地址长沙市天心区书院路51号6栋1202室"
    )
    assert reported(text) == [
        "长沙市岳麓区麓山南路8号3栋201室",
        "长沙市天心区书院路51号6栋1202室",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "收货地址改成中山路12号3栋",
        "快递放到中山路12号3栋",
        "麻烦帮忙改一下中山路12号3栋",
    ],
)
def test_lead_in_words_are_not_part_of_a_road_name(text: str) -> None:
    assert reported(text) == ["中山路12号3栋"]


def test_gazetteer_holds_prefectures_and_counties() -> None:
    places = gazetteer()
    assert "成都市" in places.prefectures
    assert "武侯区" in places.counties
    assert "杭州" in places.prefecture_stems


def test_traditional_table_maps_one_character_to_one() -> None:
    for source, target in TRADITIONAL_TO_SIMPLIFIED.items():
        assert len(chr(source)) == len(target) == 1
        assert chr(source) != target
