"""Unified social credit codes (统一社会信用代码) of Chinese organisations.

A company code is not personal data. It is recognised, at a confidence
above every personal identifier, so that overlap resolution keeps it and an
18-character code is never reported as a resident ID or a card. The check
character is proven by python-stdnum (`stdnum.cn.uscc`).

One 18-digit number in 31 passes the code check, so resident IDs, card
numbers and order numbers sometimes do. Away from a company keyword a code
must therefore also have the layout of a real code: an entity type digit of
1, 2, 3 or 9 and a province in the region code. It must not follow an order
or account keyword, and it must not be a valid resident ID or card number.

A valid resident ID or card number keeps its personal reading unless a
company keyword, and no ID keyword, sits next to it. An all-digit code next
to an ID keyword alone is skipped too, because it is more likely a mistyped
resident ID.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import luhn
from stdnum.cn import uscc

from detectors.recognizers.base import (
    Candidate,
    Recognizer,
    Rule,
    SegmentView,
    keyword_pattern,
)
from detectors.recognizers.cn_resident_id import is_resident_id
from detectors.recognizers.payment_card import card_brand

CONTEXT = keyword_pattern(
    [
        "统一社会信用代码",
        "統一社會信用代碼",
        "信用代码",
        "税号",
        "纳税人识别号",
        "营业执照",
        "执照号",
        "uscc",
        "credit code",
        "business license",
    ]
)
ID_CONTEXT = keyword_pattern(
    [
        "身份证",
        "身份證",
        "证件号",
        "id card",
        "id number",
        "id no",
        "identification number",
        "identity card",
    ]
)
# Keywords that name the number as an order, a shipment or a bank account.
NEGATIVE_CONTEXT = keyword_pattern(
    [
        "订单",
        "单号",
        "运单",
        "快递",
        "流水号",
        "交易号",
        "账号",
        "账户",
        "order",
        "tracking",
        "account",
    ]
)
# First two digits of the GB/T 2260 region codes: the provinces, Taiwan,
# Hong Kong and Macau, and 10 for organisations registered nationally.
_PROVINCES = frozenset(
    str(code)
    for code in (
        *range(10, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
    )
)

_CODE = re.compile(
    r"""
    (?<![0-9A-Za-z])
    (?P<code>
        [0-9]{8}                    # authority, entity type, region
        [0-9A-HJ-NP-RTUW-Y]{10}     # organisation code and check character
    )
    (?![0-9A-Za-z])
    """,
    re.VERBOSE | re.IGNORECASE,
)


def _has_code_layout(code: str) -> bool:
    """Check the entity type digit and the province of the region code."""
    return code[1] in "1239" and code[2:4] in _PROVINCES


def _has_personal_reading(code: str) -> bool:
    """Check whether the code is also a valid resident ID or card number."""
    if is_resident_id(code):
        return True
    return code.isdigit() and luhn.is_valid(code) and card_brand(code) is not None


RULES = (
    Rule(
        "company_code.keyword",
        "COMPANY_CODE",
        "18 characters with a valid GB 32100 check character next to a company "
        "keyword (统一社会信用代码, 税号, business license)",
        examples=(
            "统一社会信用代码 91330106MA2B7K3D59",
            "开票抬头写公司，税号91440300MA5FQ8LX2G",
        ),
        counter_examples=("统一社会信用代码 91330106MA2B7K3D58",),
    ),
    Rule(
        "company_code.layout",
        "COMPANY_CODE",
        "without a keyword, a valid code must also have an entity type digit "
        "of 1, 2, 3 or 9 and a province in its region code",
        examples=("91310115550829634J", "12100000400019376G", "51330106MA2B7K3D5D"),
        counter_examples=("91990106MA2B7K3D5A", "订单号91310115550829634J"),
    ),
    Rule(
        "company_code.personal_reading",
        "COMPANY_CODE",
        "a valid resident ID that also passes the code check is a company code "
        "only next to a company keyword and no ID keyword",
        examples=("税号 320102198608058999",),
        counter_examples=("320102198608058999", "身份证号 320102198608058999"),
    ),
    Rule(
        "company_code.mistyped_id",
        "COMPANY_CODE",
        "17 digits and a check character next to an ID keyword alone are more "
        "likely a mistyped resident ID",
        examples=("公司信用代码 91310115550829634J",),
        counter_examples=("身份证号91310115550829634J",),
    ),
)


class CompanyCodeRecognizer(Recognizer):
    name = "company_code"
    types = ("COMPANY_CODE",)
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        for match in _CODE.finditer(view.folded.text):
            code = match.group("code").upper()
            if not uscc.is_valid(code):
                continue
            start, end = match.span()
            if not self._is_company_code(view, code, start, end):
                continue
            has_context = bool(CONTEXT.search(view.context(start, end, 16)))
            yield Candidate(
                start,
                end,
                "COMPANY_CODE",
                "full",
                code,
                0.99,
                self.name,
                "unified social credit code with a valid check character"
                + (", next to a company keyword" if has_context else ""),
            )

    @staticmethod
    def _is_company_code(view: SegmentView, code: str, start: int, end: int) -> bool:
        context = view.context(start, end, 16)
        near_id_keyword = bool(ID_CONTEXT.search(view.context(start, end, 28)))
        if CONTEXT.search(context):
            return not (_has_personal_reading(code) and near_id_keyword)
        if _has_personal_reading(code):
            return False
        if near_id_keyword and code[:17].isdigit():
            # A mistyped resident ID may pass the code check by chance.
            return False
        return _has_code_layout(code) and not NEGATIVE_CONTEXT.search(
            view.before(start, 10)
        )


RECOGNIZERS = [CompanyCodeRecognizer()]
