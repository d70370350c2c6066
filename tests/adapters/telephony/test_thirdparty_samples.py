"""Parse the published Contact Lens and vCon samples when they are present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.telephony.contact_lens import interaction_from_analysis
from adapters.telephony.vcon import interaction_from_vcon

ID_KEY = b"id-key-for-telephony-tests"

SAMPLES = Path("/work/shared/thirdparty")

pytestmark = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason=f"third-party samples not found in {SAMPLES}"
)


@pytest.mark.parametrize(
    "name",
    [
        "contact_lens_voice_analyzed_example.json",
        "contact_lens_voice_redacted_example.json",
    ],
)
def test_contact_lens_examples(name: str) -> None:
    data = json.loads((SAMPLES / "aws-contact-lens" / name).read_text())

    interaction = interaction_from_analysis(data, id_key=ID_KEY)

    assert len(interaction.segments) == 10
    assert [s.speaker for s in interaction.segments] == ["agent", "customer"] * 5
    assert len({s.id for s in interaction.segments}) == 10


@pytest.mark.parametrize(
    ("name", "redacted"),
    [
        ("ab_call_ext_rec_with_redact.vcon", False),
        ("ab_call_ext_rec_redacted.vcon", True),
    ],
)
def test_vcon_examples(name: str, redacted: bool) -> None:
    data = json.loads((SAMPLES / "vcon" / name).read_text())

    interaction = interaction_from_vcon(data, id_key=ID_KEY)

    # The sample's diarization gives every word speaker 0, so the whole call
    # lands on party 0, the caller.
    assert len(interaction.segments) == 4
    assert {s.speaker for s in interaction.segments} == {"customer"}
    assert interaction.source["redacted"] is redacted
