"""Made-up identifiers that pass their checksums, built when the tests run."""

from __future__ import annotations

from stdnum import luhn
from stdnum.cn import ric


def resident_id(base17: str = "33010219870615123") -> str:
    """Return an 18-character resident ID number with a valid check character."""
    return base17 + ric.calc_check_digit(base17 + "0")


def card(prefix: str = "622848", length: int = 19, filler: str = "0426173859") -> str:
    """Return a card number of `length` digits starting with `prefix` that passes Luhn."""
    body = (prefix + filler * 3)[: length - 1]
    return body + luhn.calc_check_digit(body)


def resident_id_ending_x() -> str:
    """Return a valid resident ID number whose check character is X."""
    for sequence in range(1000):
        number = resident_id(f"44010619900712{sequence:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence gives the check character X")
