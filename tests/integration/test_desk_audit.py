"""What a person does on a thread is kept in the audit trail: taking it, giving it to someone,
a note about the thread or its customer, a correction of its classification; with ids, never
a note's text."""

from __future__ import annotations

import json

import pytest

from inbox.bootstrap import build_services
from inbox.domain.ingestion import IngestBatch
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.store.database import Database
from inbox.usecases.audit import actor_of
from tests.factories import mention
from tests.integration.people import agent_of_team

pytestmark = pytest.mark.integration


async def test_taking_giving_and_noting_a_thread_each_leave_one_audit_row(
    db: Database, workspace_id: int
) -> None:
    services = build_services(db)
    ana = await agent_of_team(db, workspace_id, "ana", "Ana", capacity=5, team="care")
    ben = await agent_of_team(db, workspace_id, "ben", "Ben", capacity=5, team="care")
    await services.ingest(workspace_id, IngestBatch([mention("a1", conversation="a")]))
    (row,) = await services.list_threads(workspace_id)
    as_ana = WebSession(workspace_id, ana, "Ana", frozenset({Role.AGENT}), "t", address="10.0.0.9")
    pages = services.inbox_pages

    await pages.take(as_ana, row.id)
    await pages.assign(as_ana, row.id, ben, None)
    await pages.add_note(as_ana, row.id, "@ben the secret order number is 42")
    await pages.add_customer_note(as_ana, row.id, "prefers French")
    await services.correct_classification(workspace_id, row.id, "urgency", "high", actor_of(as_ana))

    rows = await db.fetch(
        "SELECT action, actor_id, actor_name, object_id, summary, address FROM audit_entry"
        " WHERE workspace_id = $1 ORDER BY id",
        workspace_id,
    )
    assert [(r["action"], r["object_id"]) for r in rows] == [
        ("thread_taken", str(row.id)),
        ("thread_assigned", str(row.id)),
        ("note_added", str(row.id)),
        ("customer_note_added", str(row.id)),
        ("classification_corrected", str(row.id)),
    ]
    assert {(r["actor_id"], r["actor_name"], r["address"]) for r in rows} == {
        (ana, "Ana", "10.0.0.9")
    }
    assert json.loads(rows[1]["summary"]) == {"agent_id": ben, "team_id": None}
    assert json.loads(rows[4]["summary"])["new"] == "high"
    assert not any("secret" in r["summary"] or "French" in r["summary"] for r in rows)
