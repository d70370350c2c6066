"""Contact details of a business or venue are not personal data.

An agent who gives a phone number or address that the customer never gave,
without calling it the customer's, is giving information about a place.

"那家酒店的前台电话是010-65512345" and "the museum is at 12 Castle Street"
name a place, not a person. A phone number, address or email next to words
for a business, with no word that ties it to the customer or the speaker,
raises no case. An agent's own number given to move the chat elsewhere is
still `private_channel`: that tag is decided before this one counts.
"""

from __future__ import annotations

from detectors.analyzers.base import Candidates
from detectors.recognizers.base import SegmentView, keyword_pattern
from detectors.types import Interaction

# The speaker's own home or the customer's own, which no business word undoes.
_OWN = keyword_pattern(
    ["我家", "我住", "家庭住址", "家里", "my home", "i live", "your home"]
)
CONTACT_TYPES = frozenset({"PHONE_NUMBER", "ADDRESS", "EMAIL_ADDRESS"})
_WINDOW = 30

BUSINESS = keyword_pattern(
    [
        "酒店",
        "宾馆",
        "饭店",
        "餐厅",
        "餐馆",
        "景点",
        "景区",
        "博物馆",
        "公园",
        "商场",
        "门店",
        "分店",
        "店铺",
        "专卖店",
        "营业厅",
        "网点",
        "前台",
        "总台",
        "咨询电话",
        "预订电话",
        "订餐电话",
        "预约电话",
        "办公电话",
        "总机",
        "公司地址",
        "公司电话",
        "商家",
        "店家",
        "医院",
        "学校",
        "机构",
        "中心",
        "售后点",
        "维修点",
        "营业时间",
        "坐落",
        "位于",
        "地铁站",
        "火车站",
        "机场",
        "办事处",
        "官方",
        "hotel",
        "restaurant",
        "museum",
        "gallery",
        "venue",
        "store",
        "shop",
        "branch",
        "office",
        "reception",
        "front desk",
        "their number",
        "their phone",
        "their address",
        "their email",
        "is located",
        "located at",
        "opening hours",
        "open from",
        "opens at",
        "reservations",
        "booking line",
        "box office",
        "attraction",
        "college",
        "hospital",
        "station",
        "theatre",
        "theater",
        "cinema",
        "pharmacy",
        "clinic",
        "company",
        "headquarters",
        "head office",
        "dealer",
    ]
)
# Words that make a detail a business's even next to "寄到" or "send it to":
# a return address or a company's after-sales department.
STRONG_BUSINESS = keyword_pattern(
    [
        "有限公司",
        "公司",
        "售后部",
        "售后中心",
        "退货地址",
        "退货寄到",
        "退货",
        "退换货",
        "仓库",
        "收货仓",
        "客服部",
        "returns department",
        "return address",
        "returns centre",
        "returns center",
        "warehouse",
        "ltd",
        "inc.",
        "llc",
        "gmbh",
    ]
)
PERSONAL = keyword_pattern(
    [
        "我的",
        "我家",
        "本人",
        "我住",
        "我在",
        "您的",
        "你的",
        "家里",
        "家庭",
        "住址",
        "收货",
        "收件",
        "寄到",
        "送到",
        "联系人",
        "私人",
        "个人",
        "我手机",
        "我电话",
        "my",
        "mine",
        "your",
        "home",
        "i live",
        "ship to",
        "deliver to",
        "send it to",
        "personal",
        "reach me",
        "call me",
        "text me",
        "客户",
        "用户",
        "持卡人",
        "customer's",
        "the customer",
        "cardholder",
    ]
)


class BusinessContactAnalyzer:
    def analyze(
        self,
        interaction: Interaction,
        views: dict[str, SegmentView],
        candidates: Candidates,
    ) -> None:
        given_by_customer: set[tuple[str, str]] = set()
        for segment in interaction.segments:
            view = views[segment.id]
            for candidate in candidates.get(segment.id, []):
                if candidate.type not in CONTACT_TYPES or candidate.form != "full":
                    continue
                key = (candidate.type, candidate.value.lower())
                if segment.speaker == "customer":
                    given_by_customer.add(key)
                around = view.context(candidate.start, candidate.end, _WINDOW)
                if STRONG_BUSINESS.search(around) and not _OWN.search(around):
                    candidate.tags.add("no_case")
                    candidate.explanation += "; a business's contact detail"
                    continue
                if PERSONAL.search(around):
                    continue
                if BUSINESS.search(around):
                    candidate.tags.add("no_case")
                    candidate.explanation += "; a business's contact detail"
                elif segment.speaker == "agent" and key not in given_by_customer:
                    # The agent gives a number or address the customer never
                    # gave and never calls theirs: information about a place
                    # or a service, such as a venue's phone number.
                    candidate.tags.add("no_case")
                    candidate.explanation += "; given by the agent as information"
