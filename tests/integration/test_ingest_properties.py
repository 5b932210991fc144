"""Arrival order, repetition and batching must not change what ingestion builds."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Mention
from inbox.domain.network import Network
from inbox.store.database import Database
from inbox.store.ingest import PgIngestStore
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.ingest import IngestMentions
from tests.factories import mention

pytestmark = pytest.mark.integration

BRAND = "brand"


@st.composite
def conversations(draw: st.DrawFn) -> list[Mention]:
    """A handful of conversations; some carry the network's conversation key, some only
    reply links (so a reply can arrive before its parent); some messages are the brand's."""
    mentions: list[Mention] = []
    minute = 0
    for conversation in range(draw(st.integers(1, 4))):
        keyed = draw(st.booleans())
        ids: list[str] = []
        for position in range(draw(st.integers(1, 4))):
            external_id = f"c{conversation}m{position}"
            parent = draw(st.sampled_from(ids)) if ids else None
            author = (
                BRAND
                if ids and draw(st.integers(0, 3)) == 0
                else draw(st.sampled_from(["ann", "bob", "cyd"]))
            )
            minute += 1
            mentions.append(
                mention(
                    external_id,
                    author=author,
                    minute=minute,
                    conversation=ids[0] if keyed and ids else (external_id if keyed else None),
                    reply_to=parent,
                )
            )
            ids.append(external_id)
    return mentions


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[Mention], list[list[Mention]]]:
    """The same mentions, shuffled, partly repeated, cut into batches."""
    original = draw(conversations())
    repeated = original + draw(st.lists(st.sampled_from(original), max_size=len(original)))
    shuffled = draw(st.permutations(repeated))
    cuts = sorted(draw(st.lists(st.integers(0, len(shuffled)), max_size=4)))
    bounds = [0, *cuts, len(shuffled)]
    batches = [shuffled[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    return original, batches


async def outcome(db: Database, workspace_id: int) -> dict[str, Any]:
    async with db.connection() as conn:
        members = await conn.fetch(
            """SELECT thread_id, array_agg(external_id ORDER BY external_id) AS ids
               FROM mention WHERE workspace_id = $1 GROUP BY thread_id""",
            workspace_id,
        )
        threads = await conn.fetch(
            """SELECT t.id, t.status, t.message_count, t.opened_at, t.last_inbound_at,
                      t.last_outbound_at, i.external_user_id AS owner
               FROM thread t LEFT JOIN identity i
                 ON i.workspace_id = t.workspace_id AND i.customer_id = t.customer_id
               WHERE t.workspace_id = $1""",
            workspace_id,
        )
        customers = await conn.fetchval(
            "SELECT count(*) FROM customer WHERE workspace_id = $1", workspace_id
        )
        directions = await conn.fetch(
            "SELECT external_id, direction FROM mention WHERE workspace_id = $1", workspace_id
        )
    by_id = {t["id"]: t for t in threads}
    partition = {}
    for row in members:
        figures = (
            None
            if row["thread_id"] is None
            else {k: v for k, v in dict(by_id[row["thread_id"]]).items() if k != "id"}
        )
        partition[tuple(row["ids"])] = figures
    return {
        "threads": partition,
        "thread_count": len(threads),
        "customers": customers,
        "directions": {r["external_id"]: r["direction"] for r in directions},
    }


_workspace_numbers = iter(range(1, 10**9))


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(delivery=deliveries())
async def test_any_order_repetition_and_batching_gives_the_same_inbox(
    db: Database, delivery: tuple[list[Mention], list[list[Mention]]]
) -> None:
    original, batches = delivery
    workspaces = PgWorkspaceStore(db)
    ingest = IngestMentions(PgIngestStore(db))

    async def fresh_workspace() -> int:
        workspace_id = await workspaces.ensure_workspace(f"w{next(_workspace_numbers)}", "w")
        await workspaces.add_account(workspace_id, Network.X, BRAND, "acme")
        return workspace_id

    reference = await fresh_workspace()
    await ingest(reference, IngestBatch(original))
    delivered = await fresh_workspace()
    for batch in batches:
        await ingest(delivered, IngestBatch(batch))

    assert await outcome(db, delivered) == await outcome(db, reference)
