"""Signatures of inbound webhook deliveries: Meta's, the generic format's, Meta's handshake."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from inbox.domain.inbound_webhooks import (
    HandshakeRefused,
    SignatureRejected,
    check_handshake,
    generic_signature,
    meta_signature,
    verify_generic_signature,
    verify_meta_signature,
)

SECRET = SecretStr("0123456789abcdef0123456789abcdef")
BODY = b'{"object":"page","entry":[]}'
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_meta_signature_is_the_hmac_sha256_of_the_raw_body() -> None:
    expected = hmac.new(SECRET.get_secret_value().encode(), BODY, hashlib.sha256).hexdigest()
    assert meta_signature(SECRET, BODY) == f"sha256={expected}"
    verify_meta_signature(SECRET, BODY, f"sha256={expected}")
    verify_meta_signature(SECRET, BODY, f"sha256={expected.upper()}")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "no X-Hub-Signature-256"),
        ("", "no X-Hub-Signature-256"),
        ("sha1=" + "0" * 40, "not 'sha256='"),
        ("sha256=xyz", "not 'sha256='"),
        ("sha256=" + "0" * 64, "does not match"),
    ],
)
def test_a_meta_delivery_without_the_right_signature_is_refused(
    value: str | None, reason: str
) -> None:
    with pytest.raises(SignatureRejected, match=reason):
        verify_meta_signature(SECRET, BODY, value)


def test_a_meta_signature_of_another_body_or_secret_is_refused() -> None:
    with pytest.raises(SignatureRejected):
        verify_meta_signature(SECRET, BODY + b" ", meta_signature(SECRET, BODY))
    with pytest.raises(SignatureRejected):
        verify_meta_signature(SECRET, BODY, meta_signature(SecretStr("other"), BODY))


def test_a_generic_signature_signs_the_timestamp_and_the_body() -> None:
    stamp = int(NOW.timestamp())
    value = generic_signature(SECRET, stamp, BODY)
    digest = hmac.new(
        SECRET.get_secret_value().encode(), f"{stamp}.".encode() + BODY, hashlib.sha256
    ).hexdigest()
    assert value == f"t={stamp},v1={digest}"
    verify_generic_signature(SECRET, BODY, value, NOW)
    verify_generic_signature(SECRET, BODY, value, NOW + timedelta(minutes=4))


def test_a_generic_signature_outside_the_window_is_refused_both_ways() -> None:
    stamp = int((NOW - timedelta(minutes=6)).timestamp())
    with pytest.raises(SignatureRejected, match="away from our clock"):
        verify_generic_signature(SECRET, BODY, generic_signature(SECRET, stamp, BODY), NOW)
    future = int((NOW + timedelta(minutes=6)).timestamp())
    with pytest.raises(SignatureRejected, match="away from our clock"):
        verify_generic_signature(SECRET, BODY, generic_signature(SECRET, future, BODY), NOW)


def test_a_sender_rolling_its_secret_may_send_two_signatures() -> None:
    stamp = int(NOW.timestamp())
    old = generic_signature(SecretStr("old secret"), stamp, BODY)
    new = generic_signature(SECRET, stamp, BODY)
    both = f"{old},v1={new.split('v1=')[1]}"
    verify_generic_signature(SECRET, BODY, both, NOW)


@pytest.mark.parametrize(
    "value", [None, "", "t=abc,v1=00", "v1=" + "0" * 64, "t=1", "t=1,v1=" + "0" * 64]
)
def test_a_generic_delivery_without_a_valid_signature_is_refused(value: str | None) -> None:
    with pytest.raises(SignatureRejected):
        verify_generic_signature(SECRET, BODY, value, NOW)


def test_a_replayed_body_under_a_new_timestamp_does_not_match() -> None:
    stamp = int(NOW.timestamp())
    _, digest = generic_signature(SECRET, stamp - 600, BODY).split(",")
    with pytest.raises(SignatureRejected, match="does not match"):
        verify_generic_signature(SECRET, BODY, f"t={stamp},{digest}", NOW)


def test_the_handshake_echoes_the_challenge_for_the_verify_token_only() -> None:
    token = SecretStr("verify-me-please")
    assert check_handshake(token, "subscribe", "verify-me-please", "1158201444") == "1158201444"
    for mode, given, challenge in [
        ("subscribe", "wrong", "1"),
        ("unsubscribe", "verify-me-please", "1"),
        ("subscribe", None, "1"),
        ("subscribe", "verify-me-please", None),
        ("subscribe", "verify-me-please", "9" * 300),
    ]:
        with pytest.raises(HandshakeRefused):
            check_handshake(token, mode, given, challenge)
    with pytest.raises(HandshakeRefused):
        check_handshake(None, "subscribe", "anything", "1")
