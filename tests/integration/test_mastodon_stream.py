"""The user stream on the fake Mastodon instance: live mentions, a cut mid-event, a resume."""

from __future__ import annotations

import asyncio

import pytest

from connectors.mastodon.stream import MastodonStream
from inbox.store.database import Database
from inbox.store.ingest import PgIngestStore
from inbox.usecases.ingest import IngestMentions
from tests.integration.test_mastodon_connector import BRAND, Connected, build_world, connected
from tests.waiting import eventually

pytestmark = pytest.mark.integration

MENTIONS = "SELECT count(*) FROM mention WHERE workspace_id = $1"
QUARANTINED = "SELECT count(*) FROM quarantine WHERE workspace_id = $1"


def stream_for(m: Connected, db: Database, catch_ups: list[int]) -> MastodonStream:
    async def catch_up() -> None:
        catch_ups.append(1)
        await m.poller.poll_mentions()

    return MastodonStream(
        m.account,
        m.api,
        IngestMentions(PgIngestStore(db)),
        on_reconnect=catch_up,
        flush_seconds=0.1,
        read_timeout=2,
        sleep=m.sleeps,
    )


async def test_mentions_arrive_live_and_a_cut_stream_resumes_without_loss(
    db: Database, workspace_id: int
) -> None:
    world = build_world(keepalive_seconds=0.2)
    fake, customers = world.fake, world.customers
    async with connected(db, workspace_id, world) as m:
        fake.post(customers[0], f"@{BRAND} before we listened")
        await m.poller.poll_mentions()  # the REST cursor starts here
        catch_ups: list[int] = []
        stream = stream_for(m, db, catch_ups)
        stop = asyncio.Event()
        running = asyncio.create_task(stream.run(stop))

        async def stored(count: int) -> bool:
            return int(await db.fetchval(MENTIONS, workspace_id)) == count

        async def listening() -> bool:
            return fake.open_streams() == 1

        try:
            await eventually(listening, "the stream to connect")
            for number in range(3):
                fake.post(customers[number], f"@{BRAND} live {number}")
                fake.post(customers[number], "a post that mentions nobody")
            await eventually(lambda: stored(4), "three live mentions")
            fake.break_streams(mid_event=True)
            # Posted while the stream is down: only the REST catch-up can bring them.
            for number in range(4):
                fake.post(customers[number % 3], f"@{BRAND} during the cut {number}")
            await eventually(lambda: stored(8), "every mention after the cut")
            await eventually(listening, "the stream to reconnect")
            fake.post(customers[1], f"@{BRAND} after the resume")
            await eventually(lambda: stored(9), "a live mention after the resume")
        finally:
            stop.set()
            await running
    assert stream.connections >= 2
    assert catch_ups  # the reconnection ran the REST catch-up
    # The half-written event of the cut is kept, with the reason.
    error = await db.fetchval("SELECT error FROM quarantine WHERE workspace_id = $1", workspace_id)
    assert "broke in the middle of an event" in error
    assert await db.fetchval(QUARANTINED, workspace_id) == 1


async def test_a_stream_without_heartbeats_is_taken_for_dead_and_reopened(
    db: Database, workspace_id: int
) -> None:
    world = build_world(keepalive_seconds=30)  # silence longer than the read timeout
    async with connected(db, workspace_id, world) as m:
        stream = stream_for(m, db, [])
        stop = asyncio.Event()
        running = asyncio.create_task(stream.run(stop))

        async def reopened() -> bool:
            return stream.connections >= 2

        try:
            await eventually(reopened, "a second connection after the silence", seconds=30)
        finally:
            stop.set()
            await running
    assert stream.breaks >= 1
