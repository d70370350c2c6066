"""Strict JSON parsing for untrusted input: webhook bodies and scanned files.

`json.loads` accepts NaN and Infinity, which RFC 8259 does not allow, and
raises `RecursionError` on deeply nested arrays or objects. `parse_json`
turns both, and every other decoding failure, into one `InvalidJson` error
whose message never quotes the input.
"""

from __future__ import annotations

import json
from typing import Any


class InvalidJson(ValueError):
    """Input that is not strict JSON; `reason` gives the cause, `line` and `column` the place."""

    def __init__(self, reason: str, line: int = 0, column: int = 0) -> None:
        self.reason = reason
        self.line = line
        self.column = column
        where = f" at line {line} column {column}" if line else ""
        super().__init__(reason + where)


def _reject_constant(name: str) -> Any:
    raise InvalidJson(f"{name} is not a JSON value")


def parse_json(text: str | bytes) -> Any:
    """Decode JSON text (or UTF-8 bytes), raising `InvalidJson` on any problem."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise InvalidJson(error.msg, error.lineno, error.colno) from None
    except RecursionError:
        raise InvalidJson("arrays or objects nested too deeply") from None
    except UnicodeDecodeError:
        raise InvalidJson("not UTF-8 text") from None
