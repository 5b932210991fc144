"""Inbound webhooks: sources that push events to the inbox, and how their deliveries are signed.

A source belongs to a workspace and has a kind. Meta (Facebook Page and Instagram comments)
signs each delivery with the app secret: `X-Hub-Signature-256: sha256=<hex>` over the raw
body. Any other sender uses the generic format, signed like our own outbound webhooks (the
HMAC-SHA256 of `"<unix time>." + body`) and sent as `X-Inbox-Signature: t=<unix>,v1=<hex>`;
a timestamp outside the tolerance window is refused, so a captured delivery cannot be
replayed later. Every comparison runs in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr

from inbox.domain.errors import ConfigurationError, InboxError
from inbox.domain.ingestion import RejectedPayload
from inbox.domain.mention import Mention
from inbox.domain.network import Network

META_SIGNATURE_HEADER = "X-Hub-Signature-256"
GENERIC_SIGNATURE_HEADER = "X-Inbox-Signature"
# How far a generic delivery's timestamp may be from our clock, either way.
TIMESTAMP_TOLERANCE = timedelta(minutes=5)
# Larger bodies are refused before any parsing (Meta batches at most a few hundred changes).
MAX_BODY_BYTES = 1024 * 1024

SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class ParsedDelivery:
    """What one delivery holds: mentions, payloads that could not become one, and the count
    of well-formed changes the inbox does not read (likes, reactions, edits)."""

    mentions: Sequence[Mention]
    rejected: Sequence[RejectedPayload] = ()
    ignored: int = 0


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """The answer to the sender: what its delivery changed."""

    added: int
    duplicates: int
    quarantined: int
    ignored: int


class PayloadTooLarge(InboxError):
    def __init__(self, size: int) -> None:
        super().__init__(f"the body is {size} bytes; the limit is {MAX_BODY_BYTES}")


class SourceKind(StrEnum):
    META = "meta"
    GENERIC = "generic"


class SignatureRejected(InboxError):
    """A delivery whose signature is missing, malformed, wrong or too old.

    The reason is safe to show the sender: it never contains the secret or the expected value.
    """


class HandshakeRefused(InboxError):
    """Meta's subscription handshake named the wrong token or mode."""


class InboundSource(BaseModel):
    """A configured sender. Secrets are open here (the store unseals them) and never logged."""

    model_config = ConfigDict(frozen=True)

    workspace_id: int
    id: int
    name: str
    kind: SourceKind
    # Meta: the app secret. Generic: the signing secret shown once when the source was added.
    secret: SecretStr
    # Meta only: what the subscription handshake must echo.
    verify_token: SecretStr | None = None
    # Meta only: the Page access token that posts replies and looks up Instagram mentions.
    access_token: SecretStr | None = None
    settings: dict[str, Any] = {}
    facebook_account_id: int | None = None
    instagram_account_id: int | None = None
    created_at: datetime


@dataclass(frozen=True)
class NewSource:
    """A source to add, its secrets still open. Meta's carries the subscription's verify
    token, the Page access token that replies, its settings and the brand's own accounts
    (network: external id, handle)."""

    name: str
    kind: SourceKind
    secret: SecretStr
    verify_token: SecretStr | None = None
    access_token: SecretStr | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    accounts: Mapping[Network, tuple[str, str]] = field(default_factory=dict)


class SourceSummary(BaseModel):
    """What `list` shows of a source: never a secret."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    kind: SourceKind
    settings: dict[str, Any]
    can_reply: bool
    created_at: datetime


def checked_name(name: str) -> str:
    if not SOURCE_NAME.fullmatch(name):
        raise ConfigurationError(
            "source name", "1 to 64 of a-z, 0-9, '-' and '_', starting with a letter or digit"
        )
    return name


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, whatever its case (the caller may hand a plain dict)."""
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def _hmac_hex(secret: SecretStr, message: bytes) -> str:
    return hmac.new(secret.get_secret_value().encode(), message, hashlib.sha256).hexdigest()


def meta_signature(app_secret: SecretStr, body: bytes) -> str:
    """The header value Meta sends for this body."""
    return "sha256=" + _hmac_hex(app_secret, body)


def verify_meta_signature(app_secret: SecretStr, body: bytes, value: str | None) -> None:
    if not value:
        raise SignatureRejected(f"no {META_SIGNATURE_HEADER} header")
    scheme, _, given = value.strip().partition("=")
    if scheme.lower() != "sha256" or not _HEX_SHA256.fullmatch(given.lower()):
        raise SignatureRejected(f"{META_SIGNATURE_HEADER} is not 'sha256=' and 64 hex digits")
    expected = _hmac_hex(app_secret, body)
    if not hmac.compare_digest(expected.encode(), given.lower().encode()):
        raise SignatureRejected(f"{META_SIGNATURE_HEADER} does not match the body")


def generic_signature(secret: SecretStr, timestamp: int, body: bytes) -> str:
    """The `X-Inbox-Signature` value for this body sent at `timestamp` (unix seconds)."""
    digest = _hmac_hex(secret, str(timestamp).encode() + b"." + body)
    return f"t={timestamp},v1={digest}"


def _generic_parts(value: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    digests: list[str] = []
    for part in value.split(","):
        key, _, item = part.strip().partition("=")
        if key == "t" and item.isdigit() and len(item) <= 12:
            timestamp = int(item)
        elif key == "v1" and _HEX_SHA256.fullmatch(item.lower()):
            digests.append(item.lower())
    if timestamp is None or not digests:
        raise SignatureRejected(
            f"{GENERIC_SIGNATURE_HEADER} must be 't=<unix seconds>,v1=<64 hex digits>'"
        )
    return timestamp, digests


def verify_generic_signature(
    secret: SecretStr,
    body: bytes,
    value: str | None,
    now: datetime,
    tolerance: timedelta = TIMESTAMP_TOLERANCE,
) -> None:
    """Several `v1=` values are allowed, so that a sender can roll its secret without a gap."""
    if not value:
        raise SignatureRejected(f"no {GENERIC_SIGNATURE_HEADER} header")
    timestamp, digests = _generic_parts(value)
    expected = _hmac_hex(secret, str(timestamp).encode() + b"." + body).encode()
    # Every candidate is compared, so the time taken does not say which one was close.
    matches = [hmac.compare_digest(expected, digest.encode()) for digest in digests]
    if not any(matches):
        raise SignatureRejected(f"{GENERIC_SIGNATURE_HEADER} does not match the body")
    skew = abs(now.timestamp() - timestamp)
    if skew > tolerance.total_seconds():
        raise SignatureRejected(
            f"the signed timestamp is {int(skew)} s away from our clock; the limit is "
            f"{int(tolerance.total_seconds())} s (a replay, or a sender's clock adrift)"
        )


def check_handshake(
    verify_token: SecretStr | None, mode: str | None, token: str | None, challenge: str | None
) -> str:
    """The challenge to echo when Meta's subscription request names our token."""
    if mode != "subscribe" or not challenge or len(challenge) > 256:
        raise HandshakeRefused("expected hub.mode=subscribe and a hub.challenge")
    if verify_token is None or token is None:
        raise HandshakeRefused("hub.verify_token does not match")
    expected = verify_token.get_secret_value().encode()
    if not hmac.compare_digest(expected, token.encode("utf-8", "surrogatepass")):
        raise HandshakeRefused("hub.verify_token does not match")
    return challenge
