"""Incidents end to end: the fake X API, the real X connector and ingestion, the detector's
timer driven by hand over an injected clock, real PostgreSQL, replies through the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from connectors.x.api import XApi
from connectors.x.fake import FakeX
from connectors.x.outbound import XOutboundChannel
from connectors.x.poller import XPoller
from inbox.bootstrap import build_services
from inbox.domain.incidents import BulkMessage, Incident, IncidentSource, IncidentStatus
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.store.connector_state import PgConnectorState
from inbox.store.database import Database
from inbox.store.incidents import PgIncidentStore
from inbox.store.outbound_channels import ChannelDirectory
from inbox.store.outbox import PgOutboxStore
from inbox.usecases.incident_detector import IncidentTimer
from inbox.usecases.incidents import Incidents
from inbox.usecases.outbox import SendOutbox
from inbox.usecases.services import Services
from tests.x_world import (
    BRAND,
    BRAND_ID,
    CREDENTIALS,
    served_account,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday morning
BASELINE_TEXTS = (
    "@acme no signal again this morning, the network is down",
    "@acme my bill is wrong again, overcharged twice",
    "@acme the 4G keeps dropping, nothing works",
)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    fake: FakeX
    poller: XPoller
    services: Services
    timer: IncidentTimer
    incidents: Incidents
    clock: Clock
    sender: SendOutbox
    workspace_id: int


def ops_session(workspace_id: int, agent_id: int = 1) -> WebSession:
    return WebSession(workspace_id, agent_id, "Omar", frozenset({Role.OPS}), "csrf")


def complaint(number: int, at: datetime, text: str, author: str | None = None) -> Mention:
    who = author or f"regular{number % 40}"
    return Mention(
        network=Network.X,
        external_id=f"history-{number}",
        author=Author(external_id=who, handle=who, display_name=who),
        text=text,
        created_at=at,
        raw={"id": f"history-{number}"},
    )


async def ingest_history(
    services: Services, workspace_id: int, mentions: list[Mention], batch: int = 500
) -> None:
    for start in range(0, len(mentions), batch):
        await services.ingest(workspace_id, IngestBatch(mentions[start : start + batch]))


def steady_history(days: int, every: timedelta) -> list[Mention]:
    """Complaints at a steady pace for `days` before NOW, the same few words."""
    mentions = []
    at, number = NOW - timedelta(days=days), 0
    while at < NOW - every:
        mentions.append(complaint(number, at, BASELINE_TEXTS[number % len(BASELINE_TEXTS)]))
        at += every
        number += 1
    return mentions


@asynccontextmanager
async def x_world(db: Database, workspace_id: int, clock: Clock) -> AsyncIterator[World]:
    fake = FakeX(clock=lambda: clock.now.timestamp(), keepalive_seconds=0.2)
    fake.add_user(BRAND_ID, BRAND, "Acme Telecom")
    services = build_services(db)
    async with served_account(db, workspace_id, fake) as (_, session, account):
        api = XApi(CREDENTIALS, session, clock=clock)
        poller = XPoller(account, api, services.ingest, PgConnectorState(db))
        timer = IncidentTimer(
            PgIncidentStore(db),
            services.incidents.watcher,
            clock=clock,
            relearn=timedelta(days=4),
        )
        channels = {(workspace_id, account.account_id): XOutboundChannel(account, api, clock)}
        sender = SendOutbox(
            PgOutboxStore(db), ChannelDirectory(dict(channels)), services.ingest, clock=clock
        )
        incidents = Incidents(PgIncidentStore(db), services.incidents.watcher, clock=clock)
        yield World(fake, poller, services, timer, incidents, clock, sender, workspace_id)


def brand_posts(fake: FakeX) -> list[str]:
    return [t.text for t in fake.recent_tweets(NOW - timedelta(days=1)) if t.author_id == BRAND_ID]


async def send_everything(world: World) -> None:
    while (await world.sender.run_once()).sent:
        pass


async def test_a_burst_opens_one_incident_links_its_threads_and_each_author_is_acknowledged_once(
    db: Database, workspace_id: int
) -> None:
    clock = Clock(NOW)
    async with x_world(db, workspace_id, clock) as world:
        await ingest_history(world.services, workspace_id, steady_history(2, timedelta(minutes=20)))
        await world.timer.start()  # relearns the baseline from the database
        authors = [
            world.fake.add_user(str(3000 + n), f"lyon_customer{n}", f"Lyon {n}") for n in range(6)
        ]
        clock.now = NOW + timedelta(seconds=20)
        world.fake.burst(
            12,
            BRAND_ID,
            author_ids=authors,
            text="@{brand} no signal at all in Lyon, is the network down? ({n})",
        )
        assert (await world.poller.poll_mentions()).added == 12
        opened = []
        for minute in (1, 2):
            clock.now = NOW + timedelta(minutes=minute)
            opened += await world.timer.tick()

        assert len(opened) == 1, "one burst, one incident"
        incident = opened[0]
        assert incident.source is IncidentSource.DETECTOR
        assert incident.opened_at - NOW <= timedelta(minutes=2)
        assert incident.started_at == NOW
        assert "network" in incident.topics
        assert "outage" in incident.keyword_groups
        assert "Lyon" in incident.places
        assert "expected" in incident.explanation
        assert "observed 12" in incident.explanation
        detail = await world.incidents.detail(ops_session(workspace_id), incident.id)
        assert len(detail.threads) == 12
        assert any(p.observed == 12 for p in detail.points)

        # Another complaint while it lasts is linked as it is ingested.
        clock.now = NOW + timedelta(minutes=2, seconds=30)
        world.fake.post(authors[0], f"@{BRAND} still no network in Lyon, nothing works")
        assert (await world.poller.poll_mentions()).added == 1
        detail = await world.incidents.detail(ops_session(workspace_id), incident.id)
        assert len(detail.threads) == 13

        ops = ops_session(workspace_id)
        assert await world.incidents.send_bulk(ops, incident.id, BulkMessage.ACK) == 6
        assert await world.incidents.send_bulk(ops, incident.id, BulkMessage.ACK) == 0
        await send_everything(world)
        await send_everything(world)
        acknowledgements = brand_posts(world.fake)
        assert len(acknowledgements) == 6, "exactly one reply per author"
        assert {text.split()[0] for text in acknowledgements} == {
            f"@lyon_customer{n}" for n in range(6)
        }

        # Volume back to baseline for the quiet period: it closes on its own, once.
        closed = []
        for minute in range(3, 60):
            clock.now = NOW + timedelta(minutes=minute)
            closed += await world.timer.tick()
        assert [c.id for c in closed] == [incident.id]
        assert closed[0].status is IncidentStatus.CLOSED
        assert await world.incidents.send_bulk(ops, incident.id, BulkMessage.FOLLOWUP) == 6
        await send_everything(world)
        assert len(brand_posts(world.fake)) == 12
        recent = await world.incidents.recent(ops)
        assert [i.id for i in recent] == [incident.id]


def weekday_history(days: int, *, peaks: bool = True) -> list[Mention]:
    """`days` days before today: a quiet pace (a complaint every 20 minutes) and, from 9:00 to
    10:00, the morning peak (a complaint a minute); then today until 8:30."""
    mentions: list[Mention] = []
    today = NOW.replace(hour=0)
    for minute in range(-days * 24 * 60, 8 * 60 + 30):
        in_peak = peaks and 9 * 60 <= minute % (24 * 60) < 10 * 60
        if in_peak or minute % 20 == 0:
            text = BASELINE_TEXTS[len(mentions) % len(BASELINE_TEXTS)]
            mentions.append(complaint(len(mentions), today + timedelta(minutes=minute), text))
    return mentions


async def peak_morning(db: Database, workspace_id: int, history: list[Mention]) -> list[Incident]:
    """Today's 9:00 peak, ticked minute by minute after relearning `history`."""
    today = NOW.replace(hour=0)
    clock = Clock(today + timedelta(hours=8, minutes=30))
    services = build_services(db)
    await ingest_history(services, workspace_id, history)
    timer = IncidentTimer(
        PgIncidentStore(db), services.incidents.watcher, clock=clock, relearn=timedelta(days=7)
    )
    await timer.start()
    opened = []
    for minute in range(8 * 60 + 30, 11 * 60):
        at = today + timedelta(minutes=minute)
        if 9 * 60 <= minute < 10 * 60 or minute % 20 == 0:
            text = BASELINE_TEXTS[minute % len(BASELINE_TEXTS)]
            batch = IngestBatch([complaint(1_000_000 + minute, at, text)])
            await services.ingest(workspace_id, batch)
        clock.now = at + timedelta(minutes=1)
        opened += await timer.tick()
    return opened


async def test_the_usual_weekday_peak_learned_over_previous_days_opens_nothing(
    db: Database, workspace_id: int
) -> None:
    assert await peak_morning(db, workspace_id, weekday_history(5)) == []
    assert await PgIncidentStore(db).count_open(workspace_id) == 0


async def test_the_same_peak_on_a_series_that_never_had_one_opens_an_incident(
    db: Database, workspace_id: int
) -> None:
    opened = await peak_morning(db, workspace_id, weekday_history(5, peaks=False))
    assert opened, "the control: the peak alone is enough to alarm a series that never had it"
    assert opened[0].started_at < NOW.replace(hour=9, minute=10)


async def test_complaints_naming_a_place_are_counted_in_its_region_series(
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    at = NOW - timedelta(minutes=3)
    await services.ingest(
        workspace_id,
        IngestBatch(
            [
                complaint(1, at, "@acme no network at all in Lyon, panne totale"),
                complaint(2, at, "@acme plus de réseau à Lyon depuis midi, c'est une panne"),
                complaint(3, at, "@acme internet down near Grenoble since this morning"),
            ]
        ),
    )
    counts = await PgIncidentStore(db).complaint_counts(NOW - timedelta(hours=1), NOW)
    regions = {(c.key.value, c.count) for c in counts if c.key.kind == "region"}
    assert regions == {("Lyon", 2), ("Grenoble", 1)}
    assert {(c.key.kind, c.count) for c in counts if c.key.kind == "all"} == {("all", 3)}


async def test_an_incident_links_only_the_threads_of_the_series_that_burst(
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    await ingest_history(services, workspace_id, steady_history(2, timedelta(minutes=20)))
    clock = Clock(NOW)
    timer = IncidentTimer(
        PgIncidentStore(db), services.incidents.watcher, clock=clock, relearn=timedelta(days=4)
    )
    await timer.start()
    outage = [
        complaint(10_100 + n, NOW + timedelta(seconds=5 * n), text, author=f"lyon{n}")
        for n, text in enumerate(
            [
                "@acme no signal at all in Lyon, is the network down?",
                "@acme panne réseau à Lyon depuis ce matin",
                "@acme network down again, nothing works",
                "@acme Lyon 7e: plus rien ne marche, c'est nul",
            ]
            * 3
        )
    ]
    unrelated = [
        complaint(10_200, NOW + timedelta(seconds=7), "@acme my bill is wrong again, overcharged"),
        complaint(
            10_201, NOW + timedelta(seconds=9), "@acme the app keeps logging me out, annoying"
        ),
        complaint(
            10_202, NOW + timedelta(seconds=11), "@acme internet so slow in Paris, ridiculous"
        ),
        complaint(10_203, NOW + timedelta(seconds=13), "@acme still no refund after three weeks!"),
    ]
    await services.ingest(workspace_id, IngestBatch([*outage, *unrelated]))
    opened = []
    for minute in (1, 2, 3, 6):
        clock.now = NOW + timedelta(minutes=minute)
        opened += await timer.tick()
    late = complaint(10_300, clock.now, "@acme still no network in Lyon, and my bill is wrong")
    other = complaint(10_301, clock.now, "@acme my bill is wrong again, charged twice this month")
    await services.ingest(workspace_id, IngestBatch([late, other]))

    (incident,) = opened
    detail = await Incidents(PgIncidentStore(db), services.incidents.watcher, clock=clock).detail(
        ops_session(workspace_id), incident.id
    )
    fresh = await PgIncidentStore(db).detail(workspace_id, incident.id)
    assert fresh is not None
    assert "Lyon" in fresh.incident.places
    assert "outage" in fresh.incident.keyword_groups
    linked = {t.thread_id for t in detail.threads}
    async with db.connection() as conn:
        threads = {
            row["external_id"]: row["thread_id"]
            for row in await conn.fetch(
                "SELECT external_id, thread_id FROM mention WHERE workspace_id = $1", workspace_id
            )
        }
    belongs = {threads[m.external_id] for m in [*outage, late]}
    assert linked == belongs
    assert not linked & {threads[m.external_id] for m in [*unrelated, other]}
    assert "lyon" in fresh.incident.keywords
    assert not {"bill", "app", "refund", "paris"} & set(fresh.incident.keywords)
