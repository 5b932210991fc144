"""Events of a thread, as they leave the inbox for other tools through webhooks.

An event is written in the transaction of the change it tells of (the message stored, the
reply posted, the assignment, the resolution), numbered within its thread, and delivered to
each subscribed webhook in that order: a receiver never learns that a thread was resolved
before it learns that it was created. Events carry ids, the network and instants, never a
secret; a message's text only goes to webhooks that asked for it (`include_text`).

Other sequences plug in the same way: a customer's events (`inbox.domain.customer_events`)
are ordered under `customer:<id>` (`sequence_key`), delivered by the same worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ThreadEventKind(StrEnum):
    MESSAGE_RECEIVED = "message.received"
    MESSAGE_SENT = "message.sent"
    THREAD_CREATED = "thread.created"
    THREAD_ASSIGNED = "thread.assigned"
    THREAD_RESOLVED = "thread.resolved"
    THREAD_REOPENED = "thread.reopened"


THREAD_EVENT_KINDS = tuple(kind.value for kind in ThreadEventKind)
# The only events whose payload can carry a text, for the webhooks that subscribed to it.
MESSAGE_EVENT_KINDS = (ThreadEventKind.MESSAGE_RECEIVED.value, ThreadEventKind.MESSAGE_SENT.value)


def thread_sequence(thread_id: int) -> str:
    """The key under which a thread's deliveries are kept in order, webhook by webhook."""
    return f"thread:{thread_id}"


def event_key(kind: str, workspace_id: int, thread_id: int, seq: int) -> str:
    """The event's stable id (`X-Inbox-Delivery`): receivers deduplicate on it."""
    return f"{kind}:{workspace_id}:{thread_id}.{seq}"


@dataclass(frozen=True, slots=True)
class NewThreadEvent:
    """An event to write, numbered by the store in the order given, thread by thread."""

    thread_id: int
    kind: ThreadEventKind
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    # The message a message event is about: its text is read at dispatch, for the webhooks
    # that take it.
    message: tuple[str, str] | None = None
