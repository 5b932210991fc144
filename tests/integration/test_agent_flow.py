"""The agent's flow against the real database: threads waiting in a team's queue go out as
soon as someone has room (a thread resolved, closed or handed over, an agent back from away,
a shift starting), never to someone busy, away or off shift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.domain.people import Role
from inbox.domain.presence import AgentStatus
from inbox.domain.web import WebSession
from inbox.store.audit import PgAuditTrail
from inbox.store.database import Database
from inbox.store.inbox_pages import PgInboxPages
from inbox.store.routing import PgRoutingStore
from inbox.store.sla_settings import PgSlaQuery
from inbox.usecases.assignment import AssignWaiting
from inbox.usecases.routing import FollowShifts
from inbox.usecases.routing_config import RoutingConfigs
from inbox.usecases.services import Services
from inbox.usecases.sla import KeepClocks
from inbox.usecases.web_pages import COUNTS_FRESH_FOR, InboxPages
from tests.factories import mention
from tests.integration.people import agent_of_team

pytestmark = pytest.mark.integration

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE: dict[str, Any] = {
    "tz": "Europe/Paris",
    "weekly": {d: [["09:00", "18:00"]] for d in WEEKDAYS},
}
OFFICE_POLICIES: dict[str, object] = {
    "policies": {"office": {"name": "office", "calendar": "office"}},
    "default": "office",
}
TUESDAY_08_PARIS = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
TUESDAY_09_PARIS = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


async def agent(
    db: Database, workspace_id: int, name: str, *, capacity: int = 8, team: str = "care"
) -> int:
    return await agent_of_team(db, workspace_id, name, name.title(), capacity=capacity, team=team)


async def new_threads(services: Services, workspace_id: int, *names: str) -> list[int]:
    """A thread per name, each a minute after the one before (the first the oldest)."""
    batch = IngestBatch(
        [
            mention(n, author=n, conversation=n, minute=i, text=f"hello {n}")
            for i, n in enumerate(names)
        ]
    )
    await services.ingest(workspace_id, batch)
    rows = await services.list_threads(workspace_id)
    by_key = {row.thread_key: row.id for row in rows}
    return [by_key[n] for n in names]


async def holders(db: Database, workspace_id: int) -> dict[int, int | None]:
    async with db.connection() as conn:
        rows = await conn.fetch(
            "SELECT id, assignee_id FROM thread WHERE workspace_id = $1", workspace_id
        )
    return {row["id"]: row["assignee_id"] for row in rows}


async def answered(db: Database, workspace_id: int, thread_id: int) -> None:
    """As if the brand had replied (what a resolve needs)."""
    async with db.connection() as conn:
        await conn.execute(
            "UPDATE thread SET last_answered_at = now() WHERE workspace_id = $1 AND id = $2",
            workspace_id, thread_id,
        )  # fmt: skip


def session_of(workspace_id: int, agent_id: int, *roles: Role) -> WebSession:
    return WebSession(workspace_id, agent_id, "someone", frozenset(roles or (Role.AGENT,)), "t")


async def test_an_agent_resolving_a_thread_at_capacity_gets_the_oldest_waiting_thread_of_their_team_at_once(  # noqa: E501
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    ana = await agent(db, workspace_id, "ana", capacity=1)
    [first] = await new_threads(services, workspace_id, "first")
    older, newer = await new_threads(services, workspace_id, "older", "newer")
    assert await holders(db, workspace_id) == {first: ana, older: None, newer: None}

    await answered(db, workspace_id, first)
    await services.close_without_reply(workspace_id, first, "resolved", f"agent:{ana}")

    assert (await holders(db, workspace_id))[older] == ana
    assert (await holders(db, workspace_id))[newer] is None
    async with db.connection() as conn:
        given = await conn.fetchrow(
            "SELECT source, reasons FROM assignment WHERE workspace_id = $1 AND thread_id = $2"
            " ORDER BY id DESC LIMIT 1",
            workspace_id, older,
        )  # fmt: skip
    assert given is not None
    assert given["source"] == "queue"
    assert "waiting in the queue of team care" in given["reasons"]


async def test_closing_or_handing_over_a_thread_frees_the_seat_too(
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    ana = await agent(db, workspace_id, "ana", capacity=1)
    ben = await agent(db, workspace_id, "ben", capacity=1, team="billing")
    [first] = await new_threads(services, workspace_id, "first")
    waiting, later = await new_threads(services, workspace_id, "waiting", "later")
    assert await holders(db, workspace_id) == {first: ana, waiting: None, later: None}

    await services.close_without_reply(workspace_id, first, "no_reply_needed", f"agent:{ana}")
    assert (await holders(db, workspace_id))[waiting] == ana

    # Ana gives the thread to Ben (another team): her seat goes to the next one waiting.
    await services.inbox_pages.assign(session_of(workspace_id, ana), waiting, ben, None)
    assert await holders(db, workspace_id) == {first: ana, waiting: ben, later: ana}


async def test_an_agent_coming_back_from_away_gets_waiting_threads(
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    ana = await agent(db, workspace_id, "ana", capacity=2)
    presence = await services.set_status(workspace_id, ana, AgentStatus.AWAY)
    assert presence.label == "Away"
    one, two, three = await new_threads(services, workspace_id, "one", "two", "three")
    assert set((await holders(db, workspace_id)).values()) == {None}  # nobody to take them

    presence = await services.set_status(workspace_id, ana, AgentStatus.AVAILABLE)

    assert presence.label == "Available"
    assert await holders(db, workspace_id) == {one: ana, two: ana, three: None}  # capacity 2


async def test_busy_gets_nothing_new_but_keeps_their_threads(
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    ana = await agent(db, workspace_id, "ana", capacity=1)
    [mine] = await new_threads(services, workspace_id, "mine")
    assert (await services.set_status(workspace_id, ana, AgentStatus.BUSY)).label == "Busy"

    [new] = await new_threads(services, workspace_id, "new")
    await answered(db, workspace_id, mine)
    await services.close_without_reply(workspace_id, mine, "resolved", f"agent:{ana}")

    assert (await holders(db, workspace_id))[new] is None  # a seat came free: still busy
    async with db.connection() as conn:
        reasons = await conn.fetchval(
            "SELECT reasons FROM assignment WHERE workspace_id = $1 AND thread_id = $2",
            workspace_id, new,
        )  # fmt: skip
    assert "busy" in reasons  # the queue says why
    # Busy is not away: claiming is still theirs to choose.
    assert [c.thread_id for c in await services.claim_next(workspace_id, ana)] == [new]


async def test_a_team_is_on_shift_while_its_calendar_is_open_and_its_queue_moves_when_it_opens(
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    ana = await agent(db, workspace_id, "ana")
    await services.sla_settings(workspace_id, {"office": OFFICE}, OFFICE_POLICIES)

    def shifts_at(instant: datetime) -> FollowShifts:
        store = PgRoutingStore(db)
        waiting = AssignWaiting(store, RoutingConfigs(), clock=lambda: instant)
        return FollowShifts(store, PgSlaQuery(db), KeepClocks(), waiting, clock=lambda: instant)

    assert await shifts_at(TUESDAY_08_PARIS)(workspace_id) == 0  # before the office opens
    [early] = await new_threads(services, workspace_id, "early")
    assert (await holders(db, workspace_id))[early] is None
    async with db.connection() as conn:
        reasons = await conn.fetchval(
            "SELECT reasons FROM assignment WHERE workspace_id = $1 AND thread_id = $2",
            workspace_id, early,
        )  # fmt: skip
    assert "off shift" in reasons

    assert await shifts_at(TUESDAY_09_PARIS)(workspace_id) == 1  # the shift starts
    assert (await holders(db, workspace_id))[early] == ana


async def test_the_shift_pass_also_gives_out_what_a_stopped_process_left_waiting(
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    [waiting] = await new_threads(services, workspace_id, "waiting")
    ana = await agent(db, workspace_id, "ana")  # joins after the thread was routed
    async with db.connection() as conn:
        team = await conn.fetchval("SELECT id FROM team WHERE workspace_id = $1", workspace_id)
        await conn.execute(
            "UPDATE thread SET team_id = $2 WHERE workspace_id = $1", workspace_id, team
        )
    now = datetime.now(UTC)
    store = PgRoutingStore(db)
    waiting_pass = AssignWaiting(store, RoutingConfigs(), clock=lambda: now)
    shifts = FollowShifts(store, PgSlaQuery(db), KeepClocks(), waiting_pass, clock=lambda: now)

    assert await shifts(workspace_id) == 1
    assert (await holders(db, workspace_id))[waiting] == ana
    assert await shifts(workspace_id) == 0


async def test_a_snoozed_thread_waits_until_it_wakes(db: Database, workspace_id: int) -> None:
    services = build_services(db)
    ana = await agent(db, workspace_id, "ana", capacity=1)
    [first] = await new_threads(services, workspace_id, "first")
    [snoozed] = await new_threads(services, workspace_id, "snoozed")
    async with db.connection() as conn:
        await conn.execute(
            "UPDATE thread SET snoozed_until = $3 WHERE workspace_id = $1 AND id = $2",
            workspace_id, snoozed, datetime.now(UTC) + timedelta(hours=1),
        )  # fmt: skip
    await services.close_without_reply(workspace_id, first, "no_reply_needed", f"agent:{ana}")
    assert (await holders(db, workspace_id))[snoozed] is None


async def test_the_rails_counts_are_counted_at_most_every_few_seconds_for_a_person(
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    ana = await agent(db, workspace_id, "ana")
    instant = [TUESDAY_09_PARIS]
    pages = InboxPages(PgInboxPages(db), audit=PgAuditTrail(db), clock=lambda: instant[0])
    session = session_of(workspace_id, ana)
    assert pages.kept_counts(session) is None  # a page does not wait: its script asks
    first = await pages.counts(session)

    await new_threads(services, workspace_id, "one")
    assert await pages.counts(session) == first  # read a moment ago
    assert pages.kept_counts(session) == first

    instant[0] += COUNTS_FRESH_FOR
    assert pages.kept_counts(session) is None
    fresh = await pages.counts(session)
    assert fresh["all"] == first["all"] + 1
    assert fresh["mine"] == first["mine"] + 1
