"""The adoption panel reads roll-ups of what has settled and the rest as it is: its numbers
are those it read from every act and answer, in every reader's zone, before and after each
pass of the roll-up, with acts and late answers arriving in between."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from inbox.bootstrap import build_services
from inbox.domain.adoption import AnswerWeek, PersonWeeks, TeamWeek, WeekSpan, weeks_between
from inbox.domain.clock import utc_now
from inbox.domain.ingestion import IngestBatch
from inbox.domain.people import Role
from inbox.store.adoption import FORGET_ROLL_UPS, PgAdoptionQuery, PgAdoptionRollUp
from inbox.store.database import Database
from inbox.store.people import PgPeopleStore
from tests.factories import mention

pytestmark = pytest.mark.integration

# Whole hours, half hours and quarter hours from UTC, either side, with and without summer time.
ZONES = ("UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham")

# The thread every act is on.
THREAD = "(SELECT min(id) FROM thread WHERE workspace_id = $1)"
REPLY = f"""
INSERT INTO outbox_item (workspace_id, thread_id, network, kind, idempotency_key, body,
                         created_at)
VALUES ($1, {THREAD}, 'x', 'reply', $2, 'hello', $3)
"""  # noqa: S608 (constants only)
NOTE = f"""
INSERT INTO note (workspace_id, thread_id, author_agent_id, body, created_at)
VALUES ($1, {THREAD}, $2, 'a note', $3)
"""  # noqa: S608 (constants only)
ASSIGNMENT = f"""
INSERT INTO assignment (workspace_id, thread_id, agent_id, source, reasons, at)
VALUES ($1, {THREAD}, $2, $3, $4::jsonb, $5)
"""  # noqa: S608 (constants only)
CLOSURE = f"""
INSERT INTO thread_closure (workspace_id, thread_id, at, reason, closed_by)
VALUES ($1, {THREAD}, $2, 'resolved', $3)
"""  # noqa: S608 (constants only)
SENT = f"""
INSERT INTO outbox_item (workspace_id, thread_id, network, kind, idempotency_key, body,
                         sent_external_id)
VALUES ($1, {THREAD}, $2, 'reply', $3, 'thanks', $4)
"""  # noqa: S608 (constants only)

Figures = tuple[list[TeamWeek], list[PersonWeeks], list[AnswerWeek]]


def span_of(zone_name: str, now: datetime) -> WeekSpan:
    zone = ZoneInfo(zone_name)
    weeks = weeks_between((now - timedelta(days=120)).astimezone(zone).date(), now.date())

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)

    return WeekSpan(midnight(weeks[0]), midnight(weeks[-1] + timedelta(days=7)), zone.key)


async def figures(db: Database, workspace_id: int, now: datetime) -> dict[str, Figures]:
    query = PgAdoptionQuery(db)
    found = {}
    for zone in ZONES:
        span = span_of(zone, now)
        found[zone] = (
            await query.active_by_team(workspace_id, span),
            await query.weeks_by_person(workspace_id, span),
            await query.answers(workspace_id, span),
        )
    return found


async def without_roll_ups(db: Database, workspace_id: int, now: datetime) -> dict[str, Figures]:
    """What the panel reads from the acts and answers alone."""
    async with db.transaction() as conn:
        kept = {
            table: [dict(r) for r in await conn.fetch(f"SELECT * FROM {table}")]  # noqa: S608
            for table in ("adoption_act_day", "adoption_answer_slot", "adoption_rollup")
        }
        for statement in FORGET_ROLL_UPS:
            await conn.execute(statement, workspace_id)
    found = await figures(db, workspace_id, now)
    async with db.transaction() as conn:
        for table, rows in kept.items():
            for row in rows:
                columns = ", ".join(row)
                places = ", ".join(f"${n}" for n in range(1, len(row) + 1))
                await conn.execute(
                    f"INSERT INTO {table} ({columns}) VALUES ({places})",  # noqa: S608
                    *row.values(),
                )
    return found


class History:
    """Acts of every kind and the brand's answers, at random minutes of the last 16 weeks."""

    def __init__(self, db: Database, workspace_id: int, agents: list[int]) -> None:
        self.db = db
        self.workspace_id = workspace_id
        self.agents = agents
        self.rng = random.Random(19)
        self.sent = 0

    async def acts(self, count: int, oldest: datetime, newest: datetime) -> None:
        ws, rng = self.workspace_id, self.rng
        span = (newest - oldest).total_seconds()
        async with self.db.transaction() as conn:
            for n in range(count):
                at = oldest + timedelta(seconds=rng.uniform(0, span))
                agent = rng.choice(self.agents)
                kind = n % 5
                if kind == 0:
                    key = f"reply:{agent}:{rng.random()}"
                    await conn.execute(
                        REPLY,
                        ws, key, at,
                    )  # fmt: skip
                elif kind == 1:
                    await conn.execute(
                        NOTE,
                        ws, agent, at,
                    )  # fmt: skip
                elif kind == 2:
                    source, reason = rng.choice(
                        [("claim", "claimed"), ("manual", f"assigned by agent {agent}"),
                         ("manual", "taken by hand"), ("routing", "rules")]
                    )  # fmt: skip
                    await conn.execute(
                        ASSIGNMENT,
                        ws, agent, source, json.dumps([reason]), at,
                    )  # fmt: skip
                else:
                    closed_by = rng.choice([f"agent:{agent}", "api"])
                    await conn.execute(
                        CLOSURE,
                        ws, at, closed_by,
                    )  # fmt: skip

    async def answers(
        self, count: int, oldest: datetime, newest: datetime, arrived: datetime | None = None
    ) -> None:
        """The brand's posts: replies (some sent by the inbox), and some that do not count;
        each seen by the connectors as it was posted, or all at `arrived`."""
        ws, rng = self.workspace_id, self.rng
        span = (newest - oldest).total_seconds()
        async with self.db.transaction() as conn:
            for _ in range(count):
                self.sent += 1
                external_id = f"brand{self.sent}"
                at = oldest + timedelta(seconds=rng.uniform(0, span))
                network = rng.choice(["x", "mastodon"])
                await conn.execute(
                    "INSERT INTO mention (workspace_id, network, external_id, thread_key,"
                    " direction, author_external_id, body, created_at, raw, in_reply_to,"
                    " automated, private, ingested_at)"
                    " VALUES ($1, $2, $3, 'k', 'outbound', 'brand', 'thanks', $4, '{}', $5,"
                    " $6, false, $7)",
                    ws, network, external_id, at, rng.choice(["p1", None, "p2", "p3"]),
                    rng.random() < 0.1, arrived or at,
                )  # fmt: skip
                if rng.random() < 0.5:
                    await conn.execute(
                        SENT,
                        ws, network, f"sent:{external_id}", external_id,
                    )  # fmt: skip


@pytest.fixture
async def history(db: Database, workspace_id: int) -> History:
    # the thread every act is on
    await build_services(db).ingest(workspace_id, IngestBatch([mention("c1", text="help")]))
    people = PgPeopleStore(db)
    for name in ("ana", "bo", "cy", "di"):
        await people.save_agent(workspace_id, f"{name}@acme.example", name, [Role.AGENT], [])
    agents = [
        r["id"] for r in await db.fetch("SELECT id FROM agent WHERE workspace_id = $1 ORDER BY id",
                                        workspace_id)
    ]  # fmt: skip
    async with db.transaction() as conn:
        team = await conn.fetchval(
            "INSERT INTO team (workspace_id, name) VALUES ($1, 'care') RETURNING id", workspace_id
        )
        for agent in agents[:2]:
            await conn.execute(
                "INSERT INTO team_member (workspace_id, team_id, agent_id) VALUES ($1, $2, $3)",
                workspace_id, team, agent,
            )  # fmt: skip
        # one who has left since: still counted in the weeks they were active
        await conn.execute("UPDATE agent SET active = false WHERE id = $1", agents[3])
    return History(db, workspace_id, agents)


async def test_the_panel_reads_the_same_numbers_with_roll_ups_as_without(
    db: Database, workspace_id: int, history: History
) -> None:
    now = utc_now()
    await history.acts(600, now - timedelta(days=112), now)
    await history.answers(400, now - timedelta(days=112), now)
    from_everything = await figures(db, workspace_id, now)
    assert all(active for active, _, _ in from_everything.values())

    roll_ups = PgAdoptionRollUp(db)
    await roll_ups.roll_up(workspace_id, now - timedelta(days=20))
    assert await db.fetchval("SELECT count(*) FROM adoption_act_day") > 0
    assert await db.fetchval("SELECT count(*) FROM adoption_answer_slot") > 0
    assert await figures(db, workspace_id, now) == from_everything

    # Acts of today, answers posted weeks ago that arrive only now, then another pass.
    await history.acts(50, now - timedelta(hours=3), now)
    await history.answers(40, now - timedelta(days=30), now - timedelta(days=21), arrived=now)
    await roll_ups.roll_up(workspace_id, now - timedelta(days=20))  # nothing new has settled
    await roll_ups.roll_up(workspace_id, now - timedelta(minutes=1))
    rolled = await figures(db, workspace_id, now)
    assert rolled == await without_roll_ups(db, workspace_id, now)
    assert rolled != from_everything


async def test_a_rebuild_after_history_loaded_beneath_the_roll_ups_counts_it(
    db: Database, workspace_id: int, history: History
) -> None:
    now = utc_now()
    roll_ups = PgAdoptionRollUp(db)
    await history.acts(200, now - timedelta(days=30), now)
    await roll_ups.roll_up(workspace_id, now)
    await history.acts(200, now - timedelta(days=100), now - timedelta(days=40))
    await roll_ups.rebuild(workspace_id, now)
    assert await figures(db, workspace_id, now) == await without_roll_ups(db, workspace_id, now)
