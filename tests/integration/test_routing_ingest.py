"""Routing inside ingestion: classification stored with its reasons, the workspace's rules,
assignment of a whole batch in one pass, in the batch's transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.domain.mention import Mention
from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.people import PgPeopleStore
from tests.factories import mention

pytestmark = pytest.mark.integration

TEXTS = (
    "@acme my internet is down again, third time this week",
    "@acme how do I change the name on my account?",
    "@acme thank you so much for the quick fix",
    "@acme ma facture est fausse, prélevé deux fois ce mois-ci",
)


def message(n: int, text: str, minutes_ago: int = 5) -> Mention:
    return mention(f"m{n}", author=f"u{n}", conversation=f"c{n}", text=text).model_copy(
        update={"created_at": datetime.now(UTC) - timedelta(minutes=minutes_ago)}
    )


async def staff(db: Database, workspace_id: int, count: int, capacity: int) -> list[int]:
    people = PgPeopleStore(db)
    ids = [
        await people.save_agent(workspace_id, f"a{n}@example.com", f"A{n}", [Role.AGENT], ["care"])
        for n in range(count)
    ]
    async with db.connection() as conn:
        await conn.execute(
            "UPDATE agent SET capacity = $2 WHERE workspace_id = $1", workspace_id, capacity
        )
    return ids


async def test_a_batch_of_1000_is_classified_and_routed_in_one_pass(
    db: Database, workspace_id: int
) -> None:
    agents = await staff(db, workspace_id, 10, capacity=60)
    batch = IngestBatch([message(n, TEXTS[n % 4]) for n in range(1000)])
    result = await build_services(db).ingest(workspace_id, batch)
    assert result.mentions_added == 1000
    async with db.connection() as conn:
        loads = await conn.fetch(
            """SELECT assignee_id, count(*) AS n FROM thread WHERE workspace_id = $1
               GROUP BY assignee_id""",
            workspace_id,
        )
        kinds = await conn.fetch(
            "SELECT kind, count(*) AS n FROM thread WHERE workspace_id = $1 GROUP BY kind",
            workspace_id,
        )
        stored = await conn.fetchval(
            "SELECT count(*) FROM mention_classification WHERE workspace_id = $1", workspace_id
        )
        french = await conn.fetchrow(
            """SELECT t.language, t.topics, c.reasons
               FROM thread t JOIN mention_classification c
                 ON c.workspace_id = t.workspace_id AND c.thread_id = t.id
               WHERE t.workspace_id = $1 AND t.thread_key = 'c3'""",
            workspace_id,
        )
    per_agent = {row["assignee_id"]: row["n"] for row in loads}
    assert per_agent.pop(None) == 400  # 10 agents x 60: the rest waits in the queue
    assert sorted(per_agent) == sorted(agents)
    assert set(per_agent.values()) == {60}
    assert {row["kind"]: row["n"] for row in kinds} == {
        "complaint": 500, "question": 250, "praise": 250,
    }  # fmt: skip
    assert stored == 1000
    assert french["language"] == "fr"
    assert "billing" in french["topics"]
    assert "preleve deux fois" in french["reasons"]


async def test_the_workspaces_rules_set_team_tags_assignee_and_close_noise(
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    people = PgPeopleStore(db)
    lea = await people.save_agent(workspace_id, "lea@example.com", "Léa", [Role.AGENT], ["finance"])
    await staff(db, workspace_id, 2, capacity=10)
    await services.routing_settings.save(
        workspace_id,
        {"acknowledgements": {"thanks": "Merci, nous revenons vers vous."}},
        {},
        {
            "rules": [
                {"name": "noise", "when": {"kinds": ["praise"]},
                 "then": {"no_reply_needed": True}, "stop": True},
                {"name": "billing", "when": {"topics_any": ["billing"]},
                 "then": {"team": "finance", "tags": ["billing"], "assign_to": "lea@example.com",
                          "auto_acknowledge": "thanks"}},
            ]
        },
    )  # fmt: skip
    await services.ingest(workspace_id, IngestBatch([message(n, TEXTS[n]) for n in range(4)]))
    async with db.connection() as conn:
        billing = await conn.fetchrow(
            """SELECT t.assignee_id, t.tags, tm.name AS team FROM thread t
               JOIN team tm ON tm.workspace_id = t.workspace_id AND tm.id = t.team_id
               WHERE t.workspace_id = $1 AND t.thread_key = 'c3'""",
            workspace_id,
        )
        praise = await conn.fetchrow(
            """SELECT t.status, c.outcome FROM thread t
               JOIN sla_clock c ON c.workspace_id = t.workspace_id AND c.thread_id = t.id
               WHERE t.workspace_id = $1 AND t.thread_key = 'c2'""",
            workspace_id,
        )
        acknowledged = await conn.fetchval(
            "SELECT count(*) FROM outbox_item WHERE workspace_id = $1", workspace_id
        )
        counts = await services.routing_settings.rule_counts(workspace_id)
    assert (billing["assignee_id"], billing["team"], billing["tags"]) == (
        lea,
        "finance",
        ["billing"],
    )
    assert (praise["status"], praise["outcome"]) == ("resolved", "excluded")
    assert acknowledged == 1
    assert counts == {"noise": 1, "billing": 1}


async def test_a_reopened_thread_whose_agent_is_off_shift_goes_to_the_team(
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    ana, ben = await staff(db, workspace_id, 2, capacity=10)
    await services.ingest(workspace_id, IngestBatch([message(0, TEXTS[0], minutes_ago=30)]))
    async with db.connection() as conn:
        holder = await conn.fetchval(
            "SELECT assignee_id FROM thread WHERE workspace_id = $1", workspace_id
        )
        await conn.execute(
            "UPDATE agent SET on_shift = false WHERE workspace_id = $1 AND id = $2",
            workspace_id, holder,
        )  # fmt: skip
    follow_up = mention("m1", author="u0", conversation="c0", text="@acme still down").model_copy(
        update={"created_at": datetime.now(UTC)}
    )
    await services.ingest(workspace_id, IngestBatch([follow_up]))
    async with db.connection() as conn:
        now_held = await conn.fetchval(
            "SELECT assignee_id FROM thread WHERE workspace_id = $1", workspace_id
        )
    assert {holder, now_held} == {ana, ben}


async def test_a_customer_writing_three_times_unanswered_makes_the_thread_high(
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    for n in range(3):
        again = mention(f"r{n}", author="u9", conversation="c9", text="@acme hello?").model_copy(
            update={"created_at": datetime.now(UTC) - timedelta(minutes=30 - n)}
        )
        await services.ingest(workspace_id, IngestBatch([again]))
        async with db.connection() as conn:
            priority = await conn.fetchval(
                "SELECT priority FROM thread WHERE workspace_id = $1", workspace_id
            )
        assert priority == ("high" if n == 2 else "normal")
