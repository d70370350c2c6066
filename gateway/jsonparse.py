"""Strict JSON parsing for untrusted input: webhook bodies and scanned files.

`json.loads` accepts NaN and Infinity, which RFC 8259 does not allow, and
raises `RecursionError` on deeply nested arrays or objects. `parse_json`
turns both, and every other decoding failure, into one `InvalidJson` error
whose message never quotes the input.
"""

from __future__ import annotations

import json
import re
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


# A \u escape of a UTF-16 surrogate; decoded alone it is not text.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def parse_json(text: str | bytes) -> Any:
    """Decode JSON text (or UTF-8 bytes), raising `InvalidJson` on any problem.

    Besides syntax errors this rejects NaN and Infinity, nesting too deep
    for the parser, integers too long to convert, and escapes of a lone
    UTF-16 surrogate (`"\\ud800"`), which no UTF-8 store can keep.
    """
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise InvalidJson(error.msg, error.lineno, error.colno) from None
    except RecursionError:
        raise InvalidJson("arrays or objects nested too deeply") from None
    except UnicodeDecodeError:
        raise InvalidJson("not UTF-8 text") from None
    except InvalidJson:
        raise
    except ValueError:
        # int() refuses integers of more than 4300 digits.
        raise InvalidJson("a number has too many digits") from None
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if _SURROGATE_ESCAPE.search(raw):
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidJson(
                "a string contains a lone UTF-16 surrogate escape, which is not text"
            ) from None
        except RecursionError:
            raise InvalidJson("arrays or objects nested too deeply") from None
    return data
