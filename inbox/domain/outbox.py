"""Messages waiting to leave: replies, direct messages and acknowledgements."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from inbox.domain.errors import InboxError
from inbox.domain.network import Network


class OutboxKind(StrEnum):
    REPLY = "reply"
    DIRECT_MESSAGE = "direct_message"
    ACKNOWLEDGEMENT = "acknowledgement"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # posted or about to be: reconciled before any retry
    SENT = "sent"
    FAILED = "failed"


class OutboxItem(BaseModel):
    """One message to send, exactly once, identified by its idempotency key."""

    model_config = ConfigDict(frozen=True)

    workspace_id: int
    id: int
    thread_id: int
    network: Network
    kind: OutboxKind
    idempotency_key: str
    body: str
    in_reply_to: str | None
    account_id: int | None
    recipient_id: str | None
    thread_key: str
    # The @handle of the message replied to, when known (a reply on X is addressed to it).
    reply_to_handle: str | None = None
    status: OutboxStatus
    attempts: int
    last_error: str | None
    sent_external_id: str | None
    created_at: datetime
    updated_at: datetime


class DeliveryError(InboxError):
    """A send that failed. Permanent: retrying cannot help (deleted post, blocked, duplicate)."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
