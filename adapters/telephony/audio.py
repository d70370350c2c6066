"""Silence time ranges in a PCM WAV recording, with the standard `wave` module."""

from __future__ import annotations

import io
import wave
from collections.abc import Sequence

# Sample widths in bytes that `wave` reads as integer PCM: 8, 16, 24, 32 bits.
PCM_WIDTHS = (1, 2, 3, 4)


class AudioInvalid(ValueError):
    """The data is not a PCM WAV file that can be muted."""


def mute_wav(data: bytes, ranges_ms: Sequence[tuple[int, int]]) -> bytes:
    """Return a copy of a PCM WAV file with the given ranges silenced.

    Each range is (start_ms, end_ms) from the start of the recording; ranges
    may overlap, and the parts past the end of the audio are ignored. Silence
    is zero for signed 16, 24 and 32-bit samples and 128 for unsigned 8-bit
    samples. Every channel of a frame is silenced.

    Raise `AudioInvalid` for data that is not a WAV file, is not integer PCM
    (for example IEEE float or A-law, which `wave` rejects), or is cut short,
    and `ValueError` for a range whose end is before its start.
    """
    for start, end in ranges_ms:
        if start < 0 or end < start:
            raise ValueError(
                f"invalid range ({start}, {end}) ms; expected 0 <= start <= end"
            )

    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            params = reader.getparams()
            frames = reader.readframes(params.nframes)
    except (wave.Error, EOFError) as error:
        raise AudioInvalid(f"not a readable PCM WAV file: {error}") from None
    if params.sampwidth not in PCM_WIDTHS:
        raise AudioInvalid(
            f"sample width of {params.sampwidth} bytes is not supported; "
            "expected 8, 16, 24 or 32-bit PCM"
        )
    frame_size = params.sampwidth * params.nchannels
    if len(frames) != params.nframes * frame_size:
        raise AudioInvalid(
            f"WAV data is cut short: header declares {params.nframes} frames, "
            f"file holds {len(frames) // frame_size}"
        )

    silence = b"\x80" if params.sampwidth == 1 else b"\x00"
    muted = bytearray(frames)
    for start_ms, end_ms in ranges_ms:
        first = min(start_ms * params.framerate // 1000, params.nframes)
        # Round the end up, so a range never leaves part of a frame audible.
        last = min(-(-end_ms * params.framerate // 1000), params.nframes)
        if last > first:
            muted[first * frame_size : last * frame_size] = silence * (
                (last - first) * frame_size
            )

    output = io.BytesIO()
    with wave.open(output, "wb") as writer:
        writer.setparams(params)
        writer.writeframes(bytes(muted))

    return output.getvalue()


def merge_ranges(ranges_ms: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort time ranges and merge those that overlap or touch.

    A range whose end is before its start is left out.
    """
    merged: list[tuple[int, int]] = []
    for start, end in sorted(r for r in ranges_ms if r[1] >= r[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))

    return merged
