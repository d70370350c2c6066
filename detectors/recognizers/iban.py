"""Bank account numbers that are not card numbers: IBANs and Chinese accounts.

An IBAN is proven by python-stdnum (`stdnum.iban`): the ISO 7064 mod 97-10
check digits and the country's BBAN layout. It may be written compact or in
groups of four separated by spaces or hyphens, and in lower case after an
IBAN keyword. For some countries stdnum adds a national check that also
looks the bank code up in its own bank list. A bank code missing from that
list fails the check, so an IBAN that fails only the national check is still
reported, a little lower.

A Chinese account number (corporate accounts, passbooks, bank-internal
numbers) has no public checksum, so only an account keyword right before a
long digit run suggests one, at low confidence. Runs that belong to another
recognizer (a card-shaped number, a resident ID, a mobile number) are left
to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import iban, luhn

from detectors.recognizers.base import (
    Candidate,
    Recognizer,
    Rule,
    SegmentView,
    keyword_pattern,
)
from detectors.recognizers.cn_resident_id import is_resident_id
from detectors.recognizers.payment_card import card_brand

# An IBAN: country code, two check digits, then the BBAN (11 to 30 letters
# and digits in the longest national layout), compact or grouped by fours.
_IBAN = re.compile(
    r"""
    (?<![0-9A-Za-z])
    (?P<iban>
        [A-Z]{2}[0-9]{2}                # country code and check digits
        (?:[\ \-]?[0-9A-Z]{4}){2,7}     # full groups of four
        (?:[\ \-]?[0-9A-Z]{1,4})?       # a shorter last group
    )
    (?![0-9A-Za-z])
    """,
    re.VERBOSE | re.IGNORECASE,
)
_GROUP_END = re.compile(r"(?<=[0-9A-Za-z])(?=[ \-])|$")
IBAN_CONTEXT = keyword_pattern(["iban"])

ACCOUNT_CONTEXT = keyword_pattern(
    [
        "账号",
        "帐号",
        "账户",
        "帐户",
        "户号",
        "account number",
        "account no",
        "bank account",
        "acct",
        "a/c",
    ]
)
BANK_CONTEXT = keyword_pattern(
    [
        "银行",
        "开户",
        "对公",
        "收款",
        "汇款",
        "转账",
        "打款",
        "存折",
        "bank",
        "routing",
        "wire",
        "iban",
        "sort code",
    ]
)
# Words that make "账号" a login, shop or messenger account, or the number a
# reference of some other kind.
NEGATIVE_CONTEXT = keyword_pattern(
    [
        "登录",
        "登陆",
        "会员",
        "用户",
        "游戏",
        "qq",
        "微信",
        "支付宝",
        "淘宝",
        "店铺",
        "平台",
        "订单",
        "单号",
        "运单",
        "快递",
        "工单",
        "流水号",
        "交易号",
        "order",
        "tracking",
        "invoice",
        "ticket",
        "member",
        "user",
        "login",
        "customer",
    ]
)
_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# Account runs must have at least 8 digits after a bank word and at least
# this many without one, so QQ numbers (up to 11 digits) and short customer
# numbers stay out.
_MIN_DIGITS_WITHOUT_BANK_WORD = 12


def _iban_prefixes(text: str) -> Iterator[str]:
    """Yield `text` and each shorter prefix that ends on a group boundary."""
    ends = [match.start() for match in _GROUP_END.finditer(text)]
    for end in sorted(set(ends), reverse=True):
        yield text[:end]


def _is_claimed_elsewhere(digits: str) -> bool:
    """Check whether the run is card-shaped, a resident ID or a mobile number.

    A UnionPay-shaped run (62, 16 to 19 digits) is a card number even when it
    fails Luhn. Other brands' prefixes also start account numbers, so those
    runs count as cards only when Luhn proves them.
    """
    brand = card_brand(digits)
    if brand == "unionpay" or (brand and luhn.is_valid(digits)):
        return True
    return is_resident_id(digits) or bool(_CN_MOBILE.fullmatch(digits))


RULES = (
    Rule(
        "bank_account.iban",
        "BANK_ACCOUNT",
        "IBAN written compact, with valid mod 97 check digits, the country's "
        "BBAN layout and its national check",
        examples=(
            "IBAN DE02500105176112762358",
            "NL92RABO0340599349",
            "我的账户 AT771904356094599330",
        ),
        counter_examples=("IBAN DE40500105175076637745",),
    ),
    Rule(
        "bank_account.iban_grouped",
        "BANK_ACCOUNT",
        "IBAN in groups of four separated by spaces or hyphens",
        examples=(
            "please wire it to GB66 BARC 2020 1516 7896 22",
            "CH71-0076-2244-1071-6823-8",
        ),
    ),
    Rule(
        "bank_account.iban_lower_case",
        "BANK_ACCOUNT",
        "IBAN in lower case, only right after an IBAN keyword",
        examples=("iban fr60 3000 6000 0148 7379 2249 389",),
        counter_examples=("de02500105176112762358",),
    ),
    Rule(
        "bank_account.iban_national_check",
        "BANK_ACCOUNT",
        "IBAN whose check digits and layout are valid but whose national check "
        "fails, as for a bank code missing from python-stdnum's list",
        examples=("IBAN BE14527636192222", "IBAN ES8600491500056792858708"),
    ),
    Rule(
        "bank_account.cn_account_bank_word",
        "BANK_ACCOUNT",
        "8 to 25 digits after an account keyword with a bank word before it",
        examples=("对公账户：31050161393600001234", "转账到账号 103456789012"),
        counter_examples=("账号 0019438",),
    ),
    Rule(
        "bank_account.cn_account",
        "BANK_ACCOUNT",
        "12 to 25 digits right after an account keyword that does not name a "
        "login, shop or messenger account",
        examples=("账号 20458813762905",),
        counter_examples=("游戏账号 20458813762905", "会员账号 20458813762905"),
    ),
    Rule(
        "bank_account.claimed_elsewhere",
        "BANK_ACCOUNT",
        "a card number, resident ID or mobile number after an account keyword "
        "is left to its own recognizer",
        examples=("收款账号 31050161393600001234",),
        counter_examples=(
            "收款账号 6217299124916663",
            "账号 330106198704237089",
            "账号13812345678",
        ),
    ),
)


class BankAccountRecognizer(Recognizer):
    name = "bank_account"
    types = ("BANK_ACCOUNT",)
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        yield from self._ibans(view)
        yield from self._cn_accounts(view)

    def _ibans(self, view: SegmentView) -> Iterator[Candidate]:
        for match in _IBAN.finditer(view.folded.text):
            start = match.start()
            written = match.group("iban")
            if not written.isupper() and not IBAN_CONTEXT.search(
                view.before(start, 12)
            ):
                continue
            # A greedy match may run into a following word of capitals and
            # digits, so shorter prefixes are tried too, longest first.
            for text in _iban_prefixes(written):
                candidate = self._prove_iban(start, text)
                if candidate is not None:
                    yield candidate
                    break

    def _prove_iban(self, start: int, text: str) -> Candidate | None:
        compact = iban.compact(text.replace("-", ""))
        if iban.is_valid(compact):
            confidence = 0.95
            explanation = "IBAN with valid check digits, layout and national check"
        elif iban.is_valid(compact, check_country=False):
            confidence = 0.9
            explanation = "IBAN with valid check digits and layout"
        else:
            return None
        return Candidate(
            start,
            start + len(text),
            "BANK_ACCOUNT",
            "full",
            compact,
            confidence,
            f"{self.name}_iban",
            explanation,
        )

    def _cn_accounts(self, view: SegmentView) -> Iterator[Candidate]:
        for run in view.runs:
            digits = run.digits
            if not digits.isdigit() or not 8 <= len(digits) <= 25:
                continue
            start, end = view.folded.original_span(*run.span(0, len(digits) - 1))
            if not self._after_account_keyword(view, start):
                continue
            if _is_claimed_elsewhere(digits):
                continue
            has_bank_word = bool(BANK_CONTEXT.search(view.before(start, 24)))
            minimum = 8 if has_bank_word else _MIN_DIGITS_WITHOUT_BANK_WORD
            if len(digits) < minimum:
                continue
            yield Candidate(
                start,
                end,
                "BANK_ACCOUNT",
                "full",
                digits,
                0.7 if has_bank_word else 0.55,
                f"{self.name}_context",
                "long digit run after an account keyword"
                + (" and a bank word" if has_bank_word else "")
                + "; no checksum proves it",
            )

    @staticmethod
    def _after_account_keyword(view: SegmentView, start: int) -> bool:
        """Check for an account keyword before `start` that names a bank account.

        The keyword's modifier ("游戏账号", "member account") and the words
        between the keyword and the number must not name another account.
        """
        window = view.before(start, 20)
        keywords = list(ACCOUNT_CONTEXT.finditer(window))
        if not keywords:
            return False
        keyword = keywords[-1]
        modifier = window[max(0, keyword.start() - 6) : keyword.start()]
        between = window[keyword.end() :]
        return not (
            NEGATIVE_CONTEXT.search(modifier) or NEGATIVE_CONTEXT.search(between)
        )


RECOGNIZERS = [BankAccountRecognizer()]
