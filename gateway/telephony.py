"""Call transcripts in, cases with time ranges and muted recordings out.

    POST /webhooks/twilio/intelligence   Voice Intelligence: a transcript is
                                         ready, and the worker fetches it
    POST /webhooks/twilio/transcription  a recording's TranscriptionText
    POST /webhooks/vcon                  a vCon, signed like /webhooks/generic
    POST /api/cases/<id>/recording       make a muted copy of a case's recording
    GET  /api/cases/<id>/recording       download that copy

The Twilio routes check X-Twilio-Signature with REDLINE_TWILIO_AUTH_TOKEN
against the URL built from REDLINE_TWILIO_PUBLIC_BASE_URL. Every route
queues a job and returns 202; the worker detects and records.

Voice findings get their audio time range from word timings where the
transcript has them, else interpolated over their utterance, and carry a
masked context: the utterances around them with speakers and times. A case
with timed findings and a recording on an allowed host or in the recordings
folder gets a copy with those ranges silenced, under DATA_DIR/recordings.
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import hmac
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from flask import Blueprint, Response, jsonify, request, send_file

from adapters.errors import (
    DeliveryRejected,
    PayloadInvalid,
    PermanentFailure,
    RetryLater,
    SignatureInvalid,
)
from adapters.telephony.audio import AudioInvalid, merge_ranges, mute_wav
from adapters.telephony.recording import (
    RecordingDownloader,
    RecordingRejected,
    check_recording_url,
    read_recording,
    resolve_recording_path,
)
from adapters.telephony.transcript import (
    METHOD_INVALID,
    finding_time_range,
    usable_range,
)
from adapters.telephony.twilio import (
    SIGNATURE_HEADER,
    TranscriptCallback,
    TwilioSentenceFetcher,
    parse_transcript_callback,
    recording_url,
    recording_wav_url,
    transcript_interaction,
    transcript_key,
    transcript_source,
    transcription_completed,
    transcription_interaction,
    verify_twilio,
)
from adapters.telephony.vcon import interaction_from_vcon
from detectors.engine import Detector
from detectors.masking import MaskedText
from detectors.schema import ValidationError, interaction_from_dict, interaction_to_dict
from detectors.types import Case, Finding, Interaction, Report, Segment
from gateway.generic import receive_signed, safe_source
from gateway.http import current_runtime, error_response, read_body
from gateway.jsonparse import InvalidJson, parse_json
from gateway.pipeline import Handler, Outcome
from infra.config import GenericSourceSettings, Settings, TelephonySettings
from infra.ports import CaseUpdate, Job, Ledger, Queue

if TYPE_CHECKING:
    from gateway.runtime import Runtime

log = logging.getLogger(__name__)

TWILIO_TRANSCRIPT = "telephony.twilio_transcript"
VOICE_INTERACTION = "telephony.interaction"
MUTE_RECORDING = "telephony.mute"
TWILIO_KINDS = ("intelligence", "transcription")
NOT_INSPECTED = "not inspected"
# Utterances shown before and after the one a finding is in.
CONTEXT_TURNS = 2
# Characters of masked text kept per utterance.
CONTEXT_CHARS = 240
RECORDINGS_FOLDER = "recordings"
# File in the data folder whose lock is held while a muted copy and its
# record change, and while a copy is checked against its record.
COPIES_LOCK = "recordings.lock"
# Keys the gateway itself writes into a case's source. A sender's value under
# one of them would pass for the gateway's own record, so it is dropped.
GATEWAY_SOURCE_KEYS = frozenset({"muted_recording", "not_inspected"})
_CASE_ID = re.compile(r"c_[0-9a-f]{16}")
_RECORDING_SCHEMES = ("https", "http", "s3")

telephony_blueprint = Blueprint("telephony", __name__)


# -- findings in time -----------------------------------------------------


def voice_findings(interaction: Interaction, findings: list[Finding]) -> list[Finding]:
    """Place each finding in the recording and give it a masked context.

    The time range comes from `finding_time_range`, and the context contains
    the finding's utterance and up to `CONTEXT_TURNS` on each side. Every
    value found in an utterance is masked in it.
    """
    spans: dict[str, list[tuple[int, int, str]]] = {}
    for finding in findings:
        if finding.masked:
            spans.setdefault(finding.segment, []).append(
                (finding.start, finding.end, finding.masked)
            )
    masked = {
        segment.id: MaskedText(segment.text, spans.get(segment.id, []))
        for segment in interaction.segments
    }
    positions = {segment.id: i for i, segment in enumerate(interaction.segments)}

    placed = []
    for finding in findings:
        index = positions.get(finding.segment)
        if index is None:
            placed.append(finding)
            continue
        segment = interaction.segments[index]
        start_ms, end_ms, method = finding_time_range(
            segment, finding.start, finding.end
        )
        around = interaction.segments[
            max(0, index - CONTEXT_TURNS) : index + CONTEXT_TURNS + 1
        ]
        utterances = [
            _utterance(other, masked[other.id], finding if other is segment else None)
            for other in around
        ]
        placed.append(
            replace(
                finding,
                start_ms=start_ms,
                end_ms=end_ms,
                suggestion=_voice_suggestion(finding, start_ms, end_ms, method),
                context={"time_method": method, "utterances": utterances},
            )
        )

    return placed


def _utterance(
    segment: Segment, masked: MaskedText, finding: Finding | None
) -> dict[str, Any]:
    if finding is None:
        text = masked.excerpt(0, 0, CONTEXT_CHARS)
    else:
        text = masked.excerpt(finding.start, finding.end, CONTEXT_CHARS // 2)
    return {
        "segment": segment.id,
        "speaker": segment.speaker,
        "start_ms": segment.start_ms,
        "end_ms": segment.end_ms,
        "text": text,
        "has_finding": finding is not None,
    }


def _should_mute(finding: Finding) -> bool:
    """Return True for a spoken value, which excludes phrases and masked values."""
    return (
        finding.behaviour is not None
        and finding.type != "RISKY_PHRASE"
        and finding.form != "masked"
    )


def _clock(ms: int) -> str:
    minutes, rest = divmod(ms, 60_000)
    return f"{minutes}:{rest // 1000:02d}.{rest % 1000:03d}"


def _voice_suggestion(
    finding: Finding, start_ms: int | None, end_ms: int | None, method: str
) -> str:
    if not _should_mute(finding):
        return finding.suggestion
    if start_ms is None or end_ms is None:
        if method != METHOD_INVALID:
            return finding.suggestion
        mute = (
            "The transcript's times for this utterance are unusable; find the "
            "value in the recording and mute it by hand."
        )
    else:
        mute = f"Mute {_clock(start_ms)}-{_clock(end_ms)} of the recording."
    return f"{mute} {finding.suggestion}".strip()


def mute_ranges(
    findings: Sequence[Finding],
) -> tuple[list[tuple[int, int]], list[Finding]]:
    """Return the merged ranges to mute, and the spoken values without a usable time.

    A value counts as untimed when its range is missing, empty, reversed or
    past the longest call, so no value is left unmuted without being listed.
    """
    timed: list[tuple[int, int]] = []
    untimed: list[Finding] = []
    for finding in findings:
        if not _should_mute(finding):
            continue
        start, end = finding.start_ms, finding.end_ms
        if start is not None and end is not None and usable_range(start, end):
            timed.append((start, end))
        else:
            untimed.append(finding)
    return merge_ranges(timed), untimed


def voice_redaction(case: Case) -> dict[str, Any]:
    """Return the redaction suggestion of a voice case for the API.

    `untimed` lists each spoken value that cannot be muted by time, with its
    place in the transcript and its masked form, for muting by hand.
    """
    ranges, untimed = mute_ranges(case.findings)
    return {
        "mute_ranges_ms": [[start, end] for start, end in ranges],
        "untimed_values": len(untimed),
        "untimed": [
            {
                "segment": finding.segment,
                "start": finding.start,
                "end": finding.end,
                "type": finding.type,
                "masked": finding.masked,
                "time_method": (finding.context or {}).get("time_method"),
            }
            for finding in untimed
        ],
    }


def stored_recording_url(url: object, mask_numbers: bool = True) -> str | None:
    """Return a recording URL fit to keep: no user, query or fragment.

    A presigned URL carries its signature in the query, which is a secret.
    With `mask_numbers`, runs of five or more digits in the (decoded) path
    are masked, because recordings are often named after the caller's
    number. The URL that fetches the recording is kept only in its job.
    """
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in _RECORDING_SCHEMES or not hostname:
        return None
    netloc = parts.netloc.rpartition("@")[2]
    path = parts.path
    if mask_numbers:
        path = unquote(path)
        path = MaskedText(path, []).whole()
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def call_source(
    source: Mapping[str, Any], key: bytes, twilio_origin: bool
) -> dict[str, Any]:
    """Return a call's source fit to keep in the ledger.

    The gateway's own keys (`GATEWAY_SOURCE_KEYS`) are dropped and the
    recording URL is kept as `stored_recording_url` gives it. A source that
    the Twilio adapter built from a signed callback (`twilio_origin`)
    contains only SIDs, labels and a masked customer key, and is stored as
    it is. Any other source came from the sender, so its other keys pass
    through `safe_source`, which keeps plain ids and hashes the rest with
    `key`.
    """
    rest = {
        name: value
        for name, value in source.items()
        if name not in GATEWAY_SOURCE_KEYS and name != "recording_url"
    }
    stored: dict[str, Any] = rest if twilio_origin else safe_source(rest, key)
    if "recording_url" in source:
        stored["recording_url"] = stored_recording_url(
            source["recording_url"], mask_numbers=not twilio_origin
        )
    return stored


# -- inspection -----------------------------------------------------------


class VoiceInspector:
    """Detects on a call, records its case and queues the muted copy."""

    def __init__(
        self,
        detector: Detector,
        ledger: Ledger,
        queue: Queue,
        settings: TelephonySettings,
        notify: Callable[[], None] = lambda: None,
    ) -> None:
        self.detector = detector
        self.ledger = ledger
        self.queue = queue
        self.settings = settings
        self.notify = notify

    def detect(self, interaction: Interaction) -> Report:
        """Detect, then place the findings in time with their masked context."""
        report = self.detector.detect(interaction)
        return Report(interaction, voice_findings(interaction, report.findings))

    def record(
        self,
        report: Report,
        interaction_key: str,
        platform: str,
        agent_id: str | None = None,
        team: str | None = None,
        *,
        twilio_origin: bool = False,
    ) -> CaseUpdate | None:
        """Record the case; the raw recording URL goes only into the mute job.

        `twilio_origin` marks a call from a signed Twilio callback: its
        source is kept as the Twilio adapter built it (see `call_source`),
        and its recording is fetched with the Twilio credentials.
        """
        interaction = report.interaction
        raw_url = interaction.source.get("recording_url")
        key = self.detector.fingerprint_key
        update = self.ledger.record(
            interaction_key,
            platform,
            interaction.channel,
            call_source(interaction.source, key, twilio_origin),
            report.findings,
            agent_id=agent_id,
            team=team,
        )
        if update is not None and isinstance(raw_url, str):
            self._queue_mute(update.case, recording_wav_url(raw_url), twilio_origin)
        return update

    def _queue_mute(self, case: Case, url: str, twilio_origin: bool) -> None:
        ranges, _ = mute_ranges(case.findings)
        if not ranges:
            return
        try:
            check_recording_url(url, self.settings.recording_hosts)
        except RecordingRejected:
            log.info("case %s: recording not muted, its host is not allowed", case.id)
            return
        queue_mute(
            self.queue,
            case,
            ranges,
            url=url,
            key=self.detector.fingerprint_key,
            twilio_origin=twilio_origin,
        )
        self.notify()


def _mute_request(url: str | None, path: str | None, key: bytes) -> str:
    """Name a request for a muted copy by a keyed hash of its recording.

    The name is stored with the copy and in the job's dedupe key, and a
    plain hash of a URL that contains a phone number could be reversed.
    """
    message = json.dumps([url, path]).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]


def queue_mute(
    queue: Queue,
    case: Case,
    ranges: Sequence[tuple[int, int]],
    url: str | None = None,
    path: str | None = None,
    *,
    key: bytes,
    twilio_origin: bool = False,
) -> bool:
    """Queue the muted copy of a case's recording; return False for a duplicate.

    A request for the same recording and ranges is queued once while the
    case's `muted_recording` stays as it is, which covers a job still
    waiting or running. Once the job has written its copy or its error, the
    record differs and the same request can be queued again, so a failed
    copy can be retried. Only a job with `twilio_origin` sends the Twilio
    credentials with its download.
    """
    request_id = _mute_request(url, path, key)
    payload: dict[str, Any] = {
        "case_id": case.id,
        "url": url,
        "path": path,
        "request": request_id,
        "twilio_origin": twilio_origin,
    }
    current = json.dumps(case.source.get("muted_recording"), sort_keys=True)
    state = hashlib.sha256(f"{list(ranges)}|{current}".encode()).hexdigest()[:16]
    origin = ":twilio" if twilio_origin else ""
    return queue.enqueue(
        MUTE_RECORDING, payload, f"mute:{case.id}:{request_id}{origin}:{state}"
    )


@contextmanager
def copies_locked(data_dir: Path) -> Iterator[None]:
    """Hold the lock under which muted copies and their records change.

    Several worker threads, or processes, may make copies of one case at
    once. Under this lock a job writes its file and then its record, so the
    last file written is the one the record describes, and a reader that
    takes the lock reads a file and a record of the same copy.
    """
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(data_dir / COPIES_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _copy_path(case: Case, data_dir: Path) -> tuple[Path, str] | None:
    """Return the file and hash that the case's `muted_recording` names, if any."""
    record = case.source.get("muted_recording")
    if not isinstance(record, dict) or record.get("error"):
        return None
    if record.get("file") != f"{RECORDINGS_FOLDER}/{case.id}.wav":
        return None
    digest = record.get("sha256")
    if not isinstance(digest, str):
        return None
    return data_dir / RECORDINGS_FOLDER / f"{case.id}.wav", digest


def _open_matching(path: Path, digest: str) -> BinaryIO | None:
    """Open `path` when its bytes have the SHA-256 `digest`, else return None."""
    try:
        file = path.open("rb")
    except OSError:
        return None
    try:
        matches = hashlib.file_digest(file, "sha256").hexdigest() == digest
    except OSError:
        matches = False
    if not matches:
        file.close()
        return None
    file.seek(0)
    return file


def current_copy(case: Case, data_dir: Path) -> Path | None:
    """Return the case's muted copy when it is the one `muted_recording` names.

    The record must describe a copy, not an error, and the file must contain
    exactly the bytes whose hash the record's `sha256` gives, so a copy left
    over from another recording or a failed attempt is not served.
    """
    named = _copy_path(case, data_dir)
    if named is None:
        return None
    file = _open_matching(*named)
    if file is None:
        return None
    file.close()

    return named[0]


def open_current_copy(ledger: Ledger, case_id: str, data_dir: Path) -> BinaryIO | None:
    """Open the case's current muted copy (see `current_copy`) for reading.

    The record is read and the file opened and hashed under `copies_locked`,
    so the open file contains the bytes the record describes even when
    another copy replaces the file right after.
    """
    with copies_locked(data_dir):
        case = ledger.get_case(case_id)
        named = _copy_path(case, data_dir) if case is not None else None
        return _open_matching(*named) if named else None


def _outcome(update: CaseUpdate | None, report: Report) -> Outcome:
    if update is None:
        return Outcome("clean", None, len(report.findings))
    return Outcome(
        f"recorded {update.case.severity}", update.case.id, len(report.findings)
    )


def _first_agent(interaction: Interaction) -> str | None:
    agents = interaction.agent_ids
    return agents[0] if agents else None


class TwilioTranscriptHandler:
    """Fetches a ready Voice Intelligence transcript and inspects it."""

    def __init__(
        self,
        voice: VoiceInspector,
        fetcher: TwilioSentenceFetcher | None,
        settings: TelephonySettings,
    ) -> None:
        self.voice = voice
        self.fetcher = fetcher
        self.settings = settings

    def __call__(self, job: Job) -> Outcome:
        if self.fetcher is None:
            raise PermanentFailure(
                "cannot fetch Twilio transcripts: set REDLINE_TWILIO_ACCOUNT_SID "
                "and REDLINE_TWILIO_AUTH_TOKEN"
            )
        payload = job.payload
        try:
            callback = TranscriptCallback(
                transcript_sid=str(payload["transcript_sid"]),
                event_type=str(payload["event_type"]),
                customer_key=payload.get("customer_key"),
                account_sid=payload.get("account_sid"),
                service_sid=payload.get("service_sid"),
            )
            interaction = transcript_interaction(
                callback, self.fetcher, self.settings.twilio_channel_roles
            )
        except (KeyError, PayloadInvalid) as error:
            raise PermanentFailure(f"transcript cannot be inspected: {error}") from None
        except RetryLater as error:
            if not job.last_attempt:
                raise
            return self._not_fetched(
                callback, f"failed {job.attempts} times, last: {error}"
            )
        except PermanentFailure as error:
            return self._not_fetched(callback, str(error))

        recording_sid = self._recording_sid(self.fetcher, callback, job)
        account_sid = callback.account_sid or self.settings.twilio_account_sid
        if recording_sid:
            interaction.source["recording_url"] = recording_url(
                self.settings.twilio_api_url, account_sid, recording_sid
            )
        report = self.voice.detect(interaction)
        update = self.voice.record(
            report,
            interaction.id,
            "twilio",
            _first_agent(interaction),
            twilio_origin=True,
        )
        return _outcome(update, report)

    def _recording_sid(
        self, fetcher: TwilioSentenceFetcher, callback: TranscriptCallback, job: Job
    ) -> str | None:
        """Fetch the SID of the transcript's recording; None when it failed for good.

        The sentences are at hand by then, so a recording that cannot be
        found costs only the muted copy, not the inspection.
        """
        sid = callback.transcript_sid
        try:
            return fetcher.recording_sid(sid)
        except RetryLater as error:
            if not job.last_attempt:
                raise
            reason = f"failed {job.attempts} times, last: {error}"
        except PermanentFailure as error:
            reason = str(error)
        log.warning(
            "twilio transcript %s: recording not found, so no muted copy: %s",
            sid,
            reason,
        )
        return None

    def _not_fetched(self, callback: TranscriptCallback, reason: str) -> Outcome:
        """Open a case saying that the transcript could not be fetched.

        Called when fetching failed for good, so that the call is not lost
        with its dead job. The case contains only the callback's SIDs and
        masked key, and lists the transcript as not inspected, which puts it
        in the daily digest for a person to check.
        """
        sid = callback.transcript_sid
        item = {
            "segment": sid,
            "msg_id": sid,
            "kind": "transcript",
            "sender": "twilio",
            "reason": f"transcript could not be fetched: {reason}",
        }
        update = self.voice.ledger.record(
            transcript_key(callback),
            "twilio",
            "voice",
            transcript_source(callback),
            [],
            not_inspected=[item],
        )
        case_id = update.case.id if update is not None else None
        log.warning(
            "twilio transcript %s not inspected, listed on case %s: %s",
            sid,
            case_id or "-",
            reason,
        )
        return Outcome(f"{NOT_INSPECTED}: transcript could not be fetched", case_id)


class VoiceInteractionHandler:
    """Inspects a call transcript that arrived whole in its delivery."""

    def __init__(self, voice: VoiceInspector) -> None:
        self.voice = voice

    def __call__(self, job: Job) -> Outcome:
        payload = job.payload
        try:
            interaction = interaction_from_dict(payload["interaction"])
            platform = str(payload["platform"])
            key = str(payload["key"])
        except (KeyError, TypeError, ValidationError):
            raise PermanentFailure(
                "job payload contains no valid interaction"
            ) from None
        report = self.voice.detect(interaction)
        update = self.voice.record(
            report,
            key,
            platform,
            _first_agent(interaction),
            interaction.team,
            twilio_origin=payload.get("twilio_origin") is True,
        )
        return _outcome(update, report)


class MuteRecordingHandler:
    """Silences a case's mute ranges in its WAV recording and keeps the copy."""

    def __init__(
        self,
        ledger: Ledger,
        settings: TelephonySettings,
        data_dir: Path,
        clock: Callable[[], datetime.datetime],
    ) -> None:
        self.ledger = ledger
        self.settings = settings
        self.data_dir = data_dir
        self.folder = data_dir / RECORDINGS_FOLDER
        self.clock = clock
        hosts, limit = settings.recording_hosts, settings.max_recording_bytes
        self.download = RecordingDownloader(hosts, limit)
        # Only for a recording that a signed Twilio callback named: a URL
        # from any other sender could be made to point at the Twilio host.
        self.twilio_download = self.download
        if settings.twilio_account_sid and settings.twilio_auth_token:
            host = urlsplit(settings.twilio_api_url).netloc.lower()
            credentials = {
                host: (settings.twilio_account_sid, settings.twilio_auth_token)
            }
            self.twilio_download = RecordingDownloader(hosts, limit, credentials)

    def __call__(self, job: Job) -> Outcome:
        case_id = str(job.payload.get("case_id"))
        case = self.ledger.get_case(case_id) if _CASE_ID.fullmatch(case_id) else None
        if case is None:
            raise PermanentFailure(f"case {case_id[:40]!r} not found in the ledger")
        ranges, _ = mute_ranges(case.findings)
        if not ranges:
            return Outcome("nothing to mute", case.id)
        url = job.payload.get("url")
        made_at = self.clock().astimezone(datetime.UTC).isoformat()

        try:
            muted = mute_wav(self._read(job.payload), ranges)
        except RetryLater as error:
            if not job.last_attempt:
                raise
            reason = f"muted copy not made after {job.attempts} attempts: {error}"
            self._record_failure(case, job, reason, made_at)
            raise PermanentFailure(reason) from None
        except (PermanentFailure, AudioInvalid) as error:
            reason = f"muted copy not made: {error}"
            self._record_failure(case, job, reason, made_at)
            raise PermanentFailure(reason) from None

        copy = {
            "file": f"{RECORDINGS_FOLDER}/{case.id}.wav",
            "ranges_ms": [[start, end] for start, end in ranges],
            "bytes": len(muted),
            "sha256": hashlib.sha256(muted).hexdigest(),
            "from": "url" if isinstance(url, str) else "path",
            "host": urlsplit(url).hostname if isinstance(url, str) else None,
            "request": job.payload.get("request"),
            "created_at": made_at,
        }
        # The file first, then its record, under one lock: a copy is served
        # only while its bytes match the record's hash.
        with copies_locked(self.data_dir):
            _save_private(self.folder, f"{case.id}.wav", muted)
            self.ledger.set_muted_recording(
                case.id, copy, f"{len(ranges)} range(s) silenced in a copy"
            )
        return Outcome(f"muted {len(ranges)} range(s)", case.id)

    def _read(self, payload: Mapping[str, Any]) -> bytes:
        """Download or read the job's recording."""
        url, path = payload.get("url"), payload.get("path")
        if isinstance(url, str):
            if payload.get("twilio_origin") is True:
                return self.twilio_download(url)
            return self.download(url)
        if isinstance(path, str):
            return read_recording(
                path, self.settings.recordings_dir, self.settings.max_recording_bytes
            )
        raise PermanentFailure("the job names neither a URL nor a path")

    def _record_failure(self, case: Case, job: Job, reason: str, at: str) -> None:
        failure = {
            "error": reason,
            "request": job.payload.get("request"),
            "job": job.id,
            "failed_at": at,
        }
        with copies_locked(self.data_dir):
            # An older copy would no longer match the record, so delete it.
            (self.folder / f"{case.id}.wav").unlink(missing_ok=True)
            self.ledger.set_muted_recording(case.id, failure, reason)


def _save_private(folder: Path, name: str, data: bytes) -> None:
    """Write `data` to `folder/name` with mode 0600, replacing it at once.

    Each write goes through a temporary file of its own, so writers never
    share one, and a failed write leaves no part behind.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{name}.", suffix=".part", dir=folder
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, folder / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def telephony_handlers(
    settings: Settings,
    detector: Detector,
    ledger: Ledger,
    queue: Queue,
    clock: Callable[[], datetime.datetime],
) -> tuple[VoiceInspector, dict[str, Handler]]:
    """Build the voice inspector and the job handlers of this module."""
    telephony = settings.telephony
    voice = VoiceInspector(detector, ledger, queue, telephony)
    fetcher = None
    if telephony.twilio_account_sid and telephony.twilio_auth_token:
        fetcher = TwilioSentenceFetcher(
            telephony.twilio_account_sid,
            telephony.twilio_auth_token,
            base_url=telephony.twilio_intelligence_url,
        )
    handlers: dict[str, Handler] = {
        TWILIO_TRANSCRIPT: TwilioTranscriptHandler(voice, fetcher, telephony),
        VOICE_INTERACTION: VoiceInteractionHandler(voice),
        MUTE_RECORDING: MuteRecordingHandler(
            ledger, telephony, settings.data_dir, clock
        ),
    }
    return voice, handlers


# -- routes ---------------------------------------------------------------


def _url_as_received() -> str:
    """Rebuild the request URL from the raw request line, before any decoding."""
    environ = request.environ
    raw = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    if raw.startswith(("http://", "https://")):
        parts = urlsplit(raw)
        raw = parts.path + (f"?{parts.query}" if parts.query else "")
    if not raw:
        raw = request.full_path if request.query_string else request.path
    query = environ.get("QUERY_STRING", "")
    if "?" not in raw and query:
        raw += "?" + query
    return f"{request.scheme}://{request.host}{raw}"


def _accepted(verdict: str, **fields: Any) -> Response:
    response = jsonify(status=verdict, **fields)
    response.status_code = 202
    return response


class TwilioNotConfigured(DeliveryRejected):
    status = 404


@telephony_blueprint.post("/webhooks/twilio/<kind>")
def twilio_webhook(kind: str) -> Response:
    runtime = current_runtime()
    settings = runtime.settings.telephony
    started = time.monotonic()
    try:
        if kind not in TWILIO_KINDS:
            raise TwilioNotConfigured(
                f"no Twilio route {kind[:40]!r}. Use {' or '.join(TWILIO_KINDS)}"
            )
        if not settings.twilio_auth_token:
            raise TwilioNotConfigured(
                "Twilio is not configured. Set REDLINE_TWILIO_AUTH_TOKEN"
            )
        body = read_body()
        try:
            verify_twilio(
                _url_as_received(),
                body,
                request.headers.get(SIGNATURE_HEADER),
                settings.twilio_auth_token,
                settings.twilio_public_base_url or None,
                settings.twilio_trust_forwarded,
                dict(request.headers),
            )
        except ValueError:
            raise SignatureInvalid(
                "cannot rebuild the URL Twilio signed. Set "
                "REDLINE_TWILIO_PUBLIC_BASE_URL"
            ) from None
        if kind == "intelligence":
            verdict, delivery = _queue_transcript(runtime, body)
        else:
            verdict, delivery = _queue_transcription(runtime, body)
    except DeliveryRejected as error:
        detail = f" ({error.log_detail})" if error.log_detail else ""
        log.warning(
            "twilio %s delivery rejected %d: %s%s",
            kind[:40],
            error.status,
            error,
            detail,
        )
        return error_response(error.status, str(error))

    log.info(
        "twilio %s delivery %s: %s in %.1f ms",
        kind,
        delivery,
        verdict,
        (time.monotonic() - started) * 1000,
    )
    return _accepted(verdict, delivery=delivery)


def _queue_transcript(runtime: Runtime, body: bytes) -> tuple[str, str]:
    callback = parse_transcript_callback(body, request.content_type or "")
    if not callback.is_transcript_available:
        return "ignored", callback.transcript_sid
    payload = {
        "transcript_sid": callback.transcript_sid,
        "event_type": callback.event_type,
        "customer_key": callback.customer_key,
        "account_sid": callback.account_sid,
        "service_sid": callback.service_sid,
    }
    queued = runtime.queue.enqueue(
        TWILIO_TRANSCRIPT, payload, f"twilio:transcript:{callback.transcript_sid}"
    )
    runtime.worker.notify()
    return ("queued" if queued else "duplicate"), callback.transcript_sid


def _queue_transcription(runtime: Runtime, body: bytes) -> tuple[str, str]:
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise PayloadInvalid("body is not valid UTF-8 form data") from None
    params = parse_qsl(text, keep_blank_values=True)
    if not transcription_completed(params):
        return "ignored", _sid_or_dash(dict(params).get("TranscriptionSid"))
    interaction = transcription_interaction(
        params, runtime.settings.telephony.twilio_transcription_role
    )
    payload = {
        "platform": "twilio",
        "key": interaction.id,
        "interaction": interaction_to_dict(interaction),
        "twilio_origin": True,
    }
    digest = hashlib.sha256(body).hexdigest()[:16]
    queued = runtime.queue.enqueue(
        VOICE_INTERACTION, payload, f"{interaction.id}:{digest}"
    )
    runtime.worker.notify()
    return ("queued" if queued else "duplicate"), interaction.id


def _sid_or_dash(value: object) -> str:
    """Return a Twilio SID fit to echo and log, else "-"."""
    if isinstance(value, str) and re.fullmatch(r"[A-Z]{2}[0-9a-fA-F]{32}", value):
        return value
    return "-"


@telephony_blueprint.post("/webhooks/vcon")
def vcon_webhook() -> Response:
    return receive_signed("vcon", _vcon_interactions)


def _vcon_interactions(
    data: Any, source: GenericSourceSettings
) -> tuple[list[Interaction], str | None]:
    runtime = current_runtime()
    roles = runtime.settings.telephony.vcon_party_roles
    key = runtime.detector.fingerprint_key
    return [interaction_from_vcon(data, roles, id_key=key)], None


class NothingToMute(DeliveryRejected):
    """A request for a muted copy of a case with no timed values (HTTP 409)."""

    status = 409


@telephony_blueprint.post("/api/cases/<case_id>/recording")
def mute_case_recording(case_id: str) -> Response:
    """Queue a muted copy of a case's recording, given as {"url"} or {"path"}."""
    runtime = current_runtime()
    case = runtime.ledger.get_case(case_id) if _CASE_ID.fullmatch(case_id) else None
    if case is None:
        return error_response(404, f"no case with id {case_id[:64]!r}")

    try:
        url, path = _recording_request(runtime.settings.telephony)
        ranges, untimed = mute_ranges(case.findings)
        if not ranges:
            reason = "the case has no timed values to mute"
            if untimed:
                reason += (
                    f", and {len(untimed)} value(s) have no usable time in the "
                    "transcript"
                )
            raise NothingToMute(reason)
    except DeliveryRejected as error:
        log.warning("case %s: muted copy rejected %d: %s", case.id, error.status, error)
        return error_response(error.status, str(error))

    key = runtime.detector.fingerprint_key
    if _already_made(case, runtime.settings.data_dir, url, path, ranges, key):
        verdict = "duplicate"
    else:
        queued = queue_mute(runtime.queue, case, ranges, url=url, path=path, key=key)
        runtime.worker.notify()
        verdict = "queued" if queued else "duplicate"
    log.info("case %s: muted copy %s", case.id, verdict)
    return _accepted(verdict, case_id=case.id)


def _recording_request(settings: TelephonySettings) -> tuple[str | None, str | None]:
    """Read and check the request's recording; return (url, path), one of them set."""
    try:
        data = parse_json(read_body())
    except InvalidJson as error:
        raise PayloadInvalid(f"body is not valid JSON: {error}") from None
    if not isinstance(data, dict) or set(data) not in ({"url"}, {"path"}):
        raise PayloadInvalid(
            'give the recording as {"url": "https://..."} or {"path": "..."}'
        )
    value = data.get("url") or data.get("path")
    if not isinstance(value, str) or not value.strip():
        raise PayloadInvalid("the recording URL or path must be a non-empty string")

    try:
        if "url" in data:
            check_recording_url(value, settings.recording_hosts)
            return value, None
        resolve_recording_path(value, settings.recordings_dir)
    except RecordingRejected as error:
        raise PayloadInvalid(str(error)) from None
    return None, value


def _already_made(
    case: Case,
    data_dir: Path,
    url: str | None,
    path: str | None,
    ranges: Sequence[tuple[int, int]],
    key: bytes,
) -> bool:
    """Return True when the case's copy was made from this recording and ranges."""
    record = case.source.get("muted_recording")
    return (
        isinstance(record, dict)
        and record.get("request") == _mute_request(url, path, key)
        and record.get("ranges_ms") == [[start, end] for start, end in ranges]
        and current_copy(case, data_dir) is not None
    )


@telephony_blueprint.get("/api/cases/<case_id>/recording")
def case_recording(case_id: str) -> Response:
    """Send the muted copy of a case's recording, if it is the current one."""
    runtime = current_runtime()
    file = None
    if _CASE_ID.fullmatch(case_id):
        file = open_current_copy(runtime.ledger, case_id, runtime.settings.data_dir)
    if file is None:
        return error_response(
            404, f"no muted recording for case {case_id[:64]!r}; POST one first"
        )
    return send_file(
        file,
        mimetype="audio/wav",
        as_attachment=True,
        download_name=f"{case_id}-muted.wav",
    )
