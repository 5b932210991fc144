"""Outbound webhooks: every event that leaves the inbox, signed, retried until delivered.

A receiver checks `X-Inbox-Signature` (`sha256=` and the hex HMAC-SHA256, keyed by the
webhook's secret, of `"<X-Inbox-Timestamp>." + body`), refuses stale timestamps, and
deduplicates on `X-Inbox-Delivery` (the event's stable id: a retry carries the same one).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, SecretStr

from inbox.domain.customer_events import CUSTOMER_EVENT_KINDS
from inbox.domain.errors import ConfigurationError, InboxError
from inbox.domain.thread_events import THREAD_EVENT_KINDS

# The events that can leave. Subscriptions name kinds, a family (`sla.*`) or all (`*`).
EVENT_KINDS = (
    "sla.warning",
    "sla.breach",
    "sla.end_of_shift",
    "incident.opened",
    "incident.closed",
    *THREAD_EVENT_KINDS,
    *CUSTOMER_EVENT_KINDS,
)

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=10)
LONGEST_RETRY = timedelta(hours=1)
# A receiver answering these may succeed later; any other 4xx will refuse the same body again.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 409, 425, 429})


class WebhookUnreachable(InboxError):
    """No HTTP answer: refused, timed out, TLS failure. The reason names no secret."""


class Webhook(BaseModel):
    model_config = ConfigDict(frozen=True)

    workspace_id: int
    id: int
    url: str
    events: tuple[str, ...]
    active: bool
    created_at: datetime
    include_text: bool = False
    pending: int = 0
    failed: int = 0

    @property
    def shown_url(self) -> str:
        return redacted_url(self.url)


class DeliveryJob(BaseModel):
    """One event to post to one webhook, claimed under a lease."""

    model_config = ConfigDict(frozen=True)

    workspace_id: int
    id: int
    webhook_id: int
    url: str
    secret: SecretStr
    event_key: str
    event_kind: str
    payload: str
    attempts: int


def event_filters(values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Validated subscription filters; none means every event."""
    if not values:
        return ("*",)
    families = {kind.split(".", 1)[0] + ".*" for kind in EVENT_KINDS}
    for value in values:
        if value != "*" and value not in EVENT_KINDS and value not in families:
            known = ", ".join((*EVENT_KINDS, *sorted(families), "*"))
            raise ConfigurationError("webhook events", f"unknown event {value!r}; use {known}")
    return tuple(dict.fromkeys(values))


def subscribed(filters: tuple[str, ...] | list[str], kind: str) -> bool:
    family = kind.split(".", 1)[0] + ".*"
    return any(f in ("*", kind, family) for f in filters)


def validate_url(url: str) -> str:
    """An absolute http(s) URL. Credentials belong in the signature, not in the address."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError("webhook url", "must be an absolute http:// or https:// URL")
    if parts.username or parts.password:
        raise ConfigurationError(
            "webhook url", "must not carry a user or password; receivers check the signature"
        )
    if parts.fragment:
        raise ConfigurationError("webhook url", "must not have a #fragment")
    return url.strip()


def redacted_url(url: str) -> str:
    """Scheme, host and port only: many receivers put a secret in the path or query."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    rest = "/…" if (parts.path not in ("", "/") or parts.query) else "/"
    return f"{parts.scheme}://{parts.hostname}{port}{rest}"


def signature(secret: SecretStr, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.get_secret_value().encode(), signed, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(job: DeliveryJob, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "Content-Type": "application/json",
        "User-Agent": "inbox-webhooks/1",
        "X-Inbox-Event": job.event_kind,
        "X-Inbox-Delivery": job.event_key,
        "X-Inbox-Timestamp": str(timestamp),
        "X-Inbox-Signature": signature(job.secret, timestamp, job.payload.encode()),
    }


def retry_delay(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s ... capped at one hour: ten attempts span about three hours."""
    doubled: timedelta = FIRST_RETRY * (2 ** min(max(attempts - 1, 0), 20))
    return min(doubled, LONGEST_RETRY)


def permanent_refusal(status: int) -> bool:
    return 400 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS
