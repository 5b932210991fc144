"""Which response clocks a thread has, derived from its messages alone.

A first-response clock starts at the customer's first message; once answered, the next
customer message (the oldest one not yet answered: later ones do not move it) starts a
next-response clock, and so on. A clock stops at the first qualifying response at or after
its start. Deriving the clocks from the whole message history, rather than from the order in
which messages happened to arrive, makes them the same whatever order and batches the
network delivered them in (backfills included).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sla.policy import ClockKind


@dataclass(frozen=True, slots=True)
class TimelineMessage:
    at: datetime
    inbound: bool
    # Outbound only: a human answer visible to the customer (not an automatic
    # acknowledgement, not a note). Replies by other users are inbound-side and never qualify.
    qualifying: bool = True
    closes: bool = False


class Message(Protocol):
    @property
    def at(self) -> datetime: ...

    @property
    def inbound(self) -> bool: ...

    @property
    def qualifying(self) -> bool: ...

    @property
    def closes(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class ClockSpan:
    kind: ClockKind
    started_at: datetime
    stopped_at: datetime | None
    # Closed without an answer ("no reply needed", deleted, hidden): out of the figures.
    excluded: bool = False


def response_spans(messages: Iterable[Message]) -> list[ClockSpan]:
    listed = list(messages)
    if len(listed) == 1:  # most threads of a batch: one customer message, nothing else
        only = listed[0]
        if only.inbound:
            return [ClockSpan(ClockKind.FIRST_RESPONSE, only.at, None)]
        return []
    spans: list[ClockSpan] = []
    waiting_since: datetime | None = None
    # Inbound before outbound at the same instant: an answer posted in the same second as
    # the question still answers it.
    for message in sorted(listed, key=lambda m: (m.at, not m.inbound)):
        if message.closes:
            if waiting_since is not None:
                spans.append(ClockSpan(_kind(spans), waiting_since, message.at, excluded=True))
                waiting_since = None
        elif message.inbound:
            if waiting_since is None:
                waiting_since = message.at
        elif message.qualifying and waiting_since is not None:
            spans.append(ClockSpan(_kind(spans), waiting_since, message.at))
            waiting_since = None
    if waiting_since is not None:
        spans.append(ClockSpan(_kind(spans), waiting_since, None))
    return spans


def _kind(earlier: list[ClockSpan]) -> ClockKind:
    return ClockKind.NEXT_RESPONSE if earlier else ClockKind.FIRST_RESPONSE


@dataclass(frozen=True, slots=True)
class ResolutionSpan:
    """From the customer's first message to the thread's closing, paused while the thread
    waits on the customer (from an answer to their next message)."""

    started_at: datetime
    stopped_at: datetime | None
    pauses: tuple[tuple[datetime, datetime | None], ...] = ()
    # Closed with no answer at all (dismissed, deleted): out of the figures.
    excluded: bool = False


def resolution_spans(messages: Iterable[Message]) -> list[ResolutionSpan]:
    spans: list[ResolutionSpan] = []
    opened: datetime | None = None
    answered = False
    pauses: list[tuple[datetime, datetime | None]] = []
    for message in sorted(messages, key=lambda m: (m.at, not m.inbound)):
        if message.closes:
            if opened is not None:
                if pauses and pauses[-1][1] is None:
                    pauses[-1] = (pauses[-1][0], message.at)
                spans.append(
                    ResolutionSpan(opened, message.at, tuple(pauses), excluded=not answered)
                )
                opened, answered, pauses = None, False, []
        elif message.inbound:
            if opened is None:
                opened = message.at
            elif pauses and pauses[-1][1] is None:
                pauses[-1] = (pauses[-1][0], message.at)  # the customer wrote back
        elif message.qualifying and opened is not None:
            answered = True
            if not pauses or pauses[-1][1] is not None:
                pauses.append((message.at, None))  # now waiting on the customer
    if opened is not None:
        spans.append(ResolutionSpan(opened, None, tuple(pauses)))
    return spans
