"""Spoken and written-out digits turned into ASCII digits, offsets kept.

Call transcripts and chats carry numbers as words: 幺三八 零零幺三 八零零零,
"eight zero eight, six four nine, double nine nine six". `spoken_digits`
rewrites such sequences into ASCII digits on a `MappedText`, so `digit_runs`
and the recognizers find them like typed numbers, and every digit maps back
to the character or word that produced it.

Only numbers read digit by digit are converted. Counting words (十 百 千 万
亿, "hundred", "twenty", "twelve") are not digits here: a phone number, card
number, ID number or code is read out one digit at a time, and a counted
quantity is not personal data. A sequence of digits is found like this:

- Tokens are Chinese digit characters (plain, financial and radio forms),
  English digit words ("zero" to "nine", "oh", "o", "nought", "niner"), an
  English digit word after "double", "triple" or "treble", and ASCII digits
  next to spoken ones. Chinese and English tokens never mix in one sequence.
- Tokens in one sequence are joined by nothing (Chinese characters and ASCII
  digits only), by spaces or tabs, or by a pause: a comma, semicolon, 、,
  one or two hyphens, "..." or "…". A full stop, "and", a newline or any
  other word ends the sequence, and each sequence must reach the minimum
  below on its own.
- A sequence is converted when its Chinese or English tokens give at least
  `MIN_SPOKEN_DIGITS` digits. Shorter Chinese digits count too when glued to
  ASCII digits and the whole sequence has at least `MIN_ATTACHED_DIGITS`
  digits ("幺3800138000"). These two limits are what keep 一下, 唯一, 第一,
  "one of them", "two cards" and "at nine o'clock" as they are.

Groups: a pause always becomes one space, so `DigitRun.groups` keeps the
grouping the speaker used. A space between Chinese or ASCII groups becomes
one space too, but a space between English digit words joins them ("six six
eight" is 668), unless the sequence spells its groups with hyphens
("eight-zero-eight six-four-nine"), where spaces separate the groups. When
every group is a single digit (speech recognisers that put a space between
all characters), the spaces join the digits into one group instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from detectors.normalize import MappedText

# Minimum number of digits that the Chinese or English tokens of a sequence
# must give before it is converted. Three is low enough for a CVV (四五六).
MIN_SPOKEN_DIGITS = 3
# Minimum number of digits of a sequence whose shorter Chinese part is glued
# to ASCII digits: the phone recognizer reports no number shorter than seven.
MIN_ATTACHED_DIGITS = 7
# Digits before a spoken X at the end of a mainland resident ID number.
_ID_BODY_DIGITS = 17

ZH_DIGITS = {
    # Plain forms, with the white circle that people type for 〇.
    "零": "0",
    "〇": "0",
    "○": "0",
    "一": "1",
    "二": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
    # Radio and call-centre forms: 洞 0, 幺 1 (么 in traditional script,
    # 腰 in amateur-radio writing), 两 2 (also 兩 and 俩), 拐 7, 勾 9.
    # NOTE: speech-recognition homophones such as 要 for 幺 are not digits,
    # because they are common words.
    "洞": "0",
    "幺": "1",
    "么": "1",
    "腰": "1",
    "两": "2",
    "兩": "2",
    "俩": "2",
    "拐": "7",
    "勾": "9",
    # Financial forms, simplified and traditional.
    "壹": "1",
    "贰": "2",
    "貳": "2",
    "叁": "3",
    "參": "3",
    "肆": "4",
    "伍": "5",
    "陆": "6",
    "陸": "6",
    "柒": "7",
    "捌": "8",
    "玖": "9",
}
EN_DIGITS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "nought": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "niner": "9",
}
# NOTE: numbers read in pairs ("twelve thirty-four") and homophones that
# speech recognition writes ("to", "too", "for") are not converted.
EN_MULTIPLIERS = {"double": 2, "triple": 3, "treble": 3}
# "Oh" and "o" are zeros only inside a sequence: at its edge, cut off by a
# pause, they are an interjection or a letter ("Oh, one two three four").
_EN_AMBIGUOUS_ZEROS = frozenset({"oh", "o"})
# Counting words: Chinese digits touching one are a quantity (七八九十,
# 三七二十一), not a number read digit by digit.
_ZH_COUNTING_WORDS = frozenset("十百千万亿拾佰仟萬億")
# Common idioms made only of digit characters.
_ZH_IDIOMS = frozenset({"一五一十", "三三两两", "七七八八"})

_ZH_CLASS = "".join(ZH_DIGITS)
_TOKEN = re.compile(
    rf"""
    (?P<zh>[{_ZH_CLASS}])
    # The check character X of a resident ID, as it is read aloud.
    | (?P<check>叉|[爱艾埃]克斯)
    | (?<![0-9A-Za-z])(?P<ascii>[0-9]+)(?![0-9A-Za-z])
    # A whole English word, hyphenated compounds and a "double " prefix
    # included, so "twenty-one" and "o'clock" are never split into digits.
    | (?<![0-9A-Za-z'’])
      (?P<word>
        (?:(?:double|triple|treble)[ \t]+)?
        [A-Za-z]+(?:['’][A-Za-z]+)*
        (?:-[A-Za-z]+(?:['’][A-Za-z]+)*)*
      )
      (?![0-9A-Za-z'’])
    """,
    re.VERBOSE | re.IGNORECASE,
)
_WORD_PART = re.compile(r"[^\s\-]+")
_SPACE_GAP = re.compile(r"[ \t]+")
_PAUSE_GAP = re.compile(r"[ \t]*(?:[,;、]|-{1,2}|\.{2,}|…{1,2})[ \t]*")

# The pre-check: two digit tokens with only gap characters or ASCII digits
# between them, or Chinese digits glued to ASCII digits. Every sequence that
# `spoken_digits` converts contains one of these.
_GAP_CHARS = r"[ \t,;、.…\-0-9]*"
_EN_WORD = "|".join([*EN_DIGITS, *EN_MULTIPLIERS])
_CANDIDATE = re.compile(
    rf"""
    [{_ZH_CLASS}]{_GAP_CHARS}[{_ZH_CLASS}0-9]
    | [0-9][{_ZH_CLASS}]
    | \b(?:{_EN_WORD})\b{_GAP_CHARS}\b(?:{_EN_WORD})\b
    """,
    re.VERBOSE | re.IGNORECASE,
)

# How two neighbouring tokens of a sequence are joined in the original text.
_GLUED = "glued"
_SPACE = "space"
_PAUSE = "pause"


@dataclass(frozen=True)
class _Unit:
    """The digits that one character or word gives, with its span."""

    start: int
    end: int
    digits: str


@dataclass(frozen=True)
class _Token:
    """One digit token: kind is "zh", "en", "ascii" or "check"."""

    kind: str
    start: int
    end: int
    units: tuple[_Unit, ...]
    ambiguous: bool = False

    @property
    def digit_count(self) -> int:
        return sum(len(unit.digits) for unit in self.units)

    @property
    def spoken(self) -> bool:
        return self.kind in ("zh", "en")


def has_spoken_digits(text: str) -> bool:
    """Tell whether `spoken_digits` may change `text`, a `fold_width` output.

    A cheap pre-check. False means the text has no sequence to convert, and
    True means it may have one: 唯一一次 and "at nine o'clock" pass this
    check, and `spoken_digits` then leaves them alone.
    """
    return _CANDIDATE.search(text) is not None


def spoken_digits(mapped: MappedText) -> MappedText:
    """Rewrite digits read out as words into ASCII digits.

    Takes the output of `fold_width`, or of any later transform. Each digit
    maps back to the character or word that gave it ("double nine" gives two
    9s that both map to the two words), and a pause between groups becomes a
    space that maps to the whole pause. Spaces inside a group are removed, so
    a span over the digits maps back to exactly the first to the last word.
    A spoken X after 17 digits (叉, 爱克斯, 艾克斯, 埃克斯, "X") becomes an X
    glued to the last digit, as a resident ID ends. The rules that decide
    what is a number are in this module's docstring.

    Returns `mapped` itself when nothing is converted.
    """
    if not has_spoken_digits(mapped.text):
        return mapped

    text = mapped.text
    pieces: list[tuple[int, int, str]] = []
    for tokens, gaps in _sequences(text, _tokens(text)):
        pieces.extend(_sequence_pieces(text, tokens, gaps))
    if not pieces:
        return mapped

    return mapped.rewrite(pieces)


def _tokens(text: str) -> Iterator[_Token]:
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        if match.group("zh"):
            yield _Token("zh", start, end, (_Unit(start, end, ZH_DIGITS[match[0]]),))
        elif match.group("check"):
            yield _Token("check", start, end, ())
        elif match.group("ascii"):
            yield _Token("ascii", start, end, (_Unit(start, end, match[0]),))
        else:
            token = _word_token(match[0], start)
            if token is not None:
                yield token


def _word_token(word: str, offset: int) -> _Token | None:
    """Parse an English word or compound, or return None if it is no number."""
    start, end = offset, offset + len(word)
    if word.lower() == "x":
        return _Token("check", start, end, ())

    units: list[_Unit] = []
    times = 1
    unit_start: int | None = None
    for part in _WORD_PART.finditer(word):
        name = part.group().lower()
        if name in EN_MULTIPLIERS and unit_start is None:
            times = EN_MULTIPLIERS[name]
            unit_start = offset + part.start()
        elif name in EN_DIGITS:
            if unit_start is None:
                unit_start = offset + part.start()
            units.append(
                _Unit(unit_start, offset + part.end(), EN_DIGITS[name] * times)
            )
            times = 1
            unit_start = None
        else:
            return None
    if unit_start is not None:
        return None  # "double" with no digit word after it

    ambiguous = len(units) == 1 and word.lower() in _EN_AMBIGUOUS_ZEROS
    return _Token("en", start, end, tuple(units), ambiguous)


def _gap_kind(gap: str, before: _Token, after: _Token) -> str | None:
    """Classify the text between two tokens, or return None if it ends a sequence."""
    kinds = {before.kind, after.kind}
    if {"zh", "en"} <= kinds:
        return None
    if not gap:
        return None if "en" in kinds else _GLUED
    if _SPACE_GAP.fullmatch(gap):
        return _SPACE
    if _PAUSE_GAP.fullmatch(gap):
        return _PAUSE
    return None


def _sequences(
    text: str, tokens: Iterator[_Token]
) -> Iterator[tuple[list[_Token], list[str]]]:
    """Group tokens into sequences; gaps[i] joins tokens[i] and tokens[i + 1].

    A check token always ends a sequence and never starts one.
    """
    current: list[_Token] = []
    gaps: list[str] = []
    for token in tokens:
        if current:
            gap = _gap_kind(text[current[-1].end : token.start], current[-1], token)
            if gap is None:
                yield current, gaps
                current, gaps = [], []
            else:
                gaps.append(gap)
        if not current and token.kind == "check":
            continue
        current.append(token)
        if token.kind == "check":
            yield current, gaps
            current, gaps = [], []
    if current:
        yield current, gaps


def _sequence_pieces(
    text: str, tokens: list[_Token], gaps: list[str]
) -> list[tuple[int, int, str]]:
    """Return the rewrite pieces of one sequence, or none if it is no number."""
    tokens, gaps = list(tokens), list(gaps)
    if tokens[-1].kind == "check":
        digits_before = sum(token.digit_count for token in tokens[:-1])
        if digits_before < _ID_BODY_DIGITS or gaps[-1] == _PAUSE:
            tokens.pop()
            gaps.pop()
    while len(tokens) > 1 and tokens[0].ambiguous and gaps[0] == _PAUSE:
        tokens.pop(0)
        gaps.pop(0)
    while len(tokens) > 1 and tokens[-1].ambiguous and gaps[-1] == _PAUSE:
        tokens.pop()
        gaps.pop()

    if not _is_number(text, tokens, gaps):
        return []

    joins = _group_joins(tokens, gaps)
    pieces: list[tuple[int, int, str]] = []
    for index, token in enumerate(tokens):
        pieces.extend(_token_pieces(token))
        if index == len(gaps):
            break
        gap_start, gap_end = token.end, tokens[index + 1].start
        if gap_start == gap_end:
            continue
        if joins[index]:
            pieces.append((gap_start, gap_end, ""))
        elif text[gap_start:gap_end] != " ":
            pieces.append((gap_start, gap_end, " "))

    return pieces


def _is_number(text: str, tokens: list[_Token], gaps: list[str]) -> bool:
    """Decide whether a sequence is a number read digit by digit."""
    spoken = sum(token.digit_count for token in tokens if token.spoken)
    total = sum(token.digit_count for token in tokens)
    if not any(token.spoken and not token.ambiguous for token in tokens):
        return False

    first, last = tokens[0], tokens[-1]
    if first.kind == "zh" and text[first.start - 1 : first.start] in _ZH_COUNTING_WORDS:
        return False
    if last.kind == "zh" and text[last.end : last.end + 1] in _ZH_COUNTING_WORDS:
        return False
    if text[first.start : last.end] in _ZH_IDIOMS:
        return False

    if spoken >= MIN_SPOKEN_DIGITS:
        return True
    glued_to_ascii = any(
        gap == _GLUED and {tokens[i].kind, tokens[i + 1].kind} == {"zh", "ascii"}
        for i, gap in enumerate(gaps)
    )
    return glued_to_ascii and total >= MIN_ATTACHED_DIGITS


def _group_joins(tokens: Sequence[_Token], gaps: Sequence[str]) -> list[bool]:
    """Tell for each gap whether it joins its neighbours into one group."""
    hyphenated = any(token.kind == "en" and len(token.units) > 1 for token in tokens)
    joins = []
    for index, gap in enumerate(gaps):
        before, after = tokens[index], tokens[index + 1]
        if gap == _GLUED or after.kind == "check":
            joins.append(True)
        elif gap == _SPACE:
            joins.append(before.kind == after.kind == "en" and not hyphenated)
        else:
            joins.append(False)

    sizes = [tokens[0].digit_count]
    for index, join in enumerate(joins):
        if join:
            sizes[-1] += tokens[index + 1].digit_count
        else:
            sizes.append(tokens[index + 1].digit_count)
    if len(sizes) > 1 and all(size == 1 for size in sizes):
        joins = [join or gap == _SPACE for join, gap in zip(joins, gaps, strict=True)]

    return joins


def _token_pieces(token: _Token) -> list[tuple[int, int, str]]:
    if token.kind == "ascii":
        return []
    if token.kind == "check":
        return [(token.start, token.end, "X")]

    pieces: list[tuple[int, int, str]] = []
    for index, unit in enumerate(token.units):
        if index > 0 and token.units[index - 1].end < unit.start:
            pieces.append((token.units[index - 1].end, unit.start, ""))
        pieces.append((unit.start, unit.end, unit.digits))
    return pieces
