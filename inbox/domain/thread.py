"""A conversation with a customer, the unit that is queued, assigned and measured."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from inbox.domain.network import Network


class ThreadStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer
    RESOLVED = "resolved"


# A thread someone still has to deal with: every status but resolved.
OPEN_STATUSES = frozenset({ThreadStatus.NEW, ThreadStatus.OPEN, ThreadStatus.PENDING})
# Open and owed an answer by the brand (a pending thread waits on the customer): what is
# queued, claimed, routed and reassigned.
AWAITING_ANSWER = frozenset({ThreadStatus.NEW, ThreadStatus.OPEN})


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class ThreadKind(StrEnum):
    UNCLASSIFIED = "unclassified"
    COMPLAINT = "complaint"
    QUESTION = "question"
    PRAISE = "praise"
    OTHER = "other"


class Thread(BaseModel):
    model_config = ConfigDict(frozen=True)

    workspace_id: int
    id: int
    network: Network
    thread_key: str
    status: ThreadStatus
    priority: Priority
    kind: ThreadKind
    customer_id: int | None
    team_id: int | None
    assignee_id: int | None
    opened_at: datetime
    last_inbound_at: datetime | None
    last_outbound_at: datetime | None
    message_count: int
    resolved_at: datetime | None
    excerpt: str
    created_at: datetime
    updated_at: datetime


class Note(BaseModel):
    """An internal note on a thread: never visible to the customer, never stops a clock."""

    model_config = ConfigDict(frozen=True)

    workspace_id: int
    id: int
    thread_id: int
    author_agent_id: int
    body: str
    created_at: datetime
