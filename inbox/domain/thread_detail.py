"""A thread as the API hands it to another tool: its facts, its messages (a page at a time),
its internal notes and the history of who held it. No raw payload, no secret."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from inbox.domain.errors import ConfigurationError

MESSAGES_PAGE = 50
LARGEST_MESSAGES_PAGE = 200


class DetailMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int  # its place in the thread: the cursor of the next page
    network: str
    external_id: str
    direction: str
    author_handle: str | None
    author_name: str | None
    text: str
    created_at: datetime
    url: str | None
    in_reply_to: str | None


class DetailNote(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    author_agent_id: int
    author: str | None
    text: str
    created_at: datetime


class DetailAssignment(BaseModel):
    model_config = ConfigDict(frozen=True)

    agent_id: int | None
    team_id: int | None
    community: bool
    source: str
    reasons: list[str]
    at: datetime


class ThreadDetail(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    network: str
    status: str
    priority: str
    kind: str
    language: str | None
    customer_id: int | None
    team_id: int | None
    assignee_id: int | None
    opened_at: datetime
    resolved_at: datetime | None
    sla_due_at: datetime | None
    message_count: int
    messages: list[DetailMessage]
    # The `after` of the next page of messages; None on the last page.
    next_messages_after: int | None
    notes: list[DetailNote]
    assignments: list[DetailAssignment]


def messages_page(limit: int | None) -> int:
    if limit is None:
        return MESSAGES_PAGE
    if not 1 <= limit <= LARGEST_MESSAGES_PAGE:
        raise ConfigurationError("limit", f"between 1 and {LARGEST_MESSAGES_PAGE}")
    return limit
