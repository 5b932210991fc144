"""In-memory fakes of the ports an agent's reply goes through: the threads' reply facts, the
desk's collision guard, the outbox (its queue, once per idempotency key) and the SLA settings
the team's calendar is read from; `replies_on` builds the use case on them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from inbox.domain.clock import Clock
from inbox.domain.errors import NotFoundError
from inbox.domain.network import Network
from inbox.domain.outbox import OutboxItem, OutboxKind, OutboxStatus
from inbox.domain.replies import ThreadReplyFacts
from inbox.domain.sla import MajorIncidentWindow, SlaSettings, StoredClock
from inbox.usecases.replies import Replies, ThreadCalendars
from inbox.usecases.sla import KeepClocks
from tests.fakes.audit import FakeAuditTrail

# (workspace id, thread id): a thread is only ever found in its own workspace.
ThreadKey = tuple[int, int]


# A public X thread whose customer @nico wrote last, in English, with no team: tests vary it
# with `dataclasses.replace`.
PUBLIC_X_THREAD = ThreadReplyFacts(
    network="x",
    private=False,
    language="en",
    kind="question",
    priority="normal",
    team_id=None,
    team=None,
    vip=False,
    calendar=None,
    customer_handle="nico",
    customer_id="9001",
    latest_inbound="1700000000000000001",
    customer_texts=("@acme my parcel never came",),
)


@dataclass
class FakeReplyFacts:
    """What each thread's reply is checked against."""

    threads: dict[ThreadKey, ThreadReplyFacts]

    async def reply_facts(self, workspace_id: int, thread_id: int) -> ThreadReplyFacts | None:
        return self.threads.get((workspace_id, thread_id))


@dataclass
class FakeReplyDesk:
    """Who has a thread's reply box open, since when; the store's guard, kept in a dict."""

    threads: Mapping[ThreadKey, object]
    replying: dict[ThreadKey, dict[int, datetime]] = field(default_factory=dict)

    async def mark_replying(
        self, workspace_id: int, thread_id: int, agent_id: int, at: datetime, since: datetime
    ) -> list[int]:
        key = (workspace_id, thread_id)
        if key not in self.threads:
            raise NotFoundError("thread", thread_id)
        on_thread = self.replying.setdefault(key, {})
        on_thread[agent_id] = at
        by_start = sorted(on_thread.items(), key=lambda mark: mark[1])
        return [agent for agent, started in by_start if agent != agent_id and started > since]

    async def done_replying(self, workspace_id: int, thread_id: int, agent_id: int) -> None:
        self.replying.get((workspace_id, thread_id), {}).pop(agent_id, None)

    def replying_on(self, workspace_id: int, thread_id: int) -> list[int]:
        return sorted(self.replying.get((workspace_id, thread_id), {}))


@dataclass
class FakeOutbox:
    """The queue of messages to send: one item per (workspace, idempotency key), the second
    enqueue of a key answering the first item, as the store's unique key does."""

    threads: Mapping[ThreadKey, ThreadReplyFacts]
    clock: Clock
    items: list[OutboxItem] = field(default_factory=list)

    async def enqueue(
        self,
        workspace_id: int,
        thread_id: int,
        kind: OutboxKind,
        idempotency_key: str,
        body: str,
        *,
        in_reply_to: str | None = None,
        account_id: int | None = None,
        recipient_id: str | None = None,
        agent_id: int | None = None,
    ) -> OutboxItem:
        for item in self.items:
            if (item.workspace_id, item.idempotency_key) == (workspace_id, idempotency_key):
                return item
        facts = self.threads.get((workspace_id, thread_id))
        if facts is None:
            raise NotFoundError("thread", thread_id)
        now = self.clock()
        item = OutboxItem(
            workspace_id=workspace_id,
            id=len(self.items) + 1,
            thread_id=thread_id,
            network=Network(facts.network),
            kind=kind,
            idempotency_key=idempotency_key,
            body=body,
            in_reply_to=in_reply_to or facts.latest_inbound,
            account_id=account_id,
            recipient_id=recipient_id,
            thread_key=f"{facts.network}:{thread_id}",
            status=OutboxStatus.PENDING,
            attempts=0,
            last_error=None,
            sent_external_id=None,
            created_at=now,
            updated_at=now,
        )
        self.items.append(item)
        return item

    def queued(self) -> list[tuple[OutboxKind, str, str]]:
        """(kind, idempotency key, text) of every item, in the order queued."""
        return [(i.kind, i.idempotency_key, i.body) for i in self.items]


@dataclass
class FakeSlaQuery:
    """The SLA settings of every workspace (None: the defaults); no clock, no incident."""

    settings: SlaSettings | None = None

    async def sla_settings(self, workspace_id: int) -> SlaSettings | None:
        return self.settings

    async def thread_clocks(self, workspace_id: int, thread_id: int) -> list[StoredClock]:
        return []

    async def major_incident_windows(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[MajorIncidentWindow]:
        return []


@dataclass
class ReplyFakes:
    """The fakes one `Replies` runs on, for the tests to read what it did."""

    facts: FakeReplyFacts
    desk: FakeReplyDesk
    outbox: FakeOutbox
    audit: FakeAuditTrail = field(default_factory=FakeAuditTrail)


def replies_on(
    threads: dict[ThreadKey, ThreadReplyFacts], clock: Callable[[], datetime]
) -> tuple[Replies, ReplyFakes]:
    """The replies' use case on fakes that know `threads`, at the time `clock` says."""
    fakes = ReplyFakes(FakeReplyFacts(threads), FakeReplyDesk(threads), FakeOutbox(threads, clock))
    calendars = ThreadCalendars(FakeSlaQuery(), KeepClocks(clock=clock))
    replies = Replies(fakes.desk, fakes.outbox, fakes.facts, calendars, fakes.audit, clock)
    return replies, fakes
