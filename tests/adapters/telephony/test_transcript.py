"""Finding time ranges, the generic format and a card read back by the agent."""

from __future__ import annotations

import pytest

from adapters.errors import PayloadInvalid
from adapters.telephony.contact_lens import interaction_from_analysis
from adapters.telephony.transcript import (
    TimedWord,
    align_words,
    finding_time_range,
    interaction_from_generic,
)
from adapters.telephony.vcon import interaction_from_vcon
from detectors.engine import Detector
from detectors.types import Segment
from tests.fakedata import card


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
    interaction = interaction_from_analysis(data)
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
    interaction = interaction_from_vcon(data)
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
