"""SLA clocks kept by ingestion, in the batch's transaction, against the real database."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox.bootstrap import build_services
from inbox.domain.errors import ConfigurationError
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Direction, Mention
from inbox.domain.network import Network
from inbox.store.database import Database
from inbox.store.ingest import PgIngestStore
from inbox.store.sla_clocks import PgClockWriter
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.ingest import IngestMentions
from inbox.usecases.sla import KeepClocks
from sla.calendar import WEEKDAYS
from tests.factories import T0, mention, paris_office

pytestmark = pytest.mark.integration


def reply(external_id: str, minute: int, conversation: str) -> Mention:
    return mention(
        external_id,
        author="brand",
        minute=minute,
        conversation=conversation,
        direction=Direction.OUTBOUND,
    )


async def ingest(db: Database, workspace_id: int, *mentions: Mention) -> None:
    await build_services(db).ingest(workspace_id, IngestBatch(mentions))


async def clocks(db: Database, workspace_id: int) -> list[dict[str, Any]]:
    async with db.connection() as conn:
        rows = await conn.fetch(
            """SELECT kind, started_at, stopped_at, deadline, warn_at, outcome, policy
               FROM sla_clock WHERE workspace_id = $1 ORDER BY started_at, kind""",
            workspace_id,
        )
    return [dict(r) for r in rows]


async def store_settings(
    db: Database, workspace_id: int, calendars: dict[str, Any], policies: dict[str, Any]
) -> None:
    """Straight into the table, as a bad or old setting could be (no validation here)."""
    async with db.connection() as conn:
        await conn.execute(
            "INSERT INTO sla_config (workspace_id, calendars, policies) VALUES ($1, $2, $3)",
            workspace_id,
            json.dumps(calendars),
            json.dumps(policies),
        )


def minute(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


async def test_a_customer_message_starts_a_one_hour_clock_by_default(
    db: Database, workspace_id: int
) -> None:
    await ingest(db, workspace_id, mention("1", conversation="1"))
    (clock,) = await clocks(db, workspace_id)
    assert clock["kind"] == "first_response"
    assert clock["started_at"] == minute(0)
    assert clock["deadline"] == minute(60)
    assert clock["warn_at"] == minute(45)
    assert clock["stopped_at"] is None


async def test_answers_stop_clocks_met_or_breached_and_follow_ups_start_next_ones(
    db: Database, workspace_id: int
) -> None:
    await PgWorkspaceStore(db).add_account(workspace_id, Network.X, "brand", "acme")
    await ingest(db, workspace_id, mention("1", conversation="1"))
    await ingest(db, workspace_id, reply("2", 30, "1"), mention("3", minute=40, conversation="1"))
    await ingest(db, workspace_id, reply("4", 130, "1"))
    assert [(c["kind"], c["stopped_at"], c["outcome"]) for c in await clocks(db, workspace_id)] == [
        ("first_response", minute(30), "met"),
        ("next_response", minute(130), "breached"),
    ]


async def test_clocks_do_not_depend_on_the_order_messages_arrive_in(
    db: Database, workspace_id: int
) -> None:
    await PgWorkspaceStore(db).add_account(workspace_id, Network.X, "brand", "acme")
    messages = [
        mention("1", conversation="1"),
        reply("2", 20, "1"),
        mention("3", minute=25, conversation="1"),
    ]
    await ingest(db, workspace_id, messages[2])
    await ingest(db, workspace_id, messages[1])
    await ingest(db, workspace_id, messages[0])
    in_reverse = await clocks(db, workspace_id)
    assert [(c["kind"], c["started_at"], c["stopped_at"]) for c in in_reverse] == [
        ("first_response", minute(0), minute(20)),
        ("next_response", minute(25), None),
    ]


async def test_a_workspace_calendar_and_policy_rules_apply(db: Database, workspace_id: int) -> None:
    office = paris_office()
    policies = {
        "policies": {
            "office": {"name": "office", "calendar": "office"},
            "urgent": {"name": "urgent", "calendar": "office", "targets": {"first_response": 15}},
        },
        "rules": [{"when": {"priorities": ["urgent"]}, "policy": "urgent"}],
        "default": "office",
    }
    await store_settings(db, workspace_id, {"office": office}, policies)
    friday_evening = datetime(2026, 3, 6, 17, 30, tzinfo=UTC)  # 18:30 in Paris
    late = mention("9", conversation="9").model_copy(update={"created_at": friday_evening})
    await ingest(db, workspace_id, late)
    (clock,) = await clocks(db, workspace_id)
    assert clock["policy"] == "office"
    assert clock["deadline"] == datetime(2026, 3, 9, 8, 30, tzinfo=UTC)  # Monday 09:30 Paris


async def test_unusable_settings_never_stop_messages_from_being_stored(
    db: Database, workspace_id: int
) -> None:
    await store_settings(
        db,
        workspace_id,
        {"broken": {"tz": "Nowhere/City", "weekly": {}}},
        {"policies": {}, "default": "missing"},
    )
    await ingest(db, workspace_id, mention("1", conversation="1"))
    (clock,) = await clocks(db, workspace_id)
    assert clock["policy"] == "one hour"


async def test_out_of_hours_messages_are_acknowledged_once_and_the_ack_stops_no_clock(
    db: Database, workspace_id: int
) -> None:
    office = paris_office()
    policies = {
        "policies": {
            "office": {"name": "office", "calendar": "office", "out_of_hours_acknowledgement": True}
        },
        "default": "office",
    }
    await store_settings(db, workspace_id, {"office": office}, policies)
    await PgWorkspaceStore(db).add_account(workspace_id, Network.X, "brand", "acme")
    friday_night = datetime(2026, 3, 6, 21, 0, tzinfo=UTC)  # 22:00 in Paris
    ingest_at_night = IngestMentions(
        PgIngestStore(db), hooks=[KeepClocks(clock=lambda: friday_night + timedelta(minutes=1))]
    )
    complaint = mention("1", conversation="1").model_copy(
        update={"created_at": friday_night, "language": "fr"}
    )
    await ingest_at_night(workspace_id, IngestBatch([complaint]))
    await ingest_at_night(workspace_id, IngestBatch([complaint]))  # a replay queues nothing
    async with db.connection() as conn:
        queued = await conn.fetch(
            "SELECT kind, body, in_reply_to FROM outbox_item WHERE workspace_id = $1", workspace_id
        )
    assert [(q["kind"], q["in_reply_to"]) for q in queued] == [("acknowledgement", "1")]
    assert queued[0]["body"].endswith("vous répondra lundi à 09:00.")

    automated = reply("ack-1", 0, "1").model_copy(
        update={"created_at": friday_night + timedelta(minutes=2), "automated": True}
    )
    await ingest_at_night(workspace_id, IngestBatch([automated]))
    (clock,) = await clocks(db, workspace_id)
    assert clock["stopped_at"] is None

    # The same customer again that night, in two new conversations (one batch, then another),
    # and someone else: one acknowledgement a customer, not one a thread.
    later = [
        mention(str(n), conversation=str(n)).model_copy(
            update={"created_at": friday_night + timedelta(minutes=n), "language": "fr"}
        )
        for n in (5, 6)
    ]
    other = mention("7", author="u2", conversation="7").model_copy(
        update={"created_at": friday_night + timedelta(minutes=7), "language": "fr"}
    )
    await ingest_at_night(workspace_id, IngestBatch(later))
    await ingest_at_night(workspace_id, IngestBatch([other]))
    async with db.connection() as conn:
        answered = await conn.fetch(
            "SELECT in_reply_to FROM outbox_item WHERE workspace_id = $1 ORDER BY id",
            workspace_id,
        )
    assert [q["in_reply_to"] for q in answered] == ["1", "7"]


async def test_new_settings_replan_running_clocks_and_leave_finished_ones(
    db: Database, workspace_id: int
) -> None:
    await PgWorkspaceStore(db).add_account(workspace_id, Network.X, "brand", "acme")
    await ingest(
        db,
        workspace_id,
        mention("1", conversation="1"),
        reply("2", 30, "1"),
        mention("3", author="u2", minute=5, conversation="3"),
    )
    before = {c["started_at"]: c for c in await clocks(db, workspace_id)}
    settings = build_services(db).sla_settings
    calendars = {
        "quick": {
            "tz": "UTC",
            "weekly": {
                d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            },
        }
    }
    policies = {
        "policies": {
            "quick": {"name": "quick", "calendar": "quick", "targets": {"first_response": 20}}
        },
        "default": "quick",
    }
    version, replanned = await settings(workspace_id, calendars, policies)
    assert (version, replanned) == (1, 1)
    after = await clocks(db, workspace_id)
    finished = next(c for c in after if c["stopped_at"] is not None)
    running = next(c for c in after if c["stopped_at"] is None)
    assert finished == before[finished["started_at"]]  # kept as it ran
    assert running["policy"] == "quick"
    assert running["deadline"] == running["started_at"] + timedelta(minutes=20)

    with pytest.raises(ConfigurationError, match="unknown calendars: office"):
        await settings(
            workspace_id,
            calendars,
            {"policies": {"p": {"name": "p", "calendar": "office"}}, "default": "p"},
        )
    assert (await settings.current(workspace_id)).version == 1


async def test_a_brand_answer_stored_before_the_question_stops_the_new_threads_clock(
    db: Database, workspace_id: int
) -> None:
    await PgWorkspaceStore(db).add_account(workspace_id, Network.X, "brand", "acme")
    # Seen first, the answer has no customer message to belong to: it waits unthreaded, and
    # the thread the question opens takes it in.
    await ingest(db, workspace_id, reply("2", 20, "1"))
    await ingest(db, workspace_id, mention("1", conversation="1"))
    assert [(c["stopped_at"], c["outcome"]) for c in await clocks(db, workspace_id)] == [
        (minute(20), "met")
    ]


async def test_a_batch_kept_twice_or_two_batches_in_one_transaction_keep_one_clock_each(
    db: Database, workspace_id: int
) -> None:
    await PgWorkspaceStore(db).add_account(workspace_id, Network.X, "brand", "acme")
    keep = KeepClocks()
    async with PgIngestStore(db).batch_transaction(workspace_id) as tx:
        first = await tx.threads.write_batch(
            workspace_id, IngestBatch([mention("1", conversation="1")])
        )
        await keep(tx, workspace_id, first)
        await keep(tx, workspace_id, first)
        second = await tx.threads.write_batch(
            workspace_id,
            IngestBatch([reply("2", 30, "1"), mention("3", author="u2", minute=5)]),
        )
        await keep(tx, workspace_id, second)
    assert [(c["started_at"], c["stopped_at"]) for c in await clocks(db, workspace_id)] == [
        (minute(0), minute(30)),
        (minute(5), None),
    ]


# -- what the batch's writer holds is what the database holds ---------------------------------

LANGUAGES = [None, "en", "fr"]


@st.composite
def traffic(draw: st.DrawFn) -> list[list[Mention]]:
    """Batches of a few conversations: customers and the brand writing, automated posts,
    several messages in the same second, in several languages, brand posts seen first."""
    batches = []
    external_ids = itertools.count()
    for _ in range(draw(st.integers(1, 3))):
        batch = []
        for _ in range(draw(st.integers(1, 6))):
            conversation = str(draw(st.integers(0, 4)))
            brand = draw(st.integers(0, 2)) == 0
            made = mention(
                f"m{next(external_ids)}",
                author="brand" if brand else draw(st.sampled_from(["ann", "bob"])),
                minute=draw(st.integers(0, 3)),
                conversation=conversation,
            )
            batch.append(
                made.model_copy(
                    update={
                        "language": draw(st.sampled_from(LANGUAGES)),
                        "automated": brand and draw(st.booleans()),
                    }
                )
            )
        batches.append(batch)
    return batches


_workspaces = itertools.count(1)


async def brand_workspace(db: Database) -> int:
    workspaces = PgWorkspaceStore(db)
    workspace_id = await workspaces.ensure_workspace(f"p{next(_workspaces)}", "p")
    await workspaces.add_account(workspace_id, Network.X, "brand", "acme")
    return workspace_id


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=traffic())
async def test_timelines_of_new_threads_held_by_the_batch_are_those_read_back(
    db: Database, batches: list[list[Mention]]
) -> None:
    workspace_id = await brand_workspace(db)
    *earlier, last = batches
    for batch in earlier:
        await ingest(db, workspace_id, *batch)
    async with PgIngestStore(db).batch_transaction(workspace_id) as tx:
        result = await tx.threads.write_batch(workspace_id, IngestBatch(last))
        thread_ids = sorted(result.changed_thread_ids)
        held = await tx.clocks.timelines(workspace_id, thread_ids, result.new_thread_timelines)
        read_back = await PgClockWriter(tx.conn).timelines(workspace_id, thread_ids)
    assert held == read_back


async def clocks_by_conversation(db: Database, workspace_id: int) -> dict[tuple[str, ...], Any]:
    """Each thread's clocks, under the ids of its messages (thread ids differ by workspace)."""
    async with db.connection() as conn:
        rows = await conn.fetch(
            """SELECT (SELECT array_agg(m.external_id ORDER BY m.external_id) FROM mention m
                       WHERE m.workspace_id = t.workspace_id AND m.thread_id = t.id) AS ids,
                      c.kind, c.started_at, c.stopped_at, c.policy, c.calendar,
                      c.config_version, c.budget_seconds, c.deadline, c.warn_at, c.outcome,
                      c.business_seconds, c.arrived_in_hours, c.next_due_at
               FROM sla_clock c
               JOIN thread t ON t.workspace_id = c.workspace_id AND t.id = c.thread_id
               WHERE c.workspace_id = $1""",
            workspace_id,
        )
    found: dict[tuple[str, ...], Any] = {}
    for row in rows:
        clock = dict(row)
        found.setdefault(tuple(clock.pop("ids")), []).append(clock)
    return {ids: sorted(listed, key=lambda c: c["started_at"]) for ids, listed in found.items()}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=traffic())
async def test_clocks_are_the_same_in_one_batch_or_in_several(
    db: Database, batches: list[list[Mention]]
) -> None:
    # One batch writes every clock new (copied in); several update them (upserted).
    whole = await brand_workspace(db)
    await ingest(db, whole, *[m for batch in batches for m in batch])
    in_parts = await brand_workspace(db)
    for batch in batches:
        await ingest(db, in_parts, *batch)
    assert await clocks_by_conversation(db, in_parts) == await clocks_by_conversation(db, whole)


async def test_a_resolution_clock_pauses_while_the_thread_waits_on_the_customer(
    db: Database, workspace_id: int
) -> None:
    always = {"tz": "UTC", "weekly": {d: [["00:00", "24:00"]] for d in WEEKDAYS}}
    policies = {
        "policies": {
            "care": {"name": "care", "calendar": "always",
                     "targets": {"first_response": 60, "resolution": 240}},
        },
        "default": "care",
    }  # fmt: skip
    await store_settings(db, workspace_id, {"always": always}, policies)
    await ingest(db, workspace_id, mention("1", conversation="1"))
    resolution = [c for c in await clocks(db, workspace_id) if c["kind"] == "resolution"]
    assert [c["deadline"] for c in resolution] == [minute(240)]
    await ingest(db, workspace_id, reply("2", 10, "1"))  # now waiting on the customer
    (held,) = [c for c in await clocks(db, workspace_id) if c["kind"] == "resolution"]
    assert held["deadline"] is None
    await ingest(db, workspace_id, mention("3", minute=40, conversation="1"))
    (resumed,) = [c for c in await clocks(db, workspace_id) if c["kind"] == "resolution"]
    assert resumed["deadline"] == minute(240 + 30)
    assert resumed["stopped_at"] is None


async def test_answered_threads_are_resolved_together_and_a_waiting_one_is_not(
    db: Database, workspace_id: int
) -> None:
    await PgWorkspaceStore(db).add_account(workspace_id, Network.X, "brand", "acme")
    await ingest(
        db,
        workspace_id,
        mention("1", conversation="1"),
        reply("2", 10, "1"),
        mention("3", author="u2", minute=5, conversation="3"),
        reply("4", 20, "3"),
        mention("5", author="u3", minute=6, conversation="5"),
    )
    services = build_services(db)
    async with db.connection() as conn:
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM thread ORDER BY thread_key")]
    closed = await services.close_without_reply.many(workspace_id, ids, "resolved", "test")
    assert sorted(closed) == sorted(ids[:2])  # the customer of "5" still waits
    async with db.connection() as conn:
        statuses = [
            r["status"] for r in await conn.fetch("SELECT status FROM thread ORDER BY thread_key")
        ]
    assert statuses[:2] == ["resolved", "resolved"]
    assert statuses[2] != "resolved"
