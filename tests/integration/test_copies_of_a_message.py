"""A message's text goes with every copy of it, wherever the copy sits. A customer who writes in
someone else's conversation leaves, with their message, that conversation's excerpt, the
correction that kept the message's text and the webhook deliveries of its event, whether an
erasure, retention or a deletion on the network removes it; every other customer's text stays
where it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox.domain.ingestion import IngestBatch, NetworkDeletion
from inbox.store.corrections import PgThreadEditor
from inbox.store.database import Database
from inbox.store.retention import PgRetentionStore
from inbox.store.thread_events import PgThreadEventOutbox
from inbox.usecases.customer_rights import requested_on_command_line
from inbox.usecases.services import Services
from tests.factories import T0, mention
from tests.integration.test_customer_rights import _found_anywhere

pytestmark = pytest.mark.integration

AWAY = "my router died too, call me qwxz-away"  # Zelda's, in Bob's conversation
HOME = "still waiting for the engineer qwxz-home"  # Zelda's, in her own
BOBS = "bob's box blinks red bob-only"
TEXTS = "SELECT external_id, body FROM mention WHERE workspace_id = $1 ORDER BY external_id"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


async def _thread_of(db: Database, workspace_id: int, external_id: str) -> int:
    thread: int = await db.fetchval(
        "SELECT thread_id FROM mention WHERE workspace_id = $1 AND external_id = $2",
        workspace_id,
        external_id,
    )
    return thread


async def _zelda_writes_in_bobs_conversation(
    services: Services, db: Database, workspace_id: int
) -> int:
    """Bob's conversation, where Zelda writes last (its excerpt and a correction of it copy her
    text), and Zelda's own; a webhook that takes texts with every message event queued for it.
    Zelda's customer id."""
    await db.execute(
        "INSERT INTO webhook (workspace_id, url_sealed, url_shown, events, secret_sealed,"
        " include_text) VALUES ($1, 'sealed', 'https://crm.example/hook', '{*}', 's', true)",
        workspace_id,
    )
    await services.ingest(
        workspace_id,
        IngestBatch(
            [
                mention("b1", author="bob", minute=0, conversation="conv-b", text=BOBS),
                mention("z1", author="zelda", minute=1, conversation="conv-z", text=HOME),
                mention("z2", author="zelda", minute=2, conversation="conv-b", text=AWAY),
            ]
        ),
    )
    bobs = await _thread_of(db, workspace_id, "b1")
    assert await _thread_of(db, workspace_id, "z2") == bobs
    async with db.transaction() as conn:
        await PgThreadEditor(conn).correct(workspace_id, bobs, "kind", "complaint", "agent:1")
    assert await PgThreadEventOutbox(db).dispatch(100) >= 3
    copies = await _found_anywhere(db, ("qwxz-away",))
    assert {
        "mention.body",
        "thread.excerpt",
        "classification_correction.text",
        "webhook_delivery.payload",
    } <= set(copies)
    zelda: int = await db.fetchval(
        "SELECT customer_id FROM identity WHERE workspace_id = $1 AND external_user_id = 'zelda'",
        workspace_id,
    )
    return zelda


async def _bobs_text_is_everywhere_it_was(db: Database) -> None:
    assert {"mention.body", "webhook_delivery.payload"} <= set(
        await _found_anywhere(db, ("bob-only",))
    )


async def test_an_erasure_takes_their_message_out_of_another_customers_conversation(
    services: Services, db: Database, workspace_id: int
) -> None:
    zelda = await _zelda_writes_in_bobs_conversation(services, db, workspace_id)

    erasure = await services.customer_rights.erase(
        requested_on_command_line(workspace_id), zelda, reason="request R-120"
    )

    assert await _found_anywhere(db, ("qwxz",)) == []
    await _bobs_text_is_everywhere_it_was(db)
    assert [tuple(row) for row in await db.fetch(TEXTS, workspace_id)] == [
        ("b1", BOBS),
        ("z1", ""),
        ("z2", ""),
    ]
    counts = erasure.counts
    assert (counts["thread_excerpts"], counts["classification_corrections"]) == (2, 1)
    assert counts["webhook_deliveries"] == 2  # one message.received each


async def test_a_post_deleted_on_its_network_leaves_the_conversation_it_was_written_in(
    services: Services, db: Database, workspace_id: int
) -> None:
    await _zelda_writes_in_bobs_conversation(services, db, workspace_id)

    await services.ingest(workspace_id, IngestBatch([], deletions=[NetworkDeletion("x", "z2")]))

    assert await _found_anywhere(db, ("qwxz-away",)) == []
    assert "mention.body" in await _found_anywhere(db, ("qwxz-home",))
    await _bobs_text_is_everywhere_it_was(db)


async def test_retention_of_a_closed_conversation_takes_every_copy_of_its_messages_and_no_other(
    services: Services, db: Database, workspace_id: int
) -> None:
    await _zelda_writes_in_bobs_conversation(services, db, workspace_id)
    bobs = await _thread_of(db, workspace_id, "b1")
    await db.execute(
        "UPDATE thread SET status = 'resolved', resolved_at = $3"
        " WHERE workspace_id = $1 AND id = $2",
        workspace_id,
        bobs,
        T0,
    )

    threads, messages = await PgRetentionStore(db).remove_closed_texts(
        workspace_id, T0 + timedelta(days=1), NOW, dry_run=False
    )

    assert (threads, messages) == (1, 2)
    assert await _found_anywhere(db, ("qwxz-away", "bob-only")) == []
    assert "mention.body" in await _found_anywhere(db, ("qwxz-home",))


async def _zelda_answers_before_bobs_conversation_arrives(
    services: Services, db: Database, workspace_id: int
) -> int:
    """Zelda's reply arrives before the post it answers: her event is written under a thread of
    its own, which merges into Bob's conversation once that post arrives and leaves the event
    under its old id. Bob's conversation's id."""
    await db.execute(
        "INSERT INTO webhook (workspace_id, url_sealed, url_shown, events, secret_sealed,"
        " include_text) VALUES ($1, 'sealed', 'https://crm.example/hook', '{*}', 's', true)",
        workspace_id,
    )
    replies = [
        mention("z2", author="zelda", minute=3, reply_to="b2", text=AWAY),
        mention("b3", author="bob", minute=2, reply_to="b1", text=BOBS),
        mention("b2", author="bob", minute=1, reply_to="b1", text="and again bob-only"),
    ]
    for reply in replies:
        await services.ingest(workspace_id, IngestBatch([reply]))
        assert await PgThreadEventOutbox(db).dispatch(100) >= 1
    bobs = await _thread_of(db, workspace_id, "b3")
    assert await _thread_of(db, workspace_id, "z2") == bobs
    events_elsewhere = await db.fetchval(
        "SELECT count(*) FROM thread_event"
        " WHERE workspace_id = $1 AND message_external_id = 'z2' AND thread_id <> $2",
        workspace_id,
        bobs,
    )
    assert events_elsewhere == 1
    assert "webhook_delivery.payload" in await _found_anywhere(db, ("qwxz-away",))
    return bobs


async def test_a_deleted_post_leaves_the_delivery_of_its_event_under_a_merged_threads_old_id(
    services: Services, db: Database, workspace_id: int
) -> None:
    await _zelda_answers_before_bobs_conversation_arrives(services, db, workspace_id)

    await services.ingest(workspace_id, IngestBatch([], deletions=[NetworkDeletion("x", "z2")]))

    assert await _found_anywhere(db, ("qwxz-away",)) == []
    await _bobs_text_is_everywhere_it_was(db)


async def test_retention_leaves_no_text_in_the_deliveries_of_a_merged_threads_events(
    services: Services, db: Database, workspace_id: int
) -> None:
    bobs = await _zelda_answers_before_bobs_conversation_arrives(services, db, workspace_id)
    await db.execute(
        "UPDATE thread SET status = 'resolved', resolved_at = $3"
        " WHERE workspace_id = $1 AND id = $2",
        workspace_id,
        bobs,
        T0,
    )

    await PgRetentionStore(db).remove_closed_texts(
        workspace_id, T0 + timedelta(days=1), NOW, dry_run=False
    )

    assert await _found_anywhere(db, ("qwxz-away", "bob-only")) == []
