"""The workspace store on PostgreSQL: a workspace made by two processes at once is one."""

from __future__ import annotations

import asyncio

from inbox.store.database import Database
from inbox.store.workspaces import PgWorkspaceStore


async def test_a_workspace_another_process_is_creating_is_found_once_it_commits(
    db: Database,
) -> None:
    """A web and a worker starting together on an empty database both make the instance's
    workspace: the second waits on the first's insert and must then find its row."""
    async with db.transaction() as first:
        made = await first.fetchval(
            "INSERT INTO workspace (slug, name) VALUES ('shared', 'shared') RETURNING workspace_id"
        )
        second = asyncio.create_task(PgWorkspaceStore(db).ensure_workspace("shared", "shared"))
        # The second process's insert waits on this uncommitted row before it can give way.
        await _until_waiting_on_a_lock(db)
        assert not second.done()
    assert await second == made


async def _until_waiting_on_a_lock(db: Database) -> None:
    for _ in range(300):
        waiting = await db.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the second insert never waited on the first")
