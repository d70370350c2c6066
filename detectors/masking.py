"""Masked forms, keyed fingerprints and masked excerpts of detected values.

These are the only forms in which a detected value leaves the detectors.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

# Types whose values are secrets: masked whole, never a character kept.
SECRET_TYPES = frozenset({"VERIFICATION_CODE", "CARD_CVV", "PASSWORD", "CARD_EXPIRY"})
MASK = "*"
_KEEP_TAIL = 4


def mask_value(entity_type: str, value: str) -> str:
    """Return `value` with its middle masked and its last four characters kept.

    Secrets are masked whole. Emails keep the first character of the local
    part and the domain. Values of eight characters or fewer keep at most
    their last two characters, so a short value is never shown in full.
    """
    if not value:
        return ""
    if entity_type in SECRET_TYPES:
        return MASK * len(value)
    if entity_type == "RISKY_PHRASE":
        return mask_phrase(value)
    if entity_type == "EMAIL_ADDRESS" and "@" in value:
        local, _, domain = value.rpartition("@")
        return local[:1] + MASK * max(len(local) - 1, 3) + "@" + domain
    if len(value) <= 8:
        keep = min(2, len(value) // 3)
        return MASK * (len(value) - keep) + value[len(value) - keep :]
    head = min(4, len(value) - 8)
    if value.startswith("+"):
        head = min(head + 3, len(value) - 8)
    tail = value[-_KEEP_TAIL:]
    return value[:head] + MASK * (len(value) - head - _KEEP_TAIL) + tail


_PHRASE_MAX = 60


def mask_phrase(text: str) -> str:
    """Return a risky phrase with every digit and email-like word masked."""
    masked = _LOOSE_EMAIL.sub(lambda m: MASK * len(m.group()), text)
    masked = re.sub(r"[0-9０-９]", MASK, masked)
    if len(masked) > _PHRASE_MAX:
        masked = masked[: _PHRASE_MAX - 1] + "…"
    return masked


def fingerprint(key: bytes, entity_type: str, value: str) -> str:
    """Return the keyed fingerprint (HMAC-SHA256, hex) of a canonical value.

    The same value of the same type gives the same fingerprint under the
    same key, which is what "where else did this number appear" searches on.
    """
    if not key:
        raise ValueError(
            "fingerprint key is empty; configure one or let it be generated"
        )
    message = f"{fingerprint_family(entity_type)}:{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def fingerprint_family(entity_type: str) -> str:
    """Return the family that makes fingerprints of related types comparable."""
    return entity_type


# Anything that looks like a long number or an address in an excerpt is
# masked even when no recognizer proved it, so a missed value never lands in
# the ledger through the text around a finding.
_LOOSE_DIGITS = re.compile(r"[0-9０-９](?:[0-9０-９ \-]{3,}[0-9０-９])")
_LOOSE_SPOKEN = re.compile(
    r"[零〇一二三四五六七八九幺两洞拐](?:[零〇一二三四五六七八九幺两洞拐 ，,]{3,})"
)
_LOOSE_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+")


class MaskedText:
    """A segment's text with every value in it masked, built once per segment.

    `spans` holds (start, end, replacement) for every value found in the
    text; the replacement is usually the masked form. Digit runs of five or
    more characters and email-like words that are not in `spans` are masked
    too, so a value no recognizer proved still never shows in an excerpt.
    """

    def __init__(self, text: str, spans: Iterable[tuple[int, int, str]]) -> None:
        self.text = text
        chars = list(text)
        for span_start, span_end, replacement in spans:
            for index in range(span_start, span_end):
                chars[index] = ""
            if span_start < len(chars):
                chars[span_start] = replacement
        for pattern in (_LOOSE_DIGITS, _LOOSE_SPOKEN, _LOOSE_EMAIL):
            for match in pattern.finditer(text):
                if not _looks_like_value(match.group()):
                    continue
                for index in range(match.start(), match.end()):
                    if chars[index] == text[index] and not text[index].isspace():
                        chars[index] = MASK
        # chars[i] is what original character i became: itself, a mask, the
        # whole replacement of a span that starts at i, or "" inside a span.
        self._chars = chars

    def whole(self) -> str:
        """Return the entire text on one line with every value masked."""
        return self.excerpt(0, len(self.text), window=0)

    def excerpt(self, start: int, end: int, window: int = 24) -> str:
        """Return the masked text around the original span [start, end)."""
        left = max(0, start - window)
        right = min(len(self.text), end + window)
        excerpt = "".join(self._chars[left:right]).replace("\n", " ")
        prefix = "…" if left > 0 else ""
        return prefix + excerpt + ("…" if right < len(self.text) else "")


def masked_excerpt(
    text: str,
    start: int,
    end: int,
    spans: Iterable[tuple[int, int, str]],
    window: int = 24,
) -> str:
    """Return the text around [start, end) with every value in it masked."""
    return MaskedText(text, spans).excerpt(start, end, window)


def _looks_like_value(word: str) -> bool:
    if "@" in word:
        return True
    return sum(not ch.isspace() and ch not in "-，," for ch in word) >= 5
