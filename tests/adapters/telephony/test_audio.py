"""Muting ranges of synthesised PCM WAV files."""

from __future__ import annotations

import io
import struct
import wave

import pytest

from adapters.telephony.audio import AudioInvalid, mute_wav

RATE = 1000  # one frame per millisecond keeps the arithmetic readable


def make_wav(width: int, channels: int, frames: int = 100) -> bytes:
    value = {1: b"\xf0", 2: b"\x10\x20", 3: b"\x10\x20\x30", 4: b"\x10\x20\x30\x40"}
    output = io.BytesIO()
    with wave.open(output, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(RATE)
        writer.writeframes(value[width] * channels * frames)
    return output.getvalue()


def read_frames(data: bytes) -> tuple[wave._wave_params, bytes]:
    with wave.open(io.BytesIO(data), "rb") as reader:
        return reader.getparams(), reader.readframes(reader.getnframes())


@pytest.mark.parametrize("width", [1, 2, 3, 4])
@pytest.mark.parametrize("channels", [1, 2])
def test_mute_silences_only_range(width: int, channels: int) -> None:
    original = make_wav(width, channels)
    frame = width * channels
    silence = (b"\x80" if width == 1 else b"\x00") * frame

    params, frames = read_frames(mute_wav(original, [(10, 20), (90, 500)]))
    _, before = read_frames(original)

    assert params.nframes == 100
    assert params.sampwidth == width
    assert frames[: 10 * frame] == before[: 10 * frame]
    assert frames[10 * frame : 20 * frame] == silence * 10
    assert frames[20 * frame : 90 * frame] == before[20 * frame : 90 * frame]
    assert frames[90 * frame :] == silence * 10


def test_no_ranges_keeps_audio() -> None:
    original = make_wav(2, 1)

    assert read_frames(mute_wav(original, []))[1] == read_frames(original)[1]


def test_not_a_wav_rejected() -> None:
    with pytest.raises(AudioInvalid, match="not a readable"):
        mute_wav(b"ID3 this is an mp3", [(0, 10)])


def test_float_wav_rejected() -> None:
    header = b"RIFF" + struct.pack("<I", 36) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 3, 1, RATE, RATE * 4, 4, 32)
    data = b"data" + struct.pack("<I", 0)

    with pytest.raises(AudioInvalid):
        mute_wav(header + fmt + data, [(0, 10)])


def test_truncated_wav_rejected() -> None:
    truncated = make_wav(2, 2)[:-50]

    with pytest.raises(AudioInvalid, match="cut short"):
        mute_wav(truncated, [(0, 10)])


def test_reversed_range_rejected() -> None:
    with pytest.raises(ValueError, match="invalid range"):
        mute_wav(make_wav(2, 1), [(20, 10)])
