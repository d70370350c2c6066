"""Twilio request signing: published example, port, proxy and encoding variants."""

from __future__ import annotations

import hashlib

import pytest
from twilio.request_validator import RequestValidator

from adapters.errors import SignatureInvalid
from adapters.telephony.twilio import _MultiParams, candidate_urls, verify_twilio

# Twilio's published example request: token 12345 and the signature below.
EXAMPLE_TOKEN = "12345"
EXAMPLE_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
EXAMPLE_PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+12349013030"),
    ("Digits", "1234"),
    ("From", "+12349013030"),
    ("To", "+18005551212"),
]
EXAMPLE_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="

TOKEN = "local-test-auth-token"


def sign(url: str, params: list[tuple[str, str]] | str, token: str = TOKEN) -> str:
    signed = params if isinstance(params, str) else _MultiParams(params)
    return RequestValidator(token).compute_signature(url, signed)


def test_published_example_matches() -> None:
    matched = verify_twilio(
        EXAMPLE_URL, EXAMPLE_PARAMS, EXAMPLE_SIGNATURE, EXAMPLE_TOKEN
    )

    assert matched == EXAMPLE_URL


def test_published_example_raw_form_body() -> None:
    body = "&".join(f"{k}={v.replace('+', '%2B')}" for k, v in EXAMPLE_PARAMS)

    matched = verify_twilio(
        EXAMPLE_URL, body.encode(), EXAMPLE_SIGNATURE, EXAMPLE_TOKEN
    )

    assert matched == EXAMPLE_URL


def test_wrong_token_rejected() -> None:
    with pytest.raises(SignatureInvalid):
        verify_twilio(EXAMPLE_URL, EXAMPLE_PARAMS, EXAMPLE_SIGNATURE, "54321")


def test_changed_param_rejected() -> None:
    params = [*EXAMPLE_PARAMS[:-1], ("To", "+18005551213")]

    with pytest.raises(SignatureInvalid):
        verify_twilio(EXAMPLE_URL, params, EXAMPLE_SIGNATURE, EXAMPLE_TOKEN)


def test_missing_signature_rejected() -> None:
    with pytest.raises(SignatureInvalid, match="missing"):
        verify_twilio(EXAMPLE_URL, EXAMPLE_PARAMS, "", EXAMPLE_TOKEN)


def test_empty_token_is_setup_error() -> None:
    with pytest.raises(ValueError, match="Auth Token"):
        verify_twilio(EXAMPLE_URL, EXAMPLE_PARAMS, EXAMPLE_SIGNATURE, "")


def test_own_request_with_repeated_keys() -> None:
    url = "https://hooks.example.test/twilio/voice"
    params = [("CallSid", "CA" + "0" * 32), ("Tag", "b"), ("Tag", "a")]
    signature = sign(url, params)

    assert verify_twilio(url, params, signature, TOKEN) == url
    with pytest.raises(SignatureInvalid):
        verify_twilio(url, params[:2], signature, TOKEN)


@pytest.mark.parametrize(
    ("signed_url", "received_url"),
    [
        ("https://hooks.example.test:443/a?x=1", "https://hooks.example.test/a?x=1"),
        ("https://hooks.example.test/a?x=1", "https://hooks.example.test:443/a?x=1"),
        ("http://hooks.example.test:80/a", "http://hooks.example.test/a"),
    ],
)
def test_default_port_variants(signed_url: str, received_url: str) -> None:
    params = [("CallSid", "CA" + "1" * 32)]

    verify_twilio(received_url, params, sign(signed_url, params), TOKEN)


@pytest.mark.parametrize(
    ("signed_url", "received_url"),
    [
        ("https://hooks.example.test/a?", "https://hooks.example.test/a?"),
        ("https://hooks.example.test/a?", "https://hooks.example.test/a"),
        ("https://hooks.example.test/a", "https://hooks.example.test/a?"),
        ("https://hooks.example.test:443/a?", "https://hooks.example.test/a?"),
    ],
)
def test_empty_query_with_and_without_question_mark(
    signed_url: str, received_url: str
) -> None:
    params = [("CallSid", "CA" + "8" * 32)]

    matched = verify_twilio(received_url, params, sign(signed_url, params), TOKEN)

    assert matched.removesuffix("?") == "https://hooks.example.test/a"


def test_public_base_url_replaces_internal_host() -> None:
    params = [("CallSid", "CA" + "2" * 32)]
    signature = sign("https://public.example.test/prod/twilio/voice?a=1", params)

    matched = verify_twilio(
        "http://10.0.0.5:8080/twilio/voice?a=1",
        params,
        signature,
        TOKEN,
        public_base_url="https://public.example.test/prod",
    )

    assert matched == "https://public.example.test/prod/twilio/voice?a=1"


def test_forwarded_proto_used_only_when_trusted() -> None:
    params = [("CallSid", "CA" + "3" * 32)]
    signature = sign("https://public.example.test/twilio/voice", params)
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "public.example.test",
    }
    internal = "http://internal.example.test/twilio/voice"

    with pytest.raises(SignatureInvalid):
        verify_twilio(internal, params, signature, TOKEN, headers=headers)
    matched = verify_twilio(
        internal, params, signature, TOKEN, trust_forwarded=True, headers=headers
    )

    assert matched == "https://public.example.test/twilio/voice"


def test_reencoded_query_accepted_after_raw() -> None:
    params = [("CallSid", "CA" + "4" * 32)]
    signed = "https://hooks.example.test/a?name=a%20b&k=%2Fx"
    received = "https://hooks.example.test/a?name=a+b&k=/x"

    urls = candidate_urls(received)
    matched = verify_twilio(received, params, sign(signed, params), TOKEN)

    assert urls[0] == received
    assert matched == signed


def test_json_body_with_body_hash() -> None:
    body = '{"transcript_sid": "GT' + "5" * 32 + '"}'
    digest = hashlib.sha256(body.encode()).hexdigest()
    url = f"https://hooks.example.test/twilio/intelligence?bodySHA256={digest}"
    signature = sign(url, [])

    assert verify_twilio(url, body.encode(), signature, TOKEN) == url
    with pytest.raises(SignatureInvalid):
        verify_twilio(url, body.replace("5", "6").encode(), signature, TOKEN)


def test_sha256_settings_header() -> None:
    params = [("CallSid", "CA" + "7" * 32)]
    url = "https://hooks.example.test/a"
    signature = RequestValidator(TOKEN).compute_signature(
        url, _MultiParams(params), "HMAC_SHA256"
    )
    headers = {"X-Twilio-Webhooks-Signature-Settings": "key=k1,algorithm=HMAC_SHA256"}

    assert verify_twilio(url, params, signature, TOKEN, headers=headers) == url
    with pytest.raises(SignatureInvalid):
        verify_twilio(url, params, signature, TOKEN)


def test_unsupported_algorithm_rejected() -> None:
    headers = {"X-Twilio-Webhooks-Signature-Settings": "algorithm=HMAC_MD5"}

    with pytest.raises(SignatureInvalid, match="unsupported"):
        verify_twilio(EXAMPLE_URL, EXAMPLE_PARAMS, "x", TOKEN, headers=headers)
