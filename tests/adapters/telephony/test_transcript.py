"""Finding time ranges, the generic format and a card read back by the agent."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.errors import PayloadInvalid
from adapters.telephony.contact_lens import interaction_from_analysis
from adapters.telephony.transcript import (
    MAX_TIME_MS,
    TIME_ERROR,
    TimedWord,
    align_words,
    clamp_words,
    finding_time_range,
    interaction_from_generic,
    is_plain_id,
    keyed_id,
    millis,
    seconds_to_ms,
)
from adapters.telephony.vcon import interaction_from_vcon
from detectors.engine import Detector
from detectors.types import Segment
from tests.fakedata import card

ID_KEY = b"id-key-for-telephony-tests"


def test_align_words_repeated_and_missing() -> None:
    text = "no no, seven items"
    words = [
        TimedWord("no", 0, 100),
        TimedWord("no", 150, 250),
        TimedWord("7", 300, 400),
        TimedWord("items", 450, 700),
    ]

    aligned = align_words(text, words)

    assert [(w["start"], w["end"]) for w in aligned] == [(0, 2), (3, 5), (13, 18)]
    assert [w["start_ms"] for w in aligned] == [0, 150, 450]


def test_time_range_interpolated_without_words() -> None:
    segment = Segment("s1", "agent", "0123456789", start_ms=1000, end_ms=2000)

    assert finding_time_range(segment, 2, 5) == (1200, 1500, "interpolated")


def test_time_range_none_without_times() -> None:
    segment = Segment("s1", "agent", "0123456789")

    assert finding_time_range(segment, 2, 5) == (None, None, "none")


def test_time_range_between_words_interpolates() -> None:
    segment = Segment("s1", "agent", "ab  cd", start_ms=0, end_ms=600)
    segment.extra["words"] = align_words("ab  cd", [TimedWord("ab", 0, 200)])

    assert finding_time_range(segment, 3, 4)[2] == "interpolated"


@pytest.mark.parametrize(
    ("start_ms", "end_ms", "extra"),
    [
        (1000, 1000, {}),  # a turn of no length mutes nothing
        (2000, 1000, {}),  # reversed, as an older ledger may hold
        (None, None, {TIME_ERROR: "Transcript[0] ends before it starts"}),
        (MAX_TIME_MS, MAX_TIME_MS + 10, {}),
    ],
)
def test_time_range_unusable_is_invalid(
    start_ms: int | None, end_ms: int | None, extra: dict[str, str]
) -> None:
    segment = Segment("s1", "agent", "0123456789", start_ms=start_ms, end_ms=end_ms)
    segment.extra.update(extra)

    assert finding_time_range(segment, 2, 5) == (None, None, "invalid")


def test_time_range_skips_malformed_words() -> None:
    segment = Segment("s1", "agent", "0123456789", start_ms=1000, end_ms=2000)
    segment.extra["words"] = [
        "nine",
        {"start": 2, "end": 5},
        {"start": 2, "end": 5, "start_ms": "1200", "end_ms": 1500},
        {"start": 2, "end": 5, "start_ms": 1600, "end_ms": 1600},
    ]

    # The only well-formed word is empty, so the range is interpolated.
    assert finding_time_range(segment, 2, 5) == (1200, 1500, "interpolated")


def test_clamp_words_to_segment() -> None:
    words = [
        TimedWord("a", 500, 1200),
        TimedWord("b", 1300, 1200),
        TimedWord("c", 1900, 2500),
        TimedWord("d", 2100, 2300),
    ]

    assert clamp_words(words, 1000, 2000) == [
        TimedWord("a", 1000, 1200),
        TimedWord("c", 1900, 2000),
    ]
    assert clamp_words(words, None, None) == [words[0], words[2], words[3]]


@pytest.mark.parametrize(
    ("read", "value", "message"),
    [
        (seconds_to_ms, "1e30", "more than 7 days"),
        (seconds_to_ms, 604800.001, "more than 7 days"),
        (seconds_to_ms, "-1", "non-negative"),
        (seconds_to_ms, "1e999999999", "more than 7 days"),
        (millis, 1e300, "more than 7 days"),
        (millis, MAX_TIME_MS + 1, "more than 7 days"),
        (millis, -5, "non-negative"),
    ],
)
def test_times_out_of_range_rejected(read: Any, value: object, message: str) -> None:
    with pytest.raises(PayloadInvalid, match=message) as caught:
        read(value, "x.start")

    assert str(caught.value).startswith("x.start ")


def test_times_at_the_limit_accepted() -> None:
    assert seconds_to_ms("604800", "x") == MAX_TIME_MS
    assert seconds_to_ms("1e-999999999", "x") == 0
    assert millis(MAX_TIME_MS, "x") == MAX_TIME_MS


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ("contact-0001", True),
        ("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", True),
        ("0195544a-bd15-8960-b9a2-000000000001", False),
        ("13800138000", False),
        ("138-0013-8000", False),
        ("call.4532.0151.1283", False),
        ("+86 138 0013 8000", False),
        ("a" * 128, True),
        ("a" * 129, False),
        ("名字", False),
        ("", False),
    ],
)
def test_plain_ids(value: str, plain: bool) -> None:
    assert is_plain_id(value) is plain


def test_keyed_id_hashes_numbers() -> None:
    key = b"k" * 16

    assert keyed_id("contact-0001", key) == "contact-0001"
    hashed = keyed_id("13800138000", key)
    assert hashed.startswith("h-")
    assert len(hashed) == 34
    assert "13800138000" not in hashed
    assert keyed_id("13800138000", key) == hashed
    assert keyed_id("13800138000", b"j" * 16) != hashed
    assert keyed_id("contact-0001", b"") == "contact-0001"
    with pytest.raises(ValueError, match="no key"):
        keyed_id("13800138000", b"")


def test_keyed_id_keeps_its_own_hashes() -> None:
    key = b"k" * 16
    # Hex digits often run six long, which alone would make a hash not plain.
    hashed = [keyed_id(f"1380013{n:04d}", key) for n in range(40)]
    assert not all(is_plain_id(value) for value in hashed)

    assert [keyed_id(value, key) for value in hashed] == hashed
    assert keyed_id("h-13800138000", key) != "h-13800138000"


def test_generic_format_parses_voice() -> None:
    data = {
        "id": "call-1",
        "channel": "voice",
        "segments": [
            {
                "id": "s1",
                "speaker": "agent",
                "text": "Hello",
                "start_ms": 0,
                "end_ms": 800,
            },
        ],
    }

    interaction = interaction_from_generic(data)

    assert interaction.segments[0].end_ms == 800


def test_generic_format_error_names_field() -> None:
    data = {"id": "call-1", "channel": "voice", "segments": [{"id": "s1"}]}

    with pytest.raises(PayloadInvalid, match="segments"):
        interaction_from_generic(data)


def test_agent_card_readback_inside_turn() -> None:
    number = card(prefix="453201", length=16)
    spaced = " ".join(number[i : i + 4] for i in range(0, 16, 4))
    data = {
        "Participants": [
            {"ParticipantId": "agent-1", "ParticipantRole": "AGENT"},
            {"ParticipantId": "caller-1", "ParticipantRole": "CUSTOMER"},
        ],
        "Transcript": [
            {
                "ParticipantId": "caller-1",
                "Content": "I need to check a payment.",
                "BeginOffsetMillis": 0,
                "EndOffsetMillis": 2400,
            },
            {
                "ParticipantId": "agent-1",
                "Content": f"I have your card on file as {spaced}, is that right?",
                "BeginOffsetMillis": 3000,
                "EndOffsetMillis": 9000,
            },
        ],
    }
    interaction = interaction_from_analysis(data, id_key=ID_KEY)
    agent = interaction.segments[1]

    report = Detector().detect(interaction)
    cards = [f for f in report.findings if f.type == "BANK_CARD"]

    assert len(cards) == 1
    assert cards[0].severity == "high"
    assert cards[0].segment == agent.id
    start_ms, end_ms, method = finding_time_range(agent, cards[0].start, cards[0].end)
    assert method == "interpolated"
    assert start_ms is not None and end_ms is not None
    assert agent.start_ms is not None and agent.end_ms is not None
    assert agent.start_ms <= start_ms < end_ms <= agent.end_ms


def test_card_readback_with_word_timings() -> None:
    number = card(prefix="453201", length=16)
    groups = [number[i : i + 4] for i in range(0, 16, 4)]
    words = [{"word": "Card", "start": 10.0, "end": 10.3}]
    words += [
        {"word": group, "start": 10.5 + i, "end": 11.3 + i}
        for i, group in enumerate(groups)
    ]
    data = {
        "uuid": "018f0000-0000-8000-8000-00000000abcd",
        "parties": [{"role": "customer"}, {"role": "agent"}],
        "dialog": [{"type": "recording", "parties": [0, 1]}],
        "analysis": [
            {
                "type": "transcript",
                "dialog": 0,
                "body": [
                    {
                        "parties": 1,
                        "start": 10.0,
                        "duration": 5.0,
                        "text": "Card " + " ".join(groups) + ", correct?",
                        "words": words,
                    },
                ],
            }
        ],
    }
    interaction = interaction_from_vcon(data, id_key=ID_KEY)
    agent = interaction.segments[0]

    report = Detector().detect(interaction)
    cards = [f for f in report.findings if f.type == "BANK_CARD"]

    assert len(cards) == 1
    assert cards[0].severity == "high"
    assert finding_time_range(agent, cards[0].start, cards[0].end) == (
        10500,
        14300,
        "words",
    )
