"""Sign-in codes (RFC 6238 TOTP over RFC 4226 HOTP): the published test vectors, and which
codes are accepted: near now, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox.domain import totp

# The RFC's secret, "12345678901234567890" in ASCII, in the base32 apps are given.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

# RFC 4226 appendix D: HOTP values for counters 0 to 9.
HOTP_VECTORS = [
    "755224", "287082", "359152", "969429", "338314",
    "254676", "287922", "162583", "399871", "520489",
]  # fmt: skip

# RFC 6238 appendix B, SHA-1: eight digits; a six-digit code is the same number's last six
# (both are the truncated value modulo a power of ten).
TOTP_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]

NOW = datetime(2026, 12, 6, 12, 0, 10, tzinfo=UTC)


@pytest.mark.parametrize("counter", range(10))
def test_codes_are_rfc_4226_hotp_values_of_the_time_step(counter: int) -> None:
    assert totp.code_at(RFC_SECRET, counter) == HOTP_VECTORS[counter]


@pytest.mark.parametrize(("unix_time", "eight_digits"), TOTP_VECTORS)
def test_codes_match_the_rfc_6238_vectors_at_their_times(unix_time: int, eight_digits: str) -> None:
    moment = datetime.fromtimestamp(unix_time, UTC)
    assert totp.code_at(RFC_SECRET, totp.step_at(moment)) == eight_digits[-6:]
    assert totp.matching_step(RFC_SECRET, eight_digits[-6:], moment, None) == totp.step_at(moment)


def test_the_code_of_now_is_accepted_and_names_its_step() -> None:
    step = totp.step_at(NOW)
    assert totp.matching_step(RFC_SECRET, totp.code_at(RFC_SECRET, step), NOW, None) == step


def test_a_code_typed_with_spaces_is_accepted() -> None:
    code = totp.code_at(RFC_SECRET, totp.step_at(NOW))
    assert totp.matching_step(RFC_SECRET, f" {code[:3]} {code[3:]} ", NOW, None) is not None


@pytest.mark.parametrize("drift", [-1, 1])
def test_a_code_one_step_off_is_accepted_for_a_clock_a_little_off(drift: int) -> None:
    step = totp.step_at(NOW) + drift
    assert totp.matching_step(RFC_SECRET, totp.code_at(RFC_SECRET, step), NOW, None) == step


@pytest.mark.parametrize("age", [timedelta(seconds=61), timedelta(minutes=5)])
def test_an_expired_code_is_refused(age: timedelta) -> None:
    old = totp.code_at(RFC_SECRET, totp.step_at(NOW - age))
    assert totp.matching_step(RFC_SECRET, old, NOW, None) is None


def test_a_code_already_used_is_refused() -> None:
    step = totp.step_at(NOW)
    code = totp.code_at(RFC_SECRET, step)
    assert totp.matching_step(RFC_SECRET, code, NOW, last_step=step) is None


def test_a_code_of_a_step_before_the_last_used_is_refused() -> None:
    step = totp.step_at(NOW)
    earlier = totp.code_at(RFC_SECRET, step - 1)
    assert totp.matching_step(RFC_SECRET, earlier, NOW, last_step=step) is None


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_anything_but_six_digits_is_refused(typed: str) -> None:
    assert totp.matching_step(RFC_SECRET, typed, NOW, None) is None


def test_a_wrong_code_is_refused() -> None:
    step = totp.step_at(NOW)
    right = {totp.code_at(RFC_SECRET, s) for s in (step - 1, step, step + 1)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in right)
    assert totp.matching_step(RFC_SECRET, wrong, NOW, None) is None


def test_new_secrets_are_160_bits_of_base32_and_differ() -> None:
    first, second = totp.new_secret(), totp.new_secret()
    assert len(first) == 32
    assert set(first) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert first != second


def test_the_setup_address_names_the_issuer_account_and_secret() -> None:
    uri = totp.provisioning_uri(RFC_SECRET, "ada@example.com")
    assert uri.startswith("otpauth://totp/")
    assert f"secret={RFC_SECRET}" in uri
    assert "issuer=Social%20inbox" in uri
