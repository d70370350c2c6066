"""Telephony: Twilio, Amazon Connect Contact Lens and vCon transcripts.

Each module turns one provider's transcript into an `Interaction` with
channel `voice`, speakers from a configurable role map and segment times in
milliseconds. `transcript` contains the shared time and role helpers and
`finding_time_range`, and `audio.mute_wav` silences found ranges in a WAV copy.
"""
