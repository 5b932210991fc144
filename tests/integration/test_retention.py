"""Retention on a real PostgreSQL: what is due goes, to the second, and nothing else; the rows,
counts and timings stay; the pass is recorded; the worker runs it on its scheduler."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from inbox.bootstrap import build_services, open_runtime
from inbox.domain.audit import COMMAND_LINE
from inbox.domain.errors import ConfigurationError
from inbox.domain.ingestion import IngestBatch, NetworkDeletion, RejectedPayload
from inbox.settings import Settings
from inbox.store.audit import PgAuditTrail
from inbox.store.database import Database
from inbox.store.ingest import PgIngestStore
from inbox.store.retention import PgRetentionStore
from inbox.store.secret_box import SecretBox
from inbox.store.thread_events import PgThreadEventOutbox
from inbox.store.webhooks import PgWebhookStore
from inbox.usecases.ingest import IngestMentions
from inbox.usecases.retention import DAILY_JOB, ManageRetention
from inbox.worker_wiring import run_workers
from tests.factories import mention

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
BODY = "SELECT body FROM mention WHERE workspace_id = $1 AND external_id = $2"
RAW = "SELECT raw::text FROM mention WHERE workspace_id = $1 AND external_id = $2"
MENTIONS = "SELECT count(*) FROM mention WHERE workspace_id = $1"


def retention(db: Database) -> ManageRetention:
    return ManageRetention(PgRetentionStore(db), PgAuditTrail(db), clock=lambda: NOW)


async def ingest(db: Database, workspace_id: int, batch: IngestBatch) -> None:
    await IngestMentions(PgIngestStore(db))(workspace_id, batch)


async def arrived(db: Database, workspace_id: int, external_id: str, at: datetime) -> None:
    await db.execute(
        "UPDATE mention SET ingested_at = $3 WHERE workspace_id = $1 AND external_id = $2",
        workspace_id,
        external_id,
        at,
    )


async def resolved(db: Database, workspace_id: int, external_id: str, at: datetime) -> int:
    thread_id = await db.fetchval(
        "SELECT thread_id FROM mention WHERE workspace_id = $1 AND external_id = $2",
        workspace_id,
        external_id,
    )
    await db.execute(
        "UPDATE thread SET status = 'resolved', resolved_at = $3"
        " WHERE workspace_id = $1 AND id = $2",
        workspace_id,
        thread_id,
        at,
    )
    return int(thread_id)


async def test_raw_payloads_older_than_the_period_are_emptied_and_the_one_exactly_at_it_kept(
    db: Database, workspace_id: int
) -> None:
    await ingest(db, workspace_id, IngestBatch([mention(str(n), author=f"u{n}") for n in range(3)]))
    await arrived(db, workspace_id, "0", NOW - timedelta(days=90) - SECOND)
    await arrived(db, workspace_id, "1", NOW - timedelta(days=90))
    await arrived(db, workspace_id, "2", NOW - timedelta(days=3))

    report = await retention(db).run(workspace_id)

    assert report.raw_payloads == 1
    assert await db.fetchval(RAW, workspace_id, "0") == "{}"
    assert await db.fetchval(RAW, workspace_id, "1") == '{"id": "1"}'
    assert await db.fetchval(RAW, workspace_id, "2") == '{"id": "2"}'
    # The text and the row stay: only the payload went.
    assert await db.fetchval(BODY, workspace_id, "0") == "message 0"
    assert await db.fetchval(MENTIONS, workspace_id) == 3
    # A second pass finds nothing more.
    assert (await retention(db).run(workspace_id)).raw_payloads == 0


async def test_closed_threads_lose_their_texts_after_the_period_and_open_ones_keep_them(
    db: Database, workspace_id: int
) -> None:
    await ingest(
        db,
        workspace_id,
        IngestBatch([mention(n, author=f"u{n}", text=f"secret {n}") for n in ("a", "b", "c")]),
    )
    for name in ("a", "b", "c"):
        await arrived(db, workspace_id, name, NOW - timedelta(days=1000))
    due = await resolved(db, workspace_id, "a", datetime(2024, 12, 6, 11, 59, 59, tzinfo=UTC))
    kept = await resolved(db, workspace_id, "b", datetime(2024, 12, 6, 12, 0, tzinfo=UTC))
    retained = retention(db)
    await retained.set(workspace_id, {"raw_payload_days": None}, by=COMMAND_LINE)

    dry = await retained.run(workspace_id, dry_run=True)
    assert (dry.closed_threads, dry.closed_messages) == (1, 1)
    assert await db.fetchval(BODY, workspace_id, "a") == "secret a"

    report = await retained.run(workspace_id)

    assert (report.closed_threads, report.closed_messages) == (1, 1)
    assert await db.fetchval(BODY, workspace_id, "a") == ""
    assert await db.fetchval(RAW, workspace_id, "a") == "{}"
    assert await db.fetchval(BODY, workspace_id, "b") == "secret b"
    assert await db.fetchval(BODY, workspace_id, "c") == "secret c"  # open: kept
    rows = await db.fetch(
        "SELECT id, excerpt, message_count, status FROM thread WHERE workspace_id = $1 ORDER BY id",
        workspace_id,
    )
    by_id = {row["id"]: row for row in rows}
    assert by_id[due]["excerpt"] == ""
    assert by_id[due]["message_count"] == 1
    assert by_id[kept]["excerpt"] == "secret b"
    assert await db.fetchval(MENTIONS, workspace_id) == 3
    reason = await db.fetchval(
        "SELECT text_removed_reason FROM mention WHERE workspace_id = $1 AND external_id = 'a'",
        workspace_id,
    )
    assert reason == "retention"
    overview = await retained.overview(workspace_id)
    assert overview.last_run is not None
    assert overview.last_run.removed == report


async def test_quarantined_payloads_older_than_the_period_are_deleted(
    db: Database, workspace_id: int
) -> None:
    rejects = [RejectedPayload("x", f"bad {n}".encode(), "not JSON") for n in range(3)]
    await ingest(db, workspace_id, IngestBatch([], rejects))
    ids = [
        row["id"]
        for row in await db.fetch(
            "SELECT id FROM quarantine WHERE workspace_id = $1 ORDER BY id", workspace_id
        )
    ]
    ages = [timedelta(days=30) + SECOND, timedelta(days=30), timedelta(days=1)]
    for quarantine_id, age in zip(ids, ages, strict=True):
        await db.execute(
            "UPDATE quarantine SET received_at = $3 WHERE workspace_id = $1 AND id = $2",
            workspace_id,
            quarantine_id,
            NOW - age,
        )

    report = await retention(db).run(workspace_id)

    assert report.quarantined == 1
    left = await db.fetch(
        "SELECT id FROM quarantine WHERE workspace_id = $1 ORDER BY id", workspace_id
    )
    assert [row["id"] for row in left] == ids[1:]


async def test_a_period_set_to_keep_removes_nothing_and_bad_values_are_refused_naming_the_field(
    db: Database, workspace_id: int
) -> None:
    retained = retention(db)
    await ingest(db, workspace_id, IngestBatch([mention("old")]))
    await arrived(db, workspace_id, "old", NOW - timedelta(days=5000))
    await retained.set(workspace_id, {"raw_payload_days": "keep"}, by=COMMAND_LINE)
    with pytest.raises(ConfigurationError, match="quarantine_days: must be between 1 and 36500"):
        await retained.set(workspace_id, {"quarantine_days": 0}, by=COMMAND_LINE)
    with pytest.raises(ConfigurationError, match="closed_thread_text_months: expected a whole"):
        await retained.set(workspace_id, {"closed_thread_text_months": "soon"}, by=COMMAND_LINE)

    assert (await retained.run(workspace_id)).raw_payloads == 0
    settings = (await retained.overview(workspace_id)).settings
    assert settings.raw_payload_days is None
    assert settings.quarantine_days == 30
    audited = await db.fetchval(
        "SELECT count(*) FROM audit_entry WHERE workspace_id = $1 AND action = 'retention_set'",
        workspace_id,
    )
    assert audited == 1


async def test_a_deletion_removes_the_text_and_raw_and_keeps_the_row(
    db: Database, workspace_id: int
) -> None:
    await ingest(db, workspace_id, IngestBatch([mention("1", text="my card number")]))
    await ingest(db, workspace_id, IngestBatch([], deletions=[NetworkDeletion("x", "1")]))

    row = await db.fetchrow(
        "SELECT body, raw::text, text_removed_reason FROM mention WHERE workspace_id = $1",
        workspace_id,
    )
    assert row is not None
    assert (row["body"], row["raw"], row["text_removed_reason"]) == (
        "",
        "{}",
        "deleted_on_network",
    )
    excerpt = await db.fetchval("SELECT excerpt FROM thread WHERE workspace_id = $1", workspace_id)
    assert excerpt == ""


async def test_a_post_read_before_its_deletion_but_stored_after_it_comes_without_its_text(
    db: Database, workspace_id: int
) -> None:
    await ingest(db, workspace_id, IngestBatch([], deletions=[NetworkDeletion("x", "7")]))
    await ingest(db, workspace_id, IngestBatch([mention("7", text="late poll")]))
    await ingest(db, workspace_id, IngestBatch([mention("8", text="still here")]))

    assert await db.fetchval(BODY, workspace_id, "7") == ""
    assert await db.fetchval(BODY, workspace_id, "8") == "still here"
    assert await db.fetchval(MENTIONS, workspace_id) == 2


async def test_the_worker_runs_retention_on_its_scheduler(
    database_dsn: str, db: Database, workspace_id: int
) -> None:
    settings = Settings.model_validate(
        {"DATABASE_URL": database_dsn, "secret_key": SecretBox.new_key(), "pool_size": 4}
    )
    async with open_runtime(settings) as runtime:
        stop = asyncio.Event()
        task = asyncio.create_task(run_workers(runtime, stop))
        try:
            deadline = asyncio.get_running_loop().time() + 30
            while asyncio.get_running_loop().time() < deadline:
                runs = await db.fetchval(
                    "SELECT count(*) FROM retention_run WHERE workspace_id = $1 AND run_by = $2",
                    workspace_id,
                    DAILY_JOB,
                )
                if runs:
                    break
                await asyncio.sleep(0.1)
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 30)
    assert runs == 1


async def test_the_daily_pass_skips_a_workspace_whose_last_pass_is_recent(
    db: Database, workspace_id: int
) -> None:
    now = [NOW]
    retained = ManageRetention(PgRetentionStore(db), PgAuditTrail(db), clock=lambda: now[0])

    async def only_this() -> list[int]:
        return [workspace_id]

    daily = retained.daily(only_this)
    await daily()
    now[0] = NOW + timedelta(hours=19)
    await daily()  # another worker starting: nothing to do yet
    now[0] = NOW + timedelta(hours=21)
    await daily()
    runs = await db.fetchval(
        "SELECT count(*) FROM retention_run WHERE workspace_id = $1", workspace_id
    )
    assert runs == 2


async def test_a_deleted_messages_text_leaves_the_webhook_deliveries_that_carried_it(
    db: Database, workspace_id: int
) -> None:
    hooks = PgWebhookStore(db, SecretBox(SecretStr(SecretBox.new_key())))
    await hooks.add(
        workspace_id,
        "https://crm.example.com/in",
        ("message.*",),
        SecretStr("s" * 32),
        include_text=True,
    )
    await build_services(db).ingest(
        workspace_id, IngestBatch([mention("9", text="call me on 06 12 34 56 78")])
    )
    assert await PgThreadEventOutbox(db).dispatch(100) >= 1
    await ingest(db, workspace_id, IngestBatch([], deletions=[NetworkDeletion("x", "9")]))
    payloads = await db.fetch(
        "SELECT payload::text AS payload, event_kind FROM webhook_delivery WHERE workspace_id = $1",
        workspace_id,
    )
    assert [row["event_kind"] for row in payloads].count("message.received") == 1
    assert all("06 12 34" not in row["payload"] for row in payloads)
