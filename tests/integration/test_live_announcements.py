"""Every change of a thread reaches the open views that show it, on the real PostgreSQL: the
ones people make on the desk, and those made elsewhere (closing, a reply sent from the
outbox, the worker's reassignment, a corrected classification, a claim, a snooze ending).
Each page here is a live-updates stream as `/events` opens it, with the rows rendered as the
pages show them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from inbox.domain.audit import Actor, ActorKind
from inbox.domain.ingestion import IngestBatch
from inbox.domain.live import LivePage, PageKind, PageUpdate
from inbox.domain.mention import Author, Direction, Mention
from inbox.domain.network import Network
from inbox.domain.outbox import OutboxItem, OutboxKind
from inbox.domain.people import Role
from inbox.domain.web import InboxFilters, WebSession
from inbox.store.database import Database
from inbox.store.outbox import PgOutboxStore
from inbox.store.people import PgPeopleStore
from inbox.store.routing import PgRoutingStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.assignment import ReassignStale
from inbox.usecases.live import Subscription
from inbox.usecases.outbox import SendOutbox
from inbox.usecases.routing_config import RoutingConfigs
from inbox.usecases.services import Services
from tests.factories import mention
from tests.waiting import eventually
from web.inbox_rows import row_html

pytestmark = pytest.mark.integration

# Generous: a guard against hanging, never a measure.
DEADLINE_SECONDS = 30.0


@pytest.fixture
async def listening(services: Services) -> AsyncIterator[None]:
    async with services.live.running(render_row=row_html):
        await eventually(_listening(services))
        yield


def _listening(services: Services) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return services.live.status().listening

    return check


async def heard(subscription: Subscription, wanted: Callable[[PageUpdate], bool]) -> None:
    """The page's updates, until one is what the test waits for."""

    async def wait() -> None:
        while True:
            update = await subscription.next(quiet_seconds=DEADLINE_SECONDS)
            if update is not None and wanted(update):
                return

    await asyncio.wait_for(wait(), timeout=DEADLINE_SECONDS)


async def person(db: Database, workspace_id: int, name: str, role: Role = Role.AGENT) -> int:
    return await PgPeopleStore(db).save_agent(
        workspace_id, f"{name}@example.com", name, [role], ["care"]
    )


async def a_thread(
    services: Services, db: Database, workspace_id: int, *, answered: bool = False
) -> int:
    messages = [mention("1", conversation="c1")]
    if answered:
        messages.append(mention("2", author="brand", conversation="c1", minute=5,
                                direction=Direction.OUTBOUND))  # fmt: skip
    await services.ingest(workspace_id, IngestBatch(messages))
    async with db.connection() as conn:
        found = await conn.fetchval("SELECT id FROM thread WHERE workspace_id = $1", workspace_id)
    return int(found)


def inbox_view(agent_id: int, view: str = "all", **filters: str) -> LivePage:
    return LivePage(PageKind.INBOX, agent_id, view=view, filters=InboxFilters(**filters))


def row_of(thread_id: int) -> Callable[[PageUpdate], bool]:
    return lambda update: thread_id in update.rows


def gone(thread_id: int) -> Callable[[PageUpdate], bool]:
    return lambda update: thread_id in update.gone


@pytest.mark.parametrize("reason", ["resolved", "no_reply_needed"])
async def test_a_closed_thread_leaves_the_open_views_that_showed_it(
    services: Services, db: Database, workspace_id: int, listening: None, reason: str
) -> None:
    ana = await person(db, workspace_id, "ana")
    thread_id = await a_thread(services, db, workspace_id, answered=True)
    shown = frozenset({thread_id})
    async with services.live.subscribe(workspace_id, inbox_view(ana), shown) as page:
        await services.close_without_reply(workspace_id, thread_id, reason, f"agent:{ana}")
        await heard(page, gone(thread_id))


class PostingChannel:
    """The network's side of the outbox: accepts every post (the wire is tested elsewhere)."""

    async def for_account(self, workspace_id: int, account_id: int | None) -> PostingChannel:
        return self

    async def send(self, item: OutboxItem) -> Mention:
        return Mention(
            network=Network.X,
            external_id=f"reply-{item.id}",
            author=Author(external_id="brand"),
            text=item.body,
            created_at=datetime.now(UTC),
            direction=Direction.OUTBOUND,
            conversation_key=item.thread_key,
            in_reply_to=item.in_reply_to,
        )

    async def find_sent(self, item: OutboxItem) -> Mention | None:
        return None


async def test_a_reply_sent_from_the_outbox_brings_the_thread_to_the_waiting_view(
    services: Services, db: Database, workspace_id: int, listening: None
) -> None:
    ana = await person(db, workspace_id, "ana")
    await PgWorkspaceStore(db).add_account(workspace_id, Network.X, "brand", "acme")
    thread_id = await a_thread(services, db, workspace_id)
    outbox = PgOutboxStore(db)
    await outbox.enqueue(workspace_id, thread_id, OutboxKind.REPLY, "k1", "On it")
    sender = SendOutbox(
        outbox,
        PostingChannel(),
        services.ingest,
        clock=lambda: datetime.now(UTC) + timedelta(seconds=1),
    )
    async with services.live.subscribe(workspace_id, inbox_view(ana, "waiting")) as page:
        assert (await sender.run_once()).sent == 1
        await heard(page, row_of(thread_id))


async def test_a_thread_the_worker_reassigns_leaves_one_agents_view_for_the_nexts(
    services: Services, db: Database, workspace_id: int, listening: None
) -> None:
    ana = await person(db, workspace_id, "ana")
    ben = await person(db, workspace_id, "ben")
    thread_id = await a_thread(services, db, workspace_id)
    now = datetime.now(UTC)
    async with db.connection() as conn:
        await conn.execute(
            "UPDATE thread SET assignee_id = $2, assigned_at = $3,"
            " team_id = (SELECT id FROM team WHERE workspace_id = $1) WHERE workspace_id = $1",
            workspace_id, ana, now - timedelta(minutes=45),
        )  # fmt: skip
    reassign = ReassignStale(PgRoutingStore(db), RoutingConfigs(), clock=lambda: now)
    shown = frozenset({thread_id})
    async with (
        services.live.subscribe(workspace_id, inbox_view(ana, "mine"), shown) as anas,
        services.live.subscribe(workspace_id, inbox_view(ben, "mine")) as bens,
    ):
        assert await reassign(workspace_id) == 1
        await heard(anas, gone(thread_id))
        await heard(bens, row_of(thread_id))


async def test_a_corrected_urgency_brings_the_thread_to_a_view_filtered_on_it(
    services: Services, db: Database, workspace_id: int, listening: None
) -> None:
    ana = await person(db, workspace_id, "ana")
    thread_id = await a_thread(services, db, workspace_id)
    urgent = inbox_view(ana, priority="urgent")
    async with services.live.subscribe(workspace_id, urgent) as page:
        await services.correct_classification(
            workspace_id, thread_id, "urgency", "urgent", Actor(ActorKind.PERSON, ana, "Ana")
        )
        await heard(page, row_of(thread_id))


async def test_a_thread_claimed_from_the_queue_reaches_the_claimers_view(
    services: Services, db: Database, workspace_id: int, listening: None
) -> None:
    ana = await person(db, workspace_id, "ana")
    thread_id = await a_thread(services, db, workspace_id)
    async with db.connection() as conn:  # in the queue: nobody holds it
        await conn.execute("UPDATE thread SET assignee_id = NULL WHERE workspace_id = $1",
                           workspace_id)  # fmt: skip
    async with services.live.subscribe(workspace_id, inbox_view(ana, "mine")) as page:
        (claimed,) = await services.claim_next(workspace_id, ana, 1)
        assert claimed.thread_id == thread_id
        await heard(page, row_of(thread_id))


async def test_a_snoozed_thread_comes_back_to_its_views_when_its_time_comes(
    services: Services, db: Database, workspace_id: int, listening: None
) -> None:
    ana = await person(db, workspace_id, "ana")
    session = WebSession(workspace_id, ana, "ana", frozenset({Role.AGENT}), "csrf")
    thread_id = await a_thread(services, db, workspace_id)
    shown = frozenset({thread_id})
    async with services.live.subscribe(workspace_id, inbox_view(ana), shown) as page:
        await services.inbox_pages.snooze(session, thread_id, hours=0.0005)  # 1.8 s
        await heard(page, gone(thread_id))

        async def woken() -> bool:
            return thread_id in await services.inbox_pages.wake_snoozed(workspace_id)

        await eventually(woken, seconds=DEADLINE_SECONDS)
        await heard(page, row_of(thread_id))
    async with db.connection() as conn:
        left = await conn.fetchval(
            "SELECT snoozed_until FROM thread WHERE workspace_id = $1", workspace_id
        )
    assert left is None
