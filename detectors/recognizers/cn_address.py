"""Chinese postal addresses, built from administrative levels and street parts.

A numbered part (491号, 24栋, 1单元, 1401室) anchors a candidate. From the
anchor the address grows right over further numbered parts and compound
names (世纪城, 锦绣苑), and left over named parts (漕溪北路, 徐汇区, 上海市)
as long as each level is larger than the one after it. On the left, text
without spaces does not show where a name starts, so every split is scored.
A part whose whole name is in the province table or in python-stdnum's table
of prefectures and counties scores high. Any other name scores low and must
run back to a boundary (punctuation, a particle, a lead-in word such as 改成).

A span is an address only when it locates a home: a road with a house number,
a compound with a building or room next to a district or road, two numbered
parts inside a compound, or a village with a number. A bare city or district
is never one. Matching runs on the text folded to half-width and mapped from
traditional to simplified characters one for one, so offsets are the
original's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from detectors.recognizers.base import (
    Candidate,
    Recognizer,
    Rule,
    SegmentView,
    keyword_pattern,
)
from detectors.recognizers.cn_address_data import (
    BUSINESS_CONTEXT,
    LEAD_IN_WORDS,
    NAME_LENGTHS,
    NAMED_SUFFIXES,
    NON_NAME_CHARS,
    NOT_HOUSE_NUMBER_FOLLOWERS,
    NUMBERED_SUFFIXES,
    PERSONAL_CONTEXT,
    PERSONAL_CONTEXT_AFTER,
    PROVINCES,
    TRADITIONAL_TO_SIMPLIFIED,
    Level,
)

PERSONAL = keyword_pattern(PERSONAL_CONTEXT)
BUSINESS = keyword_pattern(BUSINESS_CONTEXT)

# A number with an address suffix. The number is Arabic (26-3 and 12B too), a
# single letter (A座) or a Chinese numeral up to the thousands (三单元,
# 二十三号楼, 一百零八号).
_NUMBERED = re.compile(
    rf"""
    (?<![0-9A-Za-z])
    (?P<number>
        [0-9]{{1,5}}(?:-[0-9]{{1,4}})?[A-Za-z]?
      | [A-Za-z]
      | [一二三四五六七八九十][一二三四五六七八九十百千零〇]{{0,6}}
    )
    (?P<suffix>{"|".join(NUMBERED_SUFFIXES)})
    """,
    re.VERBOSE,
)
# A room number with no suffix, right after a unit or building: 1单元1401.
_BARE_ROOM = re.compile(r"[0-9]{3,5}(?![0-9A-Za-z])")
# A form label right before an address (地址：). It is a personal cue only in
# a customer's message, where it heads the customer's own address. Agents
# use the same label for shops and sights, and 地址是 or 地址在 is how venue
# addresses are given, so those stay no cue.
_ADDRESS_LABEL = re.compile(r"地址\s*[:：]\s*$")

_PROVINCE_NAMES = tuple(name for pair in PROVINCES for name in pair)
# Tried in this order, so a road wins a tie with a compound of equal score.
_NAMED_LEVELS = (
    Level.ROAD,
    Level.COMPOUND,
    Level.VILLAGE,
    Level.TOWN,
    Level.DISTRICT,
    Level.CITY,
    Level.PROVINCE,
)
_DETAIL_LEVELS = {Level.BUILDING, Level.UNIT, Level.FLOOR, Level.ROOM}
_ADMIN_LEVELS = {
    Level.PROVINCE,
    Level.CITY,
    Level.DISTRICT,
    Level.TOWN,
    Level.VILLAGE,
}

# Scores of a left part: a name found in a table beats any guessed split.
_PROVINCE_SCORE = 4
_KNOWN_SCORE = 3
_GUESSED_SCORE = 1
# Below the engine's default reporting threshold of 0.5.
_UNPROVEN_CONFIDENCE = 0.45


@dataclass(frozen=True)
class Part:
    """One part of an address, with offsets into the segment's text."""

    start: int
    end: int
    level: Level
    known: bool = False


@dataclass(frozen=True)
class Gazetteer:
    """Prefecture and county names, current and retired, with their suffixes."""

    prefectures: frozenset[str]
    counties: frozenset[str]
    prefecture_stems: frozenset[str]


@cache
def gazetteer() -> Gazetteer:
    """Load the division names of python-stdnum's `cn/loc.dat` once.

    Only the indented lines with a four-digit code are read. A code ending
    in 00 names a prefecture and any other code a county. A value may list
    several names, each behind its validity years.
    """
    text = resources.files("stdnum.cn").joinpath("loc.dat").read_text("utf-8")
    prefectures: set[str] = set()
    counties: set[str] = set()
    for line in text.splitlines():
        match = re.match(r"\s+([0-9]{4}) county=\"([^\"]*)\"", line)
        if not match:
            continue
        names = {re.sub(r"^\[[^\]]*\]", "", n) for n in match.group(2).split(",")}
        names = {n for n in names if len(n) >= 2 and "辖" not in n}
        (prefectures if match.group(1).endswith("00") else counties).update(names)
    stems = {
        name[:-1] for name in prefectures if name.endswith("市") and len(name) >= 3
    }
    return Gazetteer(frozenset(prefectures), frozenset(counties), frozenset(stems))


@dataclass
class AddressText:
    """A segment's text prepared for address parsing.

    `simple` is the folded text with traditional characters mapped to
    simplified ones, the same length as the original. `blocked[i]` is true
    where no place name can contain character i.
    """

    simple: str
    blocked: list[bool]

    @classmethod
    def of(cls, simple: str) -> AddressText:
        blocked = [not _is_han(c) or c in NON_NAME_CHARS for c in simple]
        for word in LEAD_IN_WORDS:
            for match in re.finditer(re.escape(word), simple):
                for index in range(match.start(), match.end()):
                    blocked[index] = True
        return cls(simple, blocked)

    def starts_name(self, index: int) -> bool:
        """Return whether a guessed name may start at `index`, a boundary."""
        return index == 0 or self.blocked[index - 1]


def _ends_with(text: str, end: int, word: str) -> bool:
    """Return whether `text[:end]` ends with `word`."""
    return end >= len(word) and text.startswith(word, end - len(word))


def _is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def _numbered_level(suffix: str, after: Level | None) -> Level:
    """Place a numbered part: 号 is a house number, a building or a room."""
    level = NUMBERED_SUFFIXES[suffix]
    if suffix != "号" or after is None:
        return level
    for choice in (Level.NUMBER, Level.BUILDING, Level.ROOM):
        if choice > after:
            return choice
    return Level.ROOM


class LeftParser:
    """Parser of the named parts (road, district, city...) left of an anchor."""

    def __init__(self, text: AddressText) -> None:
        self.text = text
        self.places = gazetteer()
        self.memo: dict[tuple[int, Level], tuple[int, tuple[Part, ...]]] = {}

    def parse(
        self, end: int, below: Level, bare_compound: bool = False
    ) -> tuple[int, tuple[Part, ...]]:
        """Return (score, parts) of the best parse ending at `end`.

        Parts are in text order and every level is smaller than `below`.
        `bare_compound` lets a compound name without a suffix end at `end`,
        as 世纪城 does before 24栋.
        """
        key = (end, below)
        if key in self.memo and not bare_compound:
            return self.memo[key]
        best: tuple[int, tuple[Part, ...]] = (0, ())
        for part in self._parts_ending_at(end, below, bare_compound):
            gap = part.start
            while gap > 0 and self.text.simple[gap - 1] in " \t":
                gap -= 1
            score, rest = self.parse(gap, part.level)
            if not part.known and not rest and not self.text.starts_name(part.start):
                continue  # a guessed name must reach a boundary
            score += self._score(part)
            parts = (*rest, part)
            # On a tie the parse reaching further left wins: 长沙市 over 沙市.
            if score > best[0] or (
                score == best[0] and parts[0].start < best[1][0].start
            ):
                best = (score, parts)
        if not bare_compound:
            self.memo[key] = best
        return best

    def _parts_ending_at(
        self, end: int, below: Level, bare_compound: bool
    ) -> Iterator[Part]:
        simple = self.text.simple
        for level in _NAMED_LEVELS:
            if level >= below:
                continue
            if level == Level.PROVINCE:
                for name in _PROVINCE_NAMES:
                    if _ends_with(simple, end, name):
                        yield Part(end - len(name), end, level, known=True)
                continue
            suffixes = NAMED_SUFFIXES[level]
            if level == Level.COMPOUND and bare_compound:
                suffixes = (*suffixes, "")
            if level == Level.CITY:
                yield from self._prefecture_stems(end)
            for suffix in suffixes:
                if _ends_with(simple, end, suffix):
                    yield from self._names(end, end - len(suffix), level)

    def _names(self, end: int, name_end: int, level: Level) -> Iterator[Part]:
        shortest, longest = NAME_LENGTHS[level]
        start = name_end
        while start > 0 and name_end - start < longest:
            if self.text.blocked[start - 1]:
                break
            start -= 1
            whole = self.text.simple[start:end]
            known = self._is_known(whole, level)
            if known or name_end - start >= shortest:
                yield Part(start, end, level, known)

    def _prefecture_stems(self, end: int) -> Iterator[Part]:
        """Yield prefecture names written without 市 (杭州西湖区)."""
        for size in (2, 3, 4):
            stem = self.text.simple[max(0, end - size) : end]
            if len(stem) == size and stem in self.places.prefecture_stems:
                yield Part(end - size, end, Level.CITY, known=True)

    def _is_known(self, name: str, level: Level) -> bool:
        if level == Level.CITY:
            return name in self.places.prefectures
        if level == Level.DISTRICT:
            return name in self.places.counties
        return False

    @staticmethod
    def _score(part: Part) -> int:
        if part.level == Level.PROVINCE:
            return _PROVINCE_SCORE
        return _KNOWN_SCORE if part.known else _GUESSED_SCORE


def grow_right(text: AddressText, parts: list[Part]) -> None:
    """Append the numbered parts and compound names that follow `parts`."""
    simple = text.simple
    while True:
        last = parts[-1]
        pos = last.end + (simple[last.end : last.end + 1] == " ")
        numbered = _numbered_at(simple, pos)
        if numbered is not None:
            end, suffix = numbered
            level = _numbered_level(suffix, last.level)
            if level > last.level:
                parts.append(Part(pos, end, level))
                continue
        if last.level < Level.COMPOUND:
            compound_end = _compound_end(text, pos)
            if compound_end is not None:
                parts.append(Part(pos, compound_end, Level.COMPOUND))
                continue
        if last.level in (Level.BUILDING, Level.UNIT):
            bare = _BARE_ROOM.match(simple, pos)
            if bare and not _numbered_at(simple, pos):
                parts.append(Part(pos, bare.end(), Level.ROOM))
                continue
        return


def _numbered_at(simple: str, pos: int) -> tuple[int, str] | None:
    match = _NUMBERED.match(simple, pos)
    if not match:
        return None
    suffix = match.group("suffix")
    if suffix == "号" and simple.startswith(NOT_HOUSE_NUMBER_FOLLOWERS, match.end()):
        return None
    return match.end(), suffix


def _compound_end(text: AddressText, pos: int) -> int | None:
    """Return where a compound name starting at `pos` ends, if one does.

    The name is the run of name characters up to a numbered part
    (世纪城24栋), or else the longest start of that run that ends in a
    compound suffix (锦绣苑). Latin letters count as name characters here
    because estates carry brand names (SOHO现代城).
    """
    simple = text.simple
    end = pos
    _, longest = NAME_LENGTHS[Level.COMPOUND]
    while end < len(simple) and end - pos < longest:
        if text.blocked[end] and not ("A" <= simple[end].upper() <= "Z"):
            break
        if end > pos and _numbered_at(simple, end) is not None:
            break  # the name ends where a numbered part such as A座 starts
        end += 1
    if end < len(simple) and simple[end - 1 : end].isascii():
        return None  # a Latin word glued to a number is a code, not a name
    if end - pos < 2:
        return None
    following = _numbered_at(simple, end)
    if following is not None and (
        following[1] == "号" or NUMBERED_SUFFIXES[following[1]] > Level.COMPOUND
    ):
        return end
    for stop in range(end, pos + 1, -1):
        if simple[pos:stop].endswith(NAMED_SUFFIXES[Level.COMPOUND]):
            return stop
    return None


def _is_dwelling(simple: str, part: Part) -> bool:
    """Return whether a part names a flat: a unit, room or 栋 or 幢 building.

    Offices and shops are given by floor (7层), 号楼 or 座, so those prove
    nothing by themselves.
    """
    if part.level in (Level.UNIT, Level.ROOM):
        return True
    return part.level == Level.BUILDING and simple[part.end - 1] in "栋幢"


def locates_home(parts: list[Part]) -> bool:
    """Return whether the parts pin down one dwelling, not only an area."""
    levels = {part.level for part in parts}
    details = len(levels & _DETAIL_LEVELS)
    admin = bool(levels & _ADMIN_LEVELS)
    numbered = bool(levels & {Level.NUMBER, Level.ALLEY, Level.LANE})
    if Level.ROAD in levels and (numbered or details):
        return True
    if Level.COMPOUND in levels:
        return details >= 2 or (details >= 1 and (admin or numbered))
    # A house number straight after a village or a town (南湖街道832号)
    # needs a larger area before it to be more than a guess.
    small_area = levels & {Level.VILLAGE, Level.TOWN}
    return bool(small_area) and numbered and len(levels & _ADMIN_LEVELS) >= 2


def _has_personal_context(simple: str, start: int, end: int, speaker: str) -> bool:
    """Return whether the words around an address name it as someone's."""
    before = simple[max(0, start - 12) : start]
    if PERSONAL.search(before):
        return True
    if speaker == "customer" and _ADDRESS_LABEL.search(before):
        return True
    return simple.startswith(PERSONAL_CONTEXT_AFTER, end)


def describe(parts: list[Part]) -> str:
    names = [part.level.name.lower() for part in parts]
    known = [p.level.name.lower() for p in parts if p.known]
    text = "Chinese address with " + ", ".join(names)
    if known:
        text += "; known names: " + ", ".join(known)
    return text


RULES = (
    Rule(
        "cn_address.road_number",
        "ADDRESS",
        "a road with a house number, with the larger areas before it. Without "
        "a flat, it needs personal context such as 收货 or 寄到",
        examples=(
            "收货地址：上海市长宁区仙霞路318号",
            "寄到浙江省杭州市西湖区文三路168号",
            "寄到武汉市武昌区中北大道235号",
            "送到北京市东城区香饵胡同21号",
            "寄到沈阳市和平区太原北大街9号",
        ),
        counter_examples=("地址改成广州市越秀区东风中路62号",),
    ),
    Rule(
        "cn_address.address_label",
        "ADDRESS",
        "a road and house number after an address label such as 家庭地址, "
        "通讯地址 or 联系地址, or after a bare 地址： in a customer's message. "
        "The label is not part of the span",
        examples=(
            "家庭地址：南昌市青山湖区北京东路66号",
            "我的通讯地址是贵阳市云岩区中华北路105号",
            "联系地址 兰州市城关区庆阳路77号",
            "地址：昆明市五华区青年路210号",
        ),
        counter_examples=("地址是昆明市五华区青年路210号",),
    ),
    Rule(
        "cn_address.personal_after",
        "ADDRESS",
        "a road and house number followed by 居住 or 居民",
        examples=("他在苏州市吴中区东吴北路300号居住", "长春市南关区人民大街66号居民"),
        counter_examples=("他在苏州市吴中区东吴北路300号开店",),
    ),
    Rule(
        "cn_address.new_area",
        "ADDRESS",
        "a house number after a 新区 or 开发区 inside a district",
        examples=("我住在长沙市岳麓区梅溪湖新区36号",),
        counter_examples=("我住在长沙市岳麓区梅溪湖新区",),
    ),
    Rule(
        "cn_address.chinese_numerals",
        "ADDRESS",
        "house and building numbers written in Chinese numerals",
        examples=(
            "寄到兰州市城关区庆阳路四百二十号",
            "送到大连市中山区人民路八号二十三号楼",
        ),
        counter_examples=("一百号人在排队", "坐地铁十一号线"),
    ),
    Rule(
        "cn_address.road_flat",
        "ADDRESS",
        "a road and house number followed by a unit or a room",
        examples=("我住在北京市朝阳区朝阳北路88号3单元1101室",),
    ),
    Rule(
        "cn_address.compound_flat",
        "ADDRESS",
        "a compound with two of building, unit and room, its name with or "
        "without a compound suffix",
        examples=("我家住在桂香苑5栋1单元1201", "送到翠湖城7栋3单元1402"),
    ),
    Rule(
        "cn_address.area_compound",
        "ADDRESS",
        "a city and district without 市 or 区 suffix before a compound and flat",
        examples=("寄到杭州西湖区翠苑三区12栋2单元501室",),
    ),
    Rule(
        "cn_address.village_number",
        "ADDRESS",
        "a village or town with a house number, below at least two "
        "administrative areas",
        examples=(
            "收件地址 北京市朝阳区望京街道花家地村12号",
            "快递寄到河北省保定市清苑区东闾乡南庄村38号",
            "寄到江西省吉安市永丰县佐龙乡桥头村五组12号",
        ),
    ),
    Rule(
        "cn_address.lane_alley",
        "ADDRESS",
        "numbered 段, 巷 and 弄 between a road and a house number",
        examples=(
            "寄到上海市浦东新区崂山路1276弄12号602室",
            "寄到台北市大安區忠孝東路四段100巷5弄8號",
        ),
    ),
    Rule(
        "cn_address.traditional",
        "ADDRESS",
        "an address written in traditional characters",
        examples=("收貨地址：廣東省深圳市南山區科技園路18號",),
    ),
    Rule(
        "cn_address.not_a_home",
        "ADDRESS",
        "a bare city or district, a business address and 号 followed by 线 or "
        "窗 locate no home",
        examples=("酒店太贵了，这次寄到我家：上海市长宁区仙霞路318号2单元501室",),
        counter_examples=(
            "我住在北京市朝阳区",
            "本店地址：上海市长宁区仙霞路318号",
            "坐地铁2号线到人民广场",
        ),
    ),
)


class ChineseAddressRecognizer(Recognizer):
    name = "cn_address"
    types = ("ADDRESS",)
    rules = RULES

    def find(self, view: SegmentView) -> Iterator[Candidate]:
        folded = view.folded.text
        simple = folded.translate(TRADITIONAL_TO_SIMPLIFIED)
        if not _NUMBERED.search(simple):
            return
        text = AddressText.of(simple)
        parser = LeftParser(text)
        covered = 0
        for anchor in _NUMBERED.finditer(simple):
            if anchor.start() < covered or not _numbered_at(simple, anchor.start()):
                continue
            parts = self._parts_around(text, parser, anchor)
            covered = parts[-1].end
            if not locates_home(parts):
                continue
            start, end = parts[0].start, parts[-1].end
            yield Candidate(
                start,
                end,
                "ADDRESS",
                "full",
                folded[start:end],
                self._confidence(simple, parts, view.segment.speaker),
                self.name,
                describe(parts),
                {"cn_address", *(part.level.name.lower() for part in parts)},
            )

    def _parts_around(
        self, text: AddressText, parser: LeftParser, anchor: re.Match[str]
    ) -> list[Part]:
        suffix = anchor.group("suffix")
        level = NUMBERED_SUFFIXES[suffix]
        # 号 may follow a road (a house number) or a compound (a building),
        # and only a building, unit, floor or room follows a bare compound
        # name such as 世纪城.
        below = Level.BUILDING if suffix == "号" else level
        bare = suffix != "号" and level >= Level.BUILDING
        _, left = parser.parse(anchor.start(), below, bare_compound=bare)
        if suffix == "号":
            level = _numbered_level(suffix, left[-1].level if left else None)
        parts = [*left, Part(anchor.start(), anchor.end(), level)]
        grow_right(text, parts)
        return parts

    @staticmethod
    def _confidence(simple: str, parts: list[Part], speaker: str) -> float:
        """Score by the number of parts; context moves the score.

        An address with no unit, room or 栋 building scores below the
        reporting threshold unless personal context surrounds it, because
        shops, offices and sights have addresses of that shape too.
        """
        confidence = 0.55 + 0.06 * (len(parts) - 2)
        if any(part.known for part in parts):
            confidence += 0.05
        start, end = parts[0].start, parts[-1].end
        if _has_personal_context(simple, start, end, speaker):
            confidence += 0.05
        elif not any(_is_dwelling(simple, part) for part in parts):
            confidence = min(confidence, _UNPROVEN_CONFIDENCE)
        # Only the words in and right next to the address name its owner,
        # because a sentence may mention a bank or a shop for other reasons.
        nearby = simple[max(0, start - 8) : min(len(simple), end + 6)]
        if BUSINESS.search(nearby):
            confidence -= 0.3
        return round(max(min(confidence, 0.97), 0.05), 2)


RECOGNIZERS = [ChineseAddressRecognizer()]
