"""Time-based one-time codes (TOTP, RFC 6238) as authenticator apps make them: six digits,
HMAC-SHA1, 30-second steps. pyotp makes the codes; what is ours is which steps are accepted:
the current one and one either side (a phone's clock a little off, a code typed as it
changed), never a step at or before the last one accepted, so a code works once.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

STEP_SECONDS = 30
DIGITS = 6
# Steps either side of now that still match: 30 s of drift each way.
DRIFT_STEPS = 1
ISSUER = "Social inbox"


def new_secret() -> str:
    """160 random bits in base32, the length RFC 4226 recommends and apps expect."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str, issuer: str = ISSUER) -> str:
    """The otpauth:// address an authenticator app reads (as a QR code or typed)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def step_at(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The step whose code `code` is, near `now` and after `last_step`; None if none is (a
    wrong, expired or reused code)."""
    typed = "".join(code.split())
    if len(typed) != DIGITS or not typed.isdigit():
        return None
    current = step_at(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(code_at(secret, step), typed):
            return step
    return None
