"""Removing texts in place, for retention's closed threads, a customer's erasure and a post
deleted on its network alike: the same columns of the same tables emptied the same way,
set-based over the ids of a batch.

A row whose text goes keeps everything else (its thread, times, direction, classification's
decisions), so every count and timing a report reads is unchanged. Messages are named by key,
and what copied a message's text goes with it wherever it sits (a customer's messages can sit
in other people's threads): the excerpt of its thread, a correction that kept it, the
classifier's cues and the webhook deliveries of its events. Everything else about a thread
(notes, replies, community answers, corrections, events and their webhook deliveries) goes by
the thread's id. Who asked decides one thing only: whether what is still waiting (a reply not
sent yet, an answer not reviewed yet) keeps its text to be sent or is given up with it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from enum import StrEnum

from inbox.domain.thread_events import MESSAGE_EVENT_KINDS
from inbox.store import thread_sql
from inbox.store.database import Connection


class Why(StrEnum):
    """Why a message's text was removed, as `mention.text_removed_reason` records it and the
    thread page says it."""

    RETENTION = "retention"
    ERASED = "erased"
    DELETED_ON_NETWORK = "deleted_on_network"


# The messages of a selection of threads ($2) whose text is still there.
MESSAGES_OF_THREADS = """
SELECT network, external_id FROM mention
WHERE workspace_id = $1 AND thread_id = ANY($2::bigint[]) AND text_removed_at IS NULL
"""

# --- by message: $1 workspace, $2 networks, $3 external ids (in pairs) ---------------------

# $4 now (NULL: the transaction's time, for ingestion, which has no clock of its own), $5 why.
# The row as it was (`was`, read in the statement's snapshot) gives the text its copies are
# found by.
MESSAGE_TEXTS = """
UPDATE mention m
SET body = '', raw = '{}'::jsonb, media = NULL,
    text_removed_at = coalesce($4::timestamptz, now()), text_removed_reason = $5,
    raw_removed_at = coalesce(m.raw_removed_at, $4::timestamptz, now())
FROM unnest($2::text[], $3::text[]) AS k(network, external_id), mention was
WHERE m.workspace_id = $1 AND m.network = k.network AND m.external_id = k.external_id
  AND m.text_removed_at IS NULL
  AND was.workspace_id = $1 AND was.network = m.network AND was.external_id = m.external_id
RETURNING m.thread_id, m.network, m.external_id, was.body
"""
# The classifier's reasons quote the words that matched (cues), its personal data holds
# masked pieces of the text: both go, the decisions stay (incidents group by them).
CLASSIFIER_CUES = """
UPDATE mention_classification mc
SET reasons = coalesce((SELECT jsonb_agg(r - 'cue') FROM jsonb_array_elements(mc.reasons) r),
                       '[]'),
    personal_data = coalesce((SELECT jsonb_agg(p - 'masked')
                              FROM jsonb_array_elements(mc.personal_data) p), '[]')
FROM unnest($2::text[], $3::text[]) AS k(network, external_id)
WHERE mc.workspace_id = $1 AND mc.network = k.network AND mc.external_id = k.external_id
  AND (mc.reasons <> '[]' OR mc.personal_data <> '[]')
"""


# A delivery to a webhook that takes texts carries the message's text as it was when its event
# was queued (`data.text`). The deliveries of a selection of events are found in two steps:
# their keys first (the delivery's unique key: webhook, event key), then each delivery by its
# key. The planner then knows how many keys there are; a join on the computed key alone can
# be planned, on tables whose statistics are not there yet (just after a bulk import), as
# every delivery against every event.
DELIVERIES_WITHOUT_TEXT = """
UPDATE webhook_delivery d
SET payload = jsonb_set(d.payload, '{data}', (d.payload -> 'data') - 'text')
FROM unnest($2::bigint[], $3::text[]) AS k(webhook_id, event_key)
WHERE d.workspace_id = $1 AND d.webhook_id = k.webhook_id AND d.event_key = k.event_key
  AND d.payload -> 'data' ? 'text'
"""


def delivery_keys(events: str, where: str) -> str:
    """The keys of the deliveries of the events that `events` (a FROM list naming
    `thread_event e`) and `where` select in workspace $1, as two arrays: webhook ids and
    event keys, in pairs."""
    key = "e.kind || ':' || e.workspace_id || ':' || e.thread_id || '.' || e.seq"
    return f"""
SELECT coalesce(array_agg(w.id), '{{}}'), coalesce(array_agg({key}), '{{}}')
FROM {events}, webhook w
WHERE w.workspace_id = $1 AND e.workspace_id = $1 AND {where}
"""  # noqa: S608 (the callers' constants only)


# --- what copied the removed messages' texts: $1 workspace, then the removed rows ------------

# Their own events, wherever they sit (the index on the event's message): $2 networks,
# $3 external ids.
MESSAGE_DELIVERY_KEYS = delivery_keys(
    "unnest($2::text[], $3::text[]) AS r(network, external_id), thread_event e",
    "e.message_network = r.network AND e.message_external_id = r.external_id",
)
# A correction keeps the text of its thread's latest message when it was made: one that
# equals a removed text, in that message's thread ($2 thread ids, $3 the texts as they were).
MESSAGE_CORRECTIONS = """
UPDATE classification_correction c SET text = ''
FROM unnest($2::bigint[], $3::text[]) AS r(thread_id, body)
WHERE c.workspace_id = $1 AND c.thread_id = r.thread_id AND c.text = r.body AND c.text <> ''
"""
# A thread's excerpt is its latest message, cut: found by the same pairs as the corrections.
MESSAGE_EXCERPTS = thread_sql.CLEAR_DELETED_EXCERPTS

# --- by thread: $1 workspace, $2 thread ids -------------------------------------------------

THREAD_TEXTS = {
    "thread_excerpts": thread_sql.EMPTY_EXCERPTS,
    "thread_notes": """
UPDATE note SET body = ''
WHERE workspace_id = $1 AND thread_id = ANY($2::bigint[]) AND body <> ''
""",
    # A correction keeps the text it corrected; without it, it teaches the classifier nothing
    # (the learning reads only corrections with a text) and stays as a count.
    "classification_corrections": """
UPDATE classification_correction SET text = ''
WHERE workspace_id = $1 AND thread_id = ANY($2::bigint[]) AND text <> ''
""",
    "thread_events": """
UPDATE thread_event SET data = data - 'text'
WHERE workspace_id = $1 AND thread_id = ANY($2::bigint[]) AND data ? 'text'
""",
}
THREAD_DELIVERY_KEYS = delivery_keys(
    "thread_event e", f"e.thread_id = ANY($2::bigint[]) AND e.kind IN {MESSAGE_EVENT_KINDS!r}"
)
# What still waits for someone: $3 says whether it is given up with its text (a reply not sent
# is not sent at all, an answer not reviewed is rejected) or keeps its text to be sent.
WAITING_TEXTS = {
    "outbox_items": """
UPDATE outbox_item
SET body = '',
    status = CASE WHEN status IN ('pending', 'sending') THEN 'failed' ELSE status END,
    last_error = CASE WHEN status IN ('pending', 'sending')
                      THEN 'given up: its text was removed before it was sent'
                      ELSE last_error END,
    updated_at = now()
WHERE workspace_id = $1 AND thread_id = ANY($2::bigint[]) AND body <> ''
  AND ($3 OR status IN ('sent', 'failed'))
""",
    "community_answers": """
UPDATE community_answer
SET body = '', posted_body = NULL, review_note = NULL,
    status = CASE WHEN status = 'pending' THEN 'rejected' ELSE status END,
    reviewed_at = CASE WHEN status = 'pending' THEN now() ELSE reviewed_at END
WHERE workspace_id = $1 AND thread_id = ANY($2::bigint[]) AND ($3 OR status <> 'pending')
  AND (body <> '' OR posted_body IS NOT NULL OR review_note IS NOT NULL)
""",
}


async def remove_texts(
    conn: Connection,
    workspace_id: int,
    *,
    threads: Sequence[int],
    messages: Collection[tuple[str, str]],
    now: datetime,
    why: Why,
    give_up_waiting: bool,
) -> dict[str, int]:
    """Empty the texts of `messages` (network, external id), of what copied them and of
    everything about `threads`, on the caller's transaction; how many rows each table had
    changed, by name (`messages` counts the messages whose text was still there)."""
    counts = await remove_message_texts(conn, workspace_id, messages, now=now, why=why)
    by_thread = (workspace_id, list(threads))
    for name, sql in THREAD_TEXTS.items():
        counts[name] = counts.get(name, 0) + row_count(await conn.execute(sql, *by_thread))
    counts["webhook_deliveries"] += await _remove_delivery_texts(
        conn, THREAD_DELIVERY_KEYS, *by_thread
    )
    for name, sql in WAITING_TEXTS.items():
        counts[name] = row_count(await conn.execute(sql, *by_thread, give_up_waiting))
    return counts


async def remove_message_texts(
    conn: Connection,
    workspace_id: int,
    messages: Collection[tuple[str, str]],
    *,
    now: datetime | None,
    why: Why,
) -> dict[str, int]:
    """Empty the texts of `messages` (network, external id), what the classifier kept of them
    and every copy of them, in whichever thread; how many messages lost their text (those
    that still had one), and how many rows of each copy changed."""
    by_message = (
        workspace_id,
        [network for network, _ in messages],
        [external_id for _, external_id in messages],
    )
    removed = await conn.fetch(MESSAGE_TEXTS, *by_message, now, str(why))
    counts = {
        "messages": len(removed),
        "classifications": row_count(await conn.execute(CLASSIFIER_CUES, *by_message)),
    }
    keys = ([row["network"] for row in removed], [row["external_id"] for row in removed])
    threaded = [row for row in removed if row["thread_id"] is not None]
    texts = ([row["thread_id"] for row in threaded], [row["body"] for row in threaded])
    counts["webhook_deliveries"] = await _remove_delivery_texts(
        conn, MESSAGE_DELIVERY_KEYS, workspace_id, *keys
    )
    counts["classification_corrections"] = row_count(
        await conn.execute(MESSAGE_CORRECTIONS, workspace_id, *texts)
    )
    counts["thread_excerpts"] = row_count(
        await conn.execute(MESSAGE_EXCERPTS, workspace_id, *texts)
    )
    return counts


async def _remove_delivery_texts(
    conn: Connection, keys_sql: str, workspace_id: int, *selection: Sequence[object]
) -> int:
    """Take the text out of the deliveries `keys_sql` names; how many had one."""
    keys = await conn.fetchrow(keys_sql, workspace_id, *selection)
    assert keys is not None
    status = await conn.execute(DELIVERIES_WITHOUT_TEXT, workspace_id, keys[0], keys[1])
    return row_count(status)


def row_count(status: str) -> int:
    """The count of an `UPDATE n` command status."""
    return int(status.rsplit(" ", 1)[-1])
