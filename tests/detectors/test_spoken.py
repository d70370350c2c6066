"""Tests of the spoken-digit transform, through `fold_width` and `digit_runs`.

Every number here is made up. Card numbers pass Luhn, the resident ID passes
its GB 11643 check character, and phone numbers are valid for their region in
phonenumbers, so the digits found are ones a recognizer would accept.
"""

from __future__ import annotations

import phonenumbers
import pytest
from stdnum import luhn

from detectors.normalize import MappedText, digit_runs, fold_width
from detectors.recognizers.cn_resident_id import is_resident_id
from detectors.recognizers.payment_card import card_brand
from detectors.spoken import has_spoken_digits, spoken_digits


def convert(text: str) -> MappedText:
    return spoken_digits(fold_width(text))


def found(text: str) -> list[tuple[str, str]]:
    """Return (digits, original text) of each digit run after conversion."""
    mapped = convert(text)
    result = []
    for run in digit_runs(mapped):
        start, end = mapped.original_span(*run.span(0, len(run.digits) - 1))
        result.append((run.digits, text[start:end]))
    return result


def groups(text: str) -> list[tuple[int, ...]]:
    return [run.groups for run in digit_runs(convert(text))]


def assert_unchanged(text: str) -> None:
    mapped = convert(text)
    assert mapped.text == fold_width(text).text
    assert mapped.starts == tuple(range(len(text)))
    assert mapped.ends == tuple(range(1, len(text) + 1))


# Chinese

CHINESE_WORDS = [
    "您稍等一下",
    "我一直在等",
    "我们一起去",
    "统一处理",
    "这是唯一的办法",
    "还有一些问题",
    "跟上次一样",
    "第一次来",
    "十一月份",
    "三星手机",
    "五金店",
    "万一不行呢",
    "周一8点见",
    "第一 2 号窗口",
    "一两个人",
    "他一五一十地说了",
    "三三两两地走了",
    "七八九十个人",
    "三七二十一",
    "两三百块",
]


def test_chinese_mobile_in_radio_forms() -> None:
    text = "请问手机号？幺三九 洞六两拐 勾四八五，好的"

    assert convert(text).text == "请问手机号?139 0627 9485,好的"
    assert found(text) == [("13906279485", "幺三九 洞六两拐 勾四八五")]
    assert groups(text) == [(3, 4, 4)]


def test_chinese_card_in_four_digit_groups() -> None:
    spoken = "六二一四 八三一零 五九二七 三六零四 一五九"
    text = f"卡号是{spoken}，您核对一下"

    [(digits, original)] = found(text)

    assert digits == "6214831059273604159"
    assert luhn.is_valid(digits)
    assert card_brand(digits) == "unionpay"
    assert original == spoken
    assert groups(text) == [(4, 4, 4, 4, 3)]


@pytest.mark.parametrize("check", ["叉", "爱克斯", "艾克斯", "X", "x"])
def test_resident_id_ending_in_spoken_x(check: str) -> None:
    spoken = f"四四零三零五 一九八五零九一七 一零七{check}"
    text = f"身份证号码是{spoken}。"

    [(digits, original)] = found(text)

    assert digits == "44030519850917107X"
    assert is_resident_id(digits)
    assert original == spoken


def test_spoken_x_after_a_space_joins_last_group() -> None:
    text = "证件号 四四零三零五一九八五零九一七一零七 叉"

    assert convert(text).text == "证件号 44030519850917107X"
    assert found(text) == [("44030519850917107X", text[4:])]


def test_spoken_x_needs_seventeen_digits_before() -> None:
    assert convert("编号一二三四叉").text == "编号1234叉"
    assert convert("打叉一二三").text == "打叉123"


def test_mixed_chinese_and_ascii_groups() -> None:
    text = "号码一三九 0627 9485 谢谢"

    assert convert(text).text == "号码139 0627 9485 谢谢"
    assert found(text) == [("13906279485", "一三九 0627 9485")]


def test_full_width_digits_mixed_with_chinese() -> None:
    text = "号码：幺三九\u3000０６２７\u3000９４８５"

    assert found(text) == [("13906279485", text[3:])]


def test_short_chinese_part_glued_to_ascii() -> None:
    text = "打幺3906279485吧"

    assert convert(text).text == "打13906279485吧"
    assert found(text) == [("13906279485", "幺3906279485")]


def test_financial_forms() -> None:
    text = "金额栏填了陆贰壹肆 捌叁壹零"

    assert found(text) == [("62148310", "陆贰壹肆 捌叁壹零")]


def test_chinese_spaced_per_character_join_into_one_group() -> None:
    text = "手机 幺 三 九 洞 六 两 拐 勾 四 八 五"

    assert found(text) == [("13906279485", text[3:])]
    assert groups(text) == [(11,)]


def test_chinese_pause_separators_become_groups() -> None:
    text = "一三九、零六二七，九四八五"

    assert convert(text).text == "139 0627 9485"
    assert groups(text) == [(3, 4, 4)]


def test_chinese_digits_do_not_join_english_words() -> None:
    assert convert("幺三九 one two").text == "139 one two"


@pytest.mark.parametrize("text", CHINESE_WORDS)
def test_chinese_words_with_digit_characters_unchanged(text: str) -> None:
    assert_unchanged(text)


# English

ENGLISH_SENTENCES = [
    "oh no",
    "Oh, oh, oh!",
    "oh oh oh",
    "one of them",
    "I have two cards",
    "I'm on the phone",
    "see you at nine o'clock",
    "nine o'clock or ten o'clock",
    "one or two",
    "one, two",
    "double one",
    "a double room",
    "twenty-one",
    "the six-digit code",
    "a one-time code",
    "two two-hour calls",
    "one hundred and five",
    "someone gave one",
]


def test_english_phone_with_double() -> None:
    spoken = "five oh three, four eight two, six double one seven"
    text = f"Sure, it's {spoken}."

    [(digits, original)] = found(text)

    assert digits == "5034826117"
    assert phonenumbers.is_valid_number(phonenumbers.parse(digits, "US"))
    assert original == spoken
    assert groups(text) == [(3, 3, 4)]
    assert convert(text).text == "Sure, it's 503 482 6117."


def test_english_card_in_four_word_groups() -> None:
    spoken = (
        "six two one four, eight three one oh, five nine two seven, "
        "three six oh four, one five nine"
    )

    [(digits, original)] = found(f"My card is {spoken}, thanks")

    assert digits == "6214831059273604159"
    assert luhn.is_valid(digits)
    assert original == spoken


def test_english_code_words_join_into_one_group() -> None:
    text = "The code is four seven seven two nine three"

    assert convert(text).text == "The code is 477293"
    assert found(text) == [("477293", "four seven seven two nine three")]


def test_english_case_insensitive() -> None:
    assert convert("Code: Four SEVEN seven Two").text == "Code: 4772"


def test_english_triple_and_double_oh() -> None:
    assert convert("extension triple seven").text == "extension 777"
    assert convert("agent double oh seven").text == "agent 007"
    assert convert("agent double-oh-seven").text == "agent 007"
    assert convert("room treble two").text == "room 222"


def test_english_hyphenated_groups() -> None:
    text = "call eight-zero-eight six-four-nine nine-nine-nine-six today"

    assert convert(text).text == "call 808 649 9996 today"
    assert groups(text) == [(3, 3, 4)]


def test_english_glued_hyphens_one_group() -> None:
    assert convert("dial four-one-one").text == "dial 411"


def test_english_pauses_become_groups() -> None:
    text = "it's five oh three... four eight two - six one one seven"

    assert convert(text).text == "it's 503 482 6117"
    assert groups(text) == [(3, 3, 4)]


def test_english_full_stop_ends_a_number() -> None:
    text = "One two three. Four five six"

    assert convert(text).text == "123. 456"
    assert convert("One two three. Two cards").text == "123. Two cards"


def test_english_and_ends_a_number() -> None:
    assert convert("one two three and four five six").text == "123 and 456"


def test_english_words_mixed_with_ascii_groups() -> None:
    text = "it is 503 four eight two 6117"

    assert found(text) == [("5034826117", "503 four eight two 6117")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("seven oh two four", "7024"),
        ("one three seven two five oh.", "137250."),
        ("oh four two seven", "0427"),
        ("Oh, four two seven one", "Oh, 4271"),
        ("four two seven one, oh", "4271, oh"),
        ("O one two three", "0123"),
    ],
)
def test_english_oh_as_zero(text: str, expected: str) -> None:
    assert convert(text).text == expected


@pytest.mark.parametrize("text", ENGLISH_SENTENCES)
def test_english_words_in_sentences_unchanged(text: str) -> None:
    assert_unchanged(text)


# Offsets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "我的卡号是六二一四 八三一零 五九二七 三六零四 一五九，对",
            "六二一四 八三一零 五九二七 三六零四 一五九",
        ),
        ("电话：幺三九-洞六两拐-勾四八五。", "幺三九-洞六两拐-勾四八五"),
        (
            "Number's five oh three, four eight two, six double one seven!",
            "five oh three, four eight two, six double one seven",
        ),
        ("(double five four, three two one)", "double five four, three two one"),
        ("code: four seven seven two nine three.", "four seven seven two nine three"),
        (
            "call eight-zero-eight six-four-nine nine-nine-nine-six, ok",
            "eight-zero-eight six-four-nine nine-nine-nine-six",
        ),
    ],
)
def test_digits_map_back_to_first_and_last_word(text: str, expected: str) -> None:
    [(_, original)] = found(text)

    assert original == expected


def test_each_digit_maps_to_its_own_word() -> None:
    text = "ok four-one double nine"
    mapped = convert(text)

    assert mapped.text == "ok 41 99"
    words = [text[mapped.starts[i] : mapped.ends[i]] for i in range(3, 8)]
    assert words == ["four", "one", " ", "double nine", "double nine"]


def test_each_chinese_digit_maps_to_its_character() -> None:
    text = "幺三九，洞"
    mapped = convert(text)

    assert mapped.text == "139 0"
    assert [text[s:e] for s, e in zip(mapped.starts, mapped.ends, strict=True)] == [
        "幺",
        "三",
        "九",
        "，",
        "洞",
    ]


def test_pause_maps_to_whole_separator() -> None:
    text = "five oh three ... four eight two"
    mapped = convert(text)

    assert mapped.text == "503 482"
    assert text[mapped.starts[3] : mapped.ends[3]] == " ... "


def test_chains_after_other_transform() -> None:
    folded = fold_width("电话 幺三九\u3000０６２７")
    shifted = folded.rewrite([(0, 3, "")])
    mapped = spoken_digits(shifted)

    assert mapped.text == "139 0627"
    assert mapped.original_span(0, len(mapped.text)) == (3, 11)


# Texts without spoken digits


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hello, how can I help?",
        "您好，请问有什么可以帮您？",
        "订单号 20240315 已发货",
        "card 6214 8310 5927 3604 159",
    ],
)
def test_text_without_spoken_digits_returned_as_is(text: str) -> None:
    mapped = fold_width(text)

    assert not has_spoken_digits(text)
    assert spoken_digits(mapped) is mapped


def test_precheck_false_means_no_change() -> None:
    texts = [
        *CHINESE_WORDS,
        *ENGLISH_SENTENCES,
        "幺三九 洞六两拐 勾四八五",
        "打幺3906279485吧",
        "four seven seven two",
        "triple seven",
        "dial four-one-one",
        "it is 503 four 482",
        "cost: 3 or 4",
    ]
    for text in texts:
        changed = convert(text).text != fold_width(text).text
        assert has_spoken_digits(text) or not changed, text


@pytest.mark.parametrize(
    "text",
    [
        "幺三九 洞六两拐 勾四八五",
        "打幺3906279485吧",
        "four seven seven two",
        "triple seven",
        "dial four-one-one",
    ],
)
def test_precheck_true_for_numbers(text: str) -> None:
    assert has_spoken_digits(text)


@pytest.mark.parametrize("text", ["唯一一次", "at nine o'clock"])
def test_precheck_passes_words_left_alone(text: str) -> None:
    assert has_spoken_digits(text)
    assert_unchanged(text)
