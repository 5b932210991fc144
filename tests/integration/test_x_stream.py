"""The filtered stream on the fake X API: rules in sync, live mentions, a cut and a resume."""

from __future__ import annotations

import asyncio

import pytest

from connectors.x.fake import fake_x_session
from connectors.x.session import stream_timeout
from connectors.x.stream import XStream, desired_rules, rule_tag
from inbox.store.database import Database
from inbox.store.ingest import PgIngestStore
from inbox.usecases.ingest import IngestMentions
from tests.waiting import eventually
from tests.x_world import BEARER, BRAND, CUSTOMERS, Connected, connected

pytestmark = pytest.mark.integration

MENTIONS = "SELECT count(*) FROM mention WHERE workspace_id = $1"


def stream_for(x: Connected, db: Database, catch_ups: list[int]) -> XStream:
    async def catch_up() -> None:
        catch_ups.append(1)
        await x.poller.poll_mentions()

    return XStream(
        x.account,
        BEARER,
        lambda: fake_x_session(x.server, timeout=stream_timeout(2)),
        IngestMentions(PgIngestStore(db)),
        on_reconnect=catch_up,
        flush_seconds=0.1,
    )


async def test_rules_follow_the_configuration(db: Database, workspace_id: int) -> None:
    async with connected(db, workspace_id, search_terms=("panne acme",)) as x:
        stream = stream_for(x, db, [])
        x.fake.add_rule("someone else's rule", tag="other-app-use")
        assert await stream.sync_rules(desired_rules(x.account)) == (2, 0)
        assert await stream.sync_rules(desired_rules(x.account)) == (0, 0)
        assert await stream.sync_rules([f"@{BRAND} -from:{BRAND}"]) == (0, 1)
        values = sorted((r.value, r.tag) for r in x.fake.rules)
    assert values == [
        (f"@{BRAND} -from:{BRAND}", rule_tag(x.account)),
        ("someone else's rule", "other-app-use"),
    ]


async def test_mentions_arrive_live_and_a_cut_stream_resumes_without_loss(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as x:
        catch_ups: list[int] = []
        stream = stream_for(x, db, catch_ups)
        await stream.sync_rules(desired_rules(x.account))
        stop = asyncio.Event()
        running = asyncio.create_task(stream.run(stop))
        try:
            await eventually(lambda: _connected(stream), "the stream to connect")
            for number in range(3):
                x.fake.post(CUSTOMERS[number], f"@{BRAND} live {number}")

            async def stored(count: int) -> bool:
                return int(await db.fetchval(MENTIONS, workspace_id)) == count

            await eventually(lambda: stored(3), "three live mentions")
            x.fake.break_stream_after(1, mid_line=True)
            for number in range(4):
                x.fake.post(CUSTOMERS[number % 3], f"@{BRAND} during the cut {number}")
            await eventually(lambda: stored(7), "every mention after the cut")
        finally:
            stop.set()
            await running
    assert stream.connections >= 2
    assert catch_ups  # a reconnection also ran the REST catch-up


async def _connected(stream: XStream) -> bool:
    return stream.connections >= 1
