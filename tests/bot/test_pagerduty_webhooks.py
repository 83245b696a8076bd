"""PagerDuty V3 webhooks: signatures over the raw body, secret rotation and headers that must be refused."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from bot.pagerduty_webhooks import verify
from tests.bot.pagerduty_webhook_bodies import TRIGGERED

SECRET = "ChzGWn3Gt4oBpqWeXcdN9zh5XlUYnEiAYBkbFAbRnsIa3AH9p61qWzJhWCJqr1HR"
OLD_SECRET = "oB5rHKeMw0LYf-sm6VgMqTFlMNEgkjZQ2pRDaPKm9ejGcS2C0Lj8nhnL0Wr1t6hE"


def sign(body: bytes, *secrets: str) -> str:
    """An `X-PagerDuty-Signature` value the way PagerDuty builds one: a `v1=` signature per secret, comma-joined."""
    return ",".join("v1=" + hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secrets)


# --- verify ---------------------------------------------------------------------------------------------------


def test_a_body_signed_with_the_secret_verifies() -> None:
    assert verify(TRIGGERED, sign(TRIGGERED, SECRET), [SECRET])


def test_the_signature_is_hmac_sha256_hex_as_in_rfc_4231() -> None:
    # RFC 4231 test case 2: an independent check that the header carries hex HMAC-SHA256 of the body.
    header = "v1=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert verify(b"what do ya want for nothing?", header, ["Jefe"])


def test_a_body_signed_with_another_secret_is_refused() -> None:
    assert not verify(TRIGGERED, sign(TRIGGERED, "not-the-secret"), [SECRET])


def test_during_rotation_a_header_with_two_signatures_verifies_against_either_secret() -> None:
    header = sign(TRIGGERED, OLD_SECRET, SECRET)
    assert header.count("v1=") == 2
    assert verify(TRIGGERED, header, [SECRET])
    assert verify(TRIGGERED, header, [OLD_SECRET])
    assert verify(TRIGGERED, header, [OLD_SECRET, SECRET])
    assert not verify(TRIGGERED, header, ["a-third-secret", "and-a-fourth"])


def test_two_configured_secrets_accept_a_body_signed_with_only_one_of_them() -> None:
    assert verify(TRIGGERED, sign(TRIGGERED, OLD_SECRET), [SECRET, OLD_SECRET])
    assert verify(TRIGGERED, sign(TRIGGERED, SECRET), [SECRET, OLD_SECRET])


def test_spaces_around_the_comma_between_signatures_are_tolerated() -> None:
    header = sign(TRIGGERED, OLD_SECRET) + " , " + sign(TRIGGERED, SECRET)
    assert verify(TRIGGERED, header, [SECRET])


@pytest.mark.parametrize("header", [None, "", "   "], ids=["missing", "empty", "blank"])
def test_an_unsigned_request_is_refused(header: str | None) -> None:
    assert not verify(TRIGGERED, header, [SECRET])


def _valid_hex() -> str:
    return sign(TRIGGERED, SECRET).removeprefix("v1=")


@pytest.mark.parametrize(
    "header",
    [
        "v1=",
        "v1",
        "=",
        ",,,,",
        "v1=not-hex-at-all",
        "v1=" + "zz" * 32,
        "v1=" + _valid_hex()[:-2],
        "v1=" + _valid_hex() + "00",
        "v1=" + "\u00e9" * 64,
        "v1=" + "\x00" * 64,
        _valid_hex(),
        "v0=" + _valid_hex(),
        "sha256=" + _valid_hex(),
        "V1 = " + _valid_hex(),
        "t=1700000000,v2=" + _valid_hex(),
        "v1=" + "ab" * 32 + ",garbage," * 500,
        "\ud800",
    ],
    ids=[
        "prefix-only",
        "no-equals",
        "equals-only",
        "only-commas",
        "not-hex",
        "hex-alphabet-wrong",
        "truncated",
        "too-long",
        "non-ascii",
        "nul-bytes",
        "no-version",
        "other-version",
        "other-scheme",
        "mangled-prefix",
        "stripe-style",
        "long-junk",
        "lone-surrogate",
    ],
)
def test_a_garbage_header_is_refused_without_raising(header: str) -> None:
    assert verify(TRIGGERED, header, [SECRET]) is False


def test_a_body_tampered_by_one_byte_is_refused() -> None:
    header = sign(TRIGGERED, SECRET)
    at = TRIGGERED.index(b'"urgency": "high"') + len(b'"urgency": "')
    tampered = TRIGGERED[:at] + b"l" + TRIGGERED[at + 1 :]
    assert len(tampered) == len(TRIGGERED) and tampered != TRIGGERED
    assert not verify(tampered, header, [SECRET])


def test_the_signature_covers_the_exact_bytes_so_reformatted_json_is_refused() -> None:
    header = sign(TRIGGERED, SECRET)
    compact = json.dumps(json.loads(TRIGGERED), separators=(",", ":")).encode()
    assert json.loads(compact) == json.loads(TRIGGERED)
    assert not verify(compact, header, [SECRET])
    assert not verify(TRIGGERED + b"\n", header, [SECRET])
    assert not verify(TRIGGERED.replace(b"\n", b"\r\n"), header, [SECRET])


def test_a_body_with_unicode_is_verified_on_its_utf8_bytes() -> None:
    body = '{"event":{"id":"1","event_type":"incident.triggered","data":{"title":"Caf\u00e9 \u2014 \u2615"}}}'.encode()
    assert verify(body, sign(body, SECRET), [SECRET])
    # The same text with the non-ASCII characters escaped is equal JSON but other bytes.
    escaped = json.dumps(json.loads(body), separators=(",", ":")).encode()
    assert not verify(escaped, sign(body, SECRET), [SECRET])


def test_no_configured_secret_refuses_everything() -> None:
    assert not verify(TRIGGERED, sign(TRIGGERED, SECRET), [])


def test_an_empty_secret_never_accepts_even_a_body_signed_with_the_empty_key() -> None:
    assert not verify(TRIGGERED, sign(TRIGGERED, ""), [""])
    assert verify(TRIGGERED, sign(TRIGGERED, SECRET), ["", SECRET])


def test_one_string_instead_of_a_list_of_secrets_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="sequence of secrets"):
        verify(TRIGGERED, sign(TRIGGERED, SECRET), SECRET)
