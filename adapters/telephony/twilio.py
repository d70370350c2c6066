"""Twilio: signed webhooks, Voice Intelligence transcripts and transcriptions.

Twilio signs each webhook with base64(HMAC-SHA1(Auth Token, URL + the form
parameters sorted by name, each as name followed by value)) and sends it in
X-Twilio-Signature. For a JSON body, Twilio adds `bodySHA256` (the hex SHA-256
of the body) to the URL's query, signs the URL alone, and the body is checked
against that hash. `twilio.request_validator.RequestValidator` (twilio 9.13)
does the computing and tries each URL with and without the scheme's default
port. This module chooses which URLs to offer it, and signs a URL that ends
in an empty "?" itself, because the validator drops that "?".
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlparse, urlsplit, urlunsplit

from twilio.request_validator import (
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    add_port,
    get_signature_algorithm,
    remove_port,
)

from adapters.errors import (
    AdapterError,
    PayloadInvalid,
    PermanentFailure,
    RetryLater,
    SignatureInvalid,
)
from adapters.telephony.transcript import (
    DEFAULT_CHANNEL_ROLES,
    TIME_ERROR,
    TimedWord,
    align_words,
    check_roles,
    clamp_words,
    seconds_to_ms,
    timed_span,
    unique_ids,
)
from detectors.masking import mask_value
from detectors.types import Interaction, Segment

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
TRANSCRIPT_AVAILABLE = "voice_intelligence_transcript_available"
DEFAULT_INTELLIGENCE_URL = "https://intelligence.twilio.com"
SUPPORTED_ALGORITHMS = ("HMAC_SHA1", "HMAC_SHA256")

# A Twilio SID is a two-letter type prefix and 32 hex digits.
_SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")
# The path of a recording resource without an extension.
_RECORDING_PATH = re.compile(r"/Recordings/RE[0-9a-fA-F]{32}$")
# Maximum length of a customer_key kept from a callback.
MAX_CUSTOMER_KEY_LENGTH = 256

FormParams = Sequence[tuple[str, str]]
SentenceFetcher = Callable[[str], Iterable[Mapping[str, Any]]]


class _MultiParams:
    """Form parameters in the shape `RequestValidator` reads repeated keys from.

    The validator iterates a mapping's keys and calls `getall` where it
    exists, so every value of a repeated key is signed, as Twilio does.
    """

    def __init__(self, pairs: FormParams) -> None:
        self._pairs = list(pairs)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name for name, _ in self._pairs))

    def __len__(self) -> int:
        return len(self._pairs)

    def getall(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]


def _header(headers: Mapping[str, str] | None, name: str) -> str:
    """Read a header whatever the case of its name; "" when absent."""
    target = name.lower()
    for key, value in (headers or {}).items():
        if key.lower() == target:
            return value
    return ""


def _first_forwarded(value: str) -> str:
    """Return the first entry of a comma-separated forwarding header."""
    return value.split(",")[0].strip()


def _reencoded_queries(query: str) -> list[str]:
    """Return the query re-encoded the ways web frameworks rebuild it."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return [urlencode(pairs, quote_via=quote), urlencode(pairs)]


def candidate_urls(
    url_as_received: str,
    public_base_url: str | None = None,
    trust_forwarded: bool = False,
    headers: Mapping[str, str] | None = None,
) -> list[str]:
    """List the URLs Twilio may have signed for this request, most likely first.

    The scheme and host come from `public_base_url` when it is configured,
    else from X-Forwarded-Proto and X-Forwarded-Host when `trust_forwarded`
    is set, else from the received URL. Path and query always come from the
    received URL, first exactly as received and then re-encoded.
    """
    received = urlsplit(url_as_received)
    scheme, netloc, prefix = received.scheme, received.netloc, ""
    if public_base_url:
        base = urlsplit(public_base_url)
        scheme, netloc, prefix = base.scheme, base.netloc, base.path.rstrip("/")
    elif trust_forwarded:
        proto = _first_forwarded(_header(headers, "X-Forwarded-Proto")).lower()
        host = _first_forwarded(_header(headers, "X-Forwarded-Host"))
        if proto in ("http", "https"):
            scheme = proto
        if host and re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+", host):
            netloc = host
    if not scheme or not netloc:
        raise ValueError(
            "the received URL has no scheme and host; pass the full URL or "
            "configure public_base_url"
        )

    path = prefix + received.path
    queries = [received.query, *_reencoded_queries(received.query)]
    urls = [urlunsplit((scheme, netloc, path, query, "")) for query in queries]
    if not received.query:
        # A URL configured with an empty query ("...?") is signed with the
        # "?"; urlunsplit drops it, so offer both spellings.
        bare = urlunsplit((scheme, netloc, path, "", ""))
        urls = (
            [bare + "?", bare] if url_as_received.endswith("?") else [bare, bare + "?"]
        )

    return list(dict.fromkeys(urls))


def _signed_params(params: FormParams | bytes | str, url: str) -> _MultiParams | str:
    """Return what the validator signs for `url`: form pairs or the JSON body."""
    if isinstance(params, (bytes, str)):
        try:
            body = params.decode() if isinstance(params, bytes) else params
        except UnicodeDecodeError:
            raise PayloadInvalid("request body is not valid UTF-8") from None
        if "bodySHA256" in dict(parse_qsl(urlsplit(url).query)):
            return body
        return _MultiParams(parse_qsl(body, keep_blank_values=True))

    return _MultiParams(params)


def verify_twilio(
    url_as_received: str,
    params: FormParams | bytes | str,
    signature: str | None,
    auth_token: str,
    public_base_url: str | None = None,
    trust_forwarded: bool = False,
    headers: Mapping[str, str] | None = None,
) -> str:
    """Check X-Twilio-Signature and return the URL that the signature matched.

    `params` is the list of form parameters, or the raw body. A raw body is
    hashed as JSON when the URL carries `bodySHA256`, else parsed as a form.
    When `headers` name HMAC_SHA256 in X-Twilio-Webhooks-Signature-Settings,
    `auth_token` must be that webhook rule's SharedKey secret.

    Raise `SignatureInvalid` when the signature is missing or matches no
    candidate URL, and `ValueError` when no token is configured.
    """
    if not auth_token:
        raise ValueError("no Twilio Auth Token is configured")
    if not signature:
        raise SignatureInvalid(f"missing {SIGNATURE_HEADER} header")
    algorithm = get_signature_algorithm(_header(headers, SIGNATURE_SETTINGS_HEADER))
    if algorithm.upper() not in SUPPORTED_ALGORITHMS:
        raise SignatureInvalid(
            f"{SIGNATURE_SETTINGS_HEADER} names an unsupported algorithm; "
            f"expected one of {', '.join(SUPPORTED_ALGORITHMS)}"
        )

    validator = RequestValidator(auth_token)
    offered = signature.strip()
    urls = candidate_urls(url_as_received, public_base_url, trust_forwarded, headers)
    for url in urls:
        try:
            signed = _signed_params(params, url)
            if _signature_matches(validator, url, signed, offered, algorithm):
                return url
        except ValueError:
            # urlsplit raises ValueError on a malformed port; that URL
            # cannot be the signed one, so try the next.
            continue

    raise SignatureInvalid(
        "X-Twilio-Signature does not match the request with the configured "
        "token; check the public base URL and the Auth Token",
        log_detail=f"tried {len(urls)} URL variants",
    )


def _signature_matches(
    validator: RequestValidator,
    url: str,
    signed: _MultiParams | str,
    offered: str,
    algorithm: str,
) -> bool:
    """Check `offered` against `url`, with and without the default port.

    `RequestValidator.validate` parses the URL, which drops an empty query's
    "?", so a URL ending in "?" is signed here for each port variant.
    """
    if not url.endswith("?"):
        return bool(validator.validate(url, signed, offered, algorithm))
    parsed = urlparse(url[:-1])
    variants = dict.fromkeys([url[:-1], add_port(parsed), remove_port(parsed)])
    return any(
        hmac.compare_digest(
            validator.compute_signature(variant + "?", signed, algorithm).encode(),
            offered.encode(),
        )
        for variant in variants
    )


@dataclass(frozen=True)
class TranscriptCallback:
    """A Voice Intelligence callback: which transcript is ready."""

    transcript_sid: str
    event_type: str
    customer_key: str | None = None
    account_sid: str | None = None
    service_sid: str | None = None

    @property
    def is_transcript_available(self) -> bool:
        return self.event_type == TRANSCRIPT_AVAILABLE


def _body_fields(body: bytes, content_type: str) -> dict[str, Any]:
    """Decode a callback body sent as JSON or as a form."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise PayloadInvalid("callback body is not valid UTF-8") from None
    if "json" in content_type.lower() or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise PayloadInvalid(
                f"callback body is not valid JSON (line {error.lineno}, "
                f"column {error.colno})"
            ) from None
        except RecursionError:
            raise PayloadInvalid(
                "callback body nests lists or objects too deeply"
            ) from None
        if not isinstance(data, dict):
            raise PayloadInvalid("callback body must be a JSON object")
        return data

    return dict(parse_qsl(text, keep_blank_values=True))


def _optional_sid(fields: Mapping[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _SID.fullmatch(value):
        raise PayloadInvalid(f"{name} is not a Twilio SID")
    return value


def parse_transcript_callback(body: bytes, content_type: str) -> TranscriptCallback:
    """Parse a Voice Intelligence webhook, sent as JSON or as a form.

    Raise `PayloadInvalid` when `transcript_sid` is missing or is not a
    transcript SID (GT and 32 hex digits), which also keeps it safe to put
    in an API path.
    """
    fields = _body_fields(body, content_type)
    transcript_sid = fields.get("transcript_sid")
    if (
        not isinstance(transcript_sid, str)
        or not _SID.fullmatch(transcript_sid)
        or not transcript_sid.startswith("GT")
    ):
        raise PayloadInvalid("missing or invalid transcript_sid; expected a GT SID")
    customer_key = fields.get("customer_key")
    if customer_key is not None and not isinstance(customer_key, str):
        raise PayloadInvalid("customer_key must be a string")
    if customer_key and len(customer_key) > MAX_CUSTOMER_KEY_LENGTH:
        raise PayloadInvalid(
            f"customer_key is {len(customer_key)} characters long; at most "
            f"{MAX_CUSTOMER_KEY_LENGTH} are accepted"
        )

    return TranscriptCallback(
        transcript_sid=transcript_sid,
        event_type=str(fields.get("event_type") or ""),
        customer_key=customer_key or None,
        account_sid=_optional_sid(fields, "account_sid"),
        service_sid=_optional_sid(fields, "service_sid"),
    )


def _timed_words(raw_words: object) -> list[TimedWord]:
    """Read a sentence's words that carry a usable start and end time.

    A word without text or with a time that is not a number of seconds is
    left out, so one broken word costs only its own timing.
    """
    if not isinstance(raw_words, list):
        return []
    words: list[TimedWord] = []
    for raw in raw_words:
        if not isinstance(raw, Mapping):
            continue
        text = raw.get("word", raw.get("text"))
        start = _optional_ms(raw.get("start_time", raw.get("start")), "start_time")
        end = _optional_ms(raw.get("end_time", raw.get("end")), "end_time")
        if isinstance(text, str) and start[0] is not None and end[0] is not None:
            words.append(TimedWord(text, start[0], end[0]))
    return words


def _optional_ms(value: object, field: str) -> tuple[int | None, str | None]:
    """Read seconds as ms; return (None, reason) for a missing or unusable value."""
    if value is None:
        return None, f"{field} is missing"
    try:
        return seconds_to_ms(value, field), None
    except PayloadInvalid as error:
        return None, str(error)


def _sentence_order(sentence: Mapping[str, Any]) -> tuple[int, float]:
    index = sentence.get("sentence_index")
    try:
        start = float(sentence.get("start_time") or 0)
    except (TypeError, ValueError):
        start = 0.0
    return (index if isinstance(index, int) else 0, start)


def interaction_from_sentences(
    callback: TranscriptCallback,
    sentences: Iterable[Mapping[str, Any]],
    channel_roles: Mapping[int, str] = DEFAULT_CHANNEL_ROLES,
    unknown_role: str = "customer",
) -> Interaction:
    """Build the voice interaction from a transcript's sentences.

    Each sentence becomes a segment whose speaker comes from its
    `media_channel` through `channel_roles`; a channel missing from the map
    gets `unknown_role`.
    """
    # NOTE: a single-channel recording puts both parties on channel 1, so
    # every sentence gets channel 1's role. Only dual-channel recordings (or
    # participants configured on the transcript) tell agent and customer apart.
    check_roles([*channel_roles.values(), unknown_role])
    ordered = [s for s in sentences if isinstance(s, Mapping)]
    ordered.sort(key=_sentence_order)
    # Sentence SIDs come from Twilio's API, not from the caller.
    ids = unique_ids([s.get("sid") for s in ordered], "sentence-", _is_sid)
    segments = [
        _sentence_segment(
            segment_id, sentence, f"sentences[{position}]", channel_roles, unknown_role
        )
        for position, (segment_id, sentence) in enumerate(
            zip(ids, ordered, strict=True)
        )
    ]

    return Interaction(
        id=transcript_key(callback),
        channel="voice",
        segments=segments,
        source=transcript_source(callback),
    )


def transcript_key(callback: TranscriptCallback) -> str:
    """Return the interaction id of a Voice Intelligence transcript."""
    return f"twilio:{callback.account_sid or '-'}:transcript:{callback.transcript_sid}"


def transcript_source(callback: TranscriptCallback) -> dict[str, Any]:
    """Return the source of a transcript's interaction: SIDs and a masked key."""
    return {
        "platform": "twilio",
        "product": "voice_intelligence",
        "account_sid": callback.account_sid,
        "service_sid": callback.service_sid,
        "transcript_sid": callback.transcript_sid,
        "customer_key": _stored_key(callback.customer_key),
    }


def _sentence_segment(
    segment_id: str,
    sentence: Mapping[str, Any],
    where: str,
    channel_roles: Mapping[int, str],
    unknown_role: str,
) -> Segment:
    """Build one sentence's segment; a broken field costs only that field.

    The sentences come from Twilio's API after the webhook got its response,
    so no error can reach the sender. A sentence whose times are missing or
    unusable gets none, with `TIME_ERROR` naming the field, and an unknown
    channel gets `unknown_role`.
    """
    text = sentence.get("transcript")
    channel_number = _channel_number(sentence.get("media_channel"))
    role = unknown_role
    if channel_number is not None:
        role = channel_roles.get(channel_number, unknown_role)
    start_ms, start_error = _optional_ms(
        sentence.get("start_time"), f"{where}.start_time"
    )
    end_ms, end_error = _optional_ms(sentence.get("end_time"), f"{where}.end_time")
    error = start_error or end_error
    if error:
        start_ms = end_ms = None
    start_ms, end_ms, inverted = timed_span(start_ms, end_ms, where)
    error = error or inverted
    extra: dict[str, Any] = {"media_channel": channel_number}
    if error:
        extra[TIME_ERROR] = error
    text = text if isinstance(text, str) else ""
    words = clamp_words(_timed_words(sentence.get("words")), start_ms, end_ms)
    if words:
        extra["words"] = align_words(text, words)

    return Segment(
        id=segment_id,
        speaker=role,
        text=text,
        start_ms=start_ms,
        end_ms=end_ms,
        extra=extra,
    )


def _is_sid(value: str) -> bool:
    return bool(_SID.fullmatch(value))


def _channel_number(value: object) -> int | None:
    """Read a media channel given as a number or a numeric string, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _stored_key(customer_key: str | None) -> str | None:
    """Return a customer_key fit to store: a SID as is, anything else masked.

    Some setups use the caller's phone number as the key, and the source of
    an interaction is kept with its case.
    """
    if customer_key is None or _SID.fullmatch(customer_key):
        return customer_key
    return mask_value("CUSTOMER_KEY", customer_key)


def recording_wav_url(url: str) -> str:
    """Append `.wav` to a Twilio RecordingUrl that has no extension.

    The extension picks the audio format Twilio serves, and only WAV can be
    muted here. Any other URL is returned as it is.
    """
    parts = urlsplit(url)
    if _RECORDING_PATH.search(parts.path):
        return urlunsplit(parts._replace(path=parts.path + ".wav"))
    return url


def recording_url(api_url: str, account_sid: str, recording_sid: str) -> str:
    """Return the REST URL of a recording's WAV audio.

    Raise `ValueError` when either SID is malformed, so neither can change
    the URL's path.
    """
    if not (_SID.fullmatch(account_sid) and account_sid.startswith("AC")):
        raise ValueError("account_sid is not an account SID (AC...)")
    if not (_SID.fullmatch(recording_sid) and recording_sid.startswith("RE")):
        raise ValueError("recording_sid is not a recording SID (RE...)")
    return (
        f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Recordings/"
        f"{recording_sid}.wav"
    )


def transcript_interaction(
    callback: TranscriptCallback,
    fetch: SentenceFetcher,
    channel_roles: Mapping[int, str] = DEFAULT_CHANNEL_ROLES,
) -> Interaction:
    """Fetch a ready transcript's sentences with `fetch` and build the interaction.

    `fetch` takes the transcript SID and returns the sentences as mappings
    with the fields of Twilio's Sentences resource. Use
    `TwilioSentenceFetcher` in production and a fake in tests.
    """
    if not callback.is_transcript_available:
        raise PayloadInvalid(
            f"event_type {callback.event_type[:60]!r} does not announce a "
            f"transcript; expected {TRANSCRIPT_AVAILABLE}"
        )
    sentences = list(fetch(callback.transcript_sid))

    return interaction_from_sentences(callback, sentences, channel_roles)


class TwilioSentenceFetcher:
    """Fetch transcript sentences through the `twilio` client.

    `base_url` replaces https://intelligence.twilio.com, so tests and
    staging can point the client at a local stand-in. Every request has a
    timeout of `timeout` seconds.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        base_url: str = DEFAULT_INTELLIGENCE_URL,
        timeout: float = 10.0,
        redacted: bool = False,
    ) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        if not account_sid or not auth_token:
            raise ValueError("Twilio account SID and Auth Token are required")
        self._client = Client(
            account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout)
        )
        self._client.intelligence.base_url = base_url.rstrip("/")
        self.redacted = redacted

    def recording_sid(self, transcript_sid: str) -> str | None:
        """Return the SID of the recording a transcript was made from, or None.

        Twilio names it in the transcript's `channel.media_properties.source_sid`
        when the media is a Twilio recording; external media give None.
        """
        from twilio.base.exceptions import TwilioException

        try:
            transcript = self._client.intelligence.v2.transcripts(
                transcript_sid
            ).fetch()
        except (TwilioException, OSError) as error:
            raise _fetch_error(error, transcript_sid) from None
        channel = transcript.channel if isinstance(transcript.channel, dict) else {}
        media = channel.get("media_properties")
        source_sid = media.get("source_sid") if isinstance(media, dict) else None
        if not isinstance(source_sid, str) or not source_sid.startswith("RE"):
            return None
        return source_sid if _SID.fullmatch(source_sid) else None

    def __call__(self, transcript_sid: str) -> list[dict[str, Any]]:
        from twilio.base.exceptions import TwilioException

        sentences = self._client.intelligence.v2.transcripts(transcript_sid).sentences
        try:
            found = sentences.list(redacted=self.redacted, word_timestamps=True)
        except (TwilioException, OSError) as error:
            raise _fetch_error(error, transcript_sid) from None
        logger.info(
            "twilio sentences transcript=%s count=%d", transcript_sid, len(found)
        )

        return [
            {
                "sid": item.sid,
                "media_channel": item.media_channel,
                "sentence_index": item.sentence_index,
                "start_time": item.start_time,
                "end_time": item.end_time,
                "transcript": item.transcript,
                "confidence": item.confidence,
                "words": item.words,
            }
            for item in found
        ]


def _fetch_error(error: Exception, transcript_sid: str) -> AdapterError:
    """Classify a failed sentences request as retryable or permanent.

    twilio 9.13 raises `TwilioRestException` (with `status`) for a failed
    single request and a plain `TwilioException` whose second argument is
    the HTTP response for a failed page of a list.
    """
    status = getattr(error, "status", None)
    if status is None and len(error.args) > 1:
        status = getattr(error.args[1], "status_code", None)
    if not isinstance(status, int):
        return RetryLater(
            f"fetching the sentences of {transcript_sid} failed: {type(error).__name__}"
        )
    if status == 429 or status >= 500:
        return RetryLater(
            f"Twilio returned HTTP {status} for the sentences of {transcript_sid}"
        )
    return PermanentFailure(
        f"Twilio returned HTTP {status} for the sentences of {transcript_sid}; "
        "check the transcript SID and the credentials"
    )


def transcription_completed(params: FormParams) -> bool:
    """Return False for a transcription callback that reports a failure.

    Twilio sends the callback with TranscriptionStatus `failed` when it
    could not transcribe, and treats any response but 2xx as an error, so
    the gateway acknowledges such a callback and ignores it.
    """
    return dict(params).get("TranscriptionStatus", "completed") == "completed"


def transcription_interaction(
    params: FormParams, role: str = "customer"
) -> Interaction:
    """Build a one-segment interaction from a classic transcription callback.

    The callback of `<Record transcribe="true">` carries TranscriptionText,
    RecordingUrl and CallSid. The whole text becomes one segment with speaker
    `role`, by default `customer`, because it transcribes one recorded
    track, usually a voicemail. It has no times, so findings get no audio
    range.
    """
    check_roles([role])
    fields = dict(params)
    if not transcription_completed(params):
        raise PayloadInvalid(
            f"TranscriptionStatus is {fields['TranscriptionStatus'][:20]!r}; only "
            "completed transcriptions carry text"
        )
    text = fields.get("TranscriptionText")
    if text is None:
        raise PayloadInvalid("missing TranscriptionText")
    call_sid = _optional_sid(fields, "CallSid")
    recording_sid = _optional_sid(fields, "RecordingSid")
    key = _optional_sid(fields, "TranscriptionSid") or recording_sid or call_sid
    if key is None:
        raise PayloadInvalid("missing TranscriptionSid, RecordingSid and CallSid")

    account_sid = _optional_sid(fields, "AccountSid")

    return Interaction(
        id=f"twilio:{account_sid or '-'}:transcription:{key}",
        channel="voice",
        segments=[Segment(id=key, speaker=role, text=text)],
        source={
            "platform": "twilio",
            "product": "transcription",
            "account_sid": account_sid,
            "call_sid": call_sid,
            "recording_sid": recording_sid,
            "recording_url": fields.get("RecordingUrl"),
        },
    )
