"""Answers to an agent's request: a secret, or the last four digits.

After "您手机刚收到的验证码是多少？" the customer's bare "482913" is a one-time
code in the record; after "just give me the last four digits of your card"
a bare "9998" is the tail of a card number.
"""

from __future__ import annotations

import re

from detectors.analyzers.base import (
    Candidates,
    add_candidate,
    phrases_with,
    replies_after,
)
from detectors.recognizers.base import Candidate, SegmentView
from detectors.types import Interaction

# Digits a secret of each type has, and the confidence of a bare answer.
_SECRET_LENGTHS = {
    "VERIFICATION_CODE": (4, 8),
    "CARD_CVV": (3, 4),
    "PASSWORD": (4, 12),
}
_PASSWORD_TOKEN = re.compile(r"^\s*(?P<token>[^\s,，。!！?？]{4,32})\s*[.。!！]?\s*$")
_NOT_A_SECRET = re.compile(
    r"^(?:好的?|对|是的?|不|ok|okay|yes|no|sure|why|what|is|thanks?)\b", re.IGNORECASE
)


def _digit_answers(
    view: SegmentView, low: int, high: int
) -> list[tuple[int, int, str]]:
    """Return (start, end, digits) for each digit run of `low` to `high` digits."""
    found = []
    for mapped, run in view.digit_sources():
        if low <= len(run.digits) <= high and run.digits.isdigit():
            start, end = view.run_span(mapped, run, 0, len(run.digits))
            found.append((start, end, run.digits))
    return found


class SecretAnswerAnalyzer:
    """Marks the secret a customer gives right after an agent requests it."""

    def analyze(
        self,
        interaction: Interaction,
        views: dict[str, SegmentView],
        candidates: Candidates,
    ) -> None:
        for index, segment in enumerate(interaction.segments):
            for phrase in phrases_with(
                candidates.get(segment.id, []), "credential_request"
            ):
                secret = next(
                    (
                        t.split(":", 1)[1]
                        for t in phrase.tags
                        if t.startswith("secret:")
                    ),
                    None,
                )
                if secret is None:
                    continue
                for reply in replies_after(interaction, index):
                    if self._mark(views[reply.id], candidates, secret):
                        break

    def _mark(self, view: SegmentView, candidates: Candidates, secret: str) -> bool:
        low, high = _SECRET_LENGTHS[secret]
        marked = False
        for start, end, digits in _digit_answers(view, low, high):
            candidate = Candidate(
                start,
                end,
                secret,
                "full",
                digits,
                0.8,
                "secret_answer",
                "answer to an agent's request for this secret",
            )
            marked = add_candidate(candidates, view.segment.id, candidate) or marked
        if marked or secret != "PASSWORD":
            return marked
        token = _PASSWORD_TOKEN.match(view.folded.text)
        if token and not _NOT_A_SECRET.match(token.group("token")):
            start, end = token.span("token")
            candidate = Candidate(
                start,
                end,
                "PASSWORD",
                "full",
                token.group("token"),
                0.7,
                "secret_answer",
                "answer to an agent's request for a password",
            )
            return add_candidate(candidates, view.segment.id, candidate)
        return False


_PHONE_WORDS = re.compile(r"手机|电话|phone|mobile|cell")


class LastFourAnswerAnalyzer:
    """Marks a bare four-digit answer to a last-four request as a partial value."""

    def analyze(
        self,
        interaction: Interaction,
        views: dict[str, SegmentView],
        candidates: Candidates,
    ) -> None:
        for index, segment in enumerate(interaction.segments):
            phrases = phrases_with(candidates.get(segment.id, []), "partial_hint")
            if not phrases:
                continue
            entity = (
                "PHONE_NUMBER"
                if _PHONE_WORDS.search(views[segment.id].lowered)
                else "BANK_CARD"
            )
            for reply in replies_after(interaction, index, max_replies=1):
                for start, end, digits in _digit_answers(views[reply.id], 4, 4):
                    candidate = Candidate(
                        start,
                        end,
                        entity,
                        "partial",
                        digits,
                        0.8,
                        "last_four_answer",
                        "last four digits given on request",
                    )
                    add_candidate(candidates, reply.id, candidate)
