"""Removing a thread's texts, as retention and an erasure both do it: every text goes and
every row stays; what still waits for someone keeps its text for retention (a queued reply is
still sent, an answer still reviewed) and is given up for an erasure; each message says why
its text is gone."""

from __future__ import annotations

import pytest

from inbox.domain.ingestion import IngestBatch
from inbox.store.database import Database
from inbox.store.text_removal import Why, remove_texts
from inbox.usecases.services import Services
from tests.factories import T0, mention

pytestmark = pytest.mark.integration


async def _thread_with_waiting_texts(services: Services, db: Database, workspace_id: int) -> int:
    """A thread with a message, a note, a reply sent and one queued, and a community answer
    reviewed and one waiting. Its id."""
    await services.ingest(workspace_id, IngestBatch([mention("1", text="my box is dead")]))
    thread: int = await db.fetchval("SELECT id FROM thread WHERE workspace_id = $1", workspace_id)
    await db.execute(
        "INSERT INTO note (workspace_id, thread_id, author_agent_id, body)"
        " VALUES ($1, $2, 1, 'called them')",
        workspace_id,
        thread,
    )
    for key, status in (("sent", "sent"), ("queued", "pending")):
        await db.execute(
            "INSERT INTO outbox_item (workspace_id, thread_id, network, kind, idempotency_key,"
            " body, recipient_id, status) VALUES ($1, $2, 'x', 'reply', $3, $4, 'u1', $5)",
            workspace_id,
            thread,
            key,
            f"reply {key}",
            status,
        )
    for member, status in ((1, "approved"), (2, "pending")):
        await db.execute(
            "INSERT INTO community_answer (workspace_id, thread_id, member_id, body, status)"
            " VALUES ($1, $2, $3, $4, $5)",
            workspace_id,
            thread,
            member,
            f"answer {status}",
            status,
        )
    return thread


async def _remove(db: Database, workspace_id: int, thread: int, why: Why) -> dict[str, int]:
    async with db.transaction() as conn:
        return await remove_texts(
            conn,
            workspace_id,
            threads=[thread],
            messages=[("x", "1")],
            now=T0,
            why=why,
            give_up_waiting=why is Why.ERASED,
        )


async def _state(db: Database, workspace_id: int) -> dict[str, object]:
    message = await db.fetchrow(
        "SELECT body, raw::text AS raw, text_removed_reason FROM mention WHERE workspace_id = $1",
        workspace_id,
    )
    assert message is not None
    replies = await db.fetch(
        "SELECT idempotency_key, status, body FROM outbox_item WHERE workspace_id = $1",
        workspace_id,
    )
    answers = await db.fetch(
        "SELECT member_id, status, body FROM community_answer WHERE workspace_id = $1",
        workspace_id,
    )
    return {
        "message": (message["body"], message["raw"], message["text_removed_reason"]),
        "notes": await db.fetchval("SELECT array_agg(body) FROM note WHERE workspace_id = $1",
                                   workspace_id),
        "replies": {r["idempotency_key"]: (r["status"], r["body"]) for r in replies},
        "answers": {a["member_id"]: (a["status"], a["body"]) for a in answers},
    }  # fmt: skip


async def test_retention_keeps_what_still_waits_with_its_text_and_empties_the_rest(
    services: Services, db: Database, workspace_id: int
) -> None:
    thread = await _thread_with_waiting_texts(services, db, workspace_id)

    counts = await _remove(db, workspace_id, thread, Why.RETENTION)

    assert await _state(db, workspace_id) == {
        "message": ("", "{}", "retention"),
        "notes": [""],
        "replies": {"sent": ("sent", ""), "queued": ("pending", "reply queued")},
        "answers": {1: ("approved", ""), 2: ("pending", "answer pending")},
    }
    assert (counts["messages"], counts["thread_notes"], counts["outbox_items"]) == (1, 1, 1)


async def test_an_erasure_gives_up_what_still_waits_and_says_the_message_was_erased(
    services: Services, db: Database, workspace_id: int
) -> None:
    thread = await _thread_with_waiting_texts(services, db, workspace_id)

    counts = await _remove(db, workspace_id, thread, Why.ERASED)

    assert await _state(db, workspace_id) == {
        "message": ("", "{}", "erased"),
        "notes": [""],
        "replies": {"sent": ("sent", ""), "queued": ("failed", "")},
        "answers": {1: ("approved", ""), 2: ("rejected", "")},
    }
    assert (counts["outbox_items"], counts["community_answers"]) == (2, 2)


async def test_a_text_removed_once_is_not_counted_or_relabelled_again(
    services: Services, db: Database, workspace_id: int
) -> None:
    thread = await _thread_with_waiting_texts(services, db, workspace_id)
    await _remove(db, workspace_id, thread, Why.RETENTION)

    again = await _remove(db, workspace_id, thread, Why.ERASED)

    assert again["messages"] == 0
    assert (await _state(db, workspace_id))["message"] == ("", "{}", "retention")
