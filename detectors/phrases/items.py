"""Kinds of sensitive item an agent may ask for, to count them in one request.

Asking for three or more kinds at once ("ID number, card number, phone and
home address") is more than a verification step needs.
"""

from __future__ import annotations

import re
from functools import cache

# fmt: off
ITEM_KINDS: dict[str, tuple[str, ...]] = {
    "resident_id": ("身份证", "证件号", "身份号码", "id number", "id card", "national id"),
    "card": ("银行卡", "卡号", "信用卡", "储蓄卡", "card number", "credit card", "debit card"),
    "account": ("账号", "账户", "account number", "bank account", "routing number"),
    "phone": ("手机号", "电话", "联系方式", "phone number", "mobile number", "phone"),
    "address": ("住址", "地址", "家庭住址", "address", "home address"),
    "password": ("密码", "口令", "password", "pin"),
    "code": ("验证码", "动态码", "校验码", "verification code", "one-time code", "otp"),
    "cvv": ("安全码", "cvv", "cvc", "security code"),
    "expiry": ("有效期", "expiry", "expiration", "exp date", "valid thru"),
    "ssn": ("社保号", "社会保障号", "ssn", "social security"),
    "passport": ("护照", "passport"),
    "email": ("邮箱", "email", "e-mail"),
    "birth": ("出生日期", "生日", "date of birth", "dob", "birthday"),
    "maiden_name": ("母亲姓名", "母亲的姓名", "maiden name"),
    "income": ("收入", "工资", "salary", "income"),
    "employer": ("工作单位", "单位名称", "employer"),
}
# fmt: on


@cache
def _kind_pattern(kind: str) -> re.Pattern[str]:
    parts = []
    for term in sorted(ITEM_KINDS[kind], key=len, reverse=True):
        escaped = re.escape(term)
        parts.append(rf"(?<![a-z]){escaped}(?![a-z])" if term.isascii() else escaped)
    return re.compile("|".join(parts))


def item_spans(text: str) -> dict[str, tuple[int, int]]:
    """Return the first span of each kind of sensitive item named in `text`."""
    found = {}
    for kind in ITEM_KINDS:
        match = _kind_pattern(kind).search(text)
        if match:
            found[kind] = match.span()
    return found
