"""What the web pages show: the inbox list and a thread with its conversation."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from inbox.domain.clock import utc_now
from inbox.domain.media import MediaAttachment
from inbox.domain.outbox import OutboxKind
from inbox.domain.replies import ThreadIncident, ThreadReplyFacts
from inbox.domain.web import (
    ANY,
    HISTORY_READ,
    InboxFilters,
    InboxRow,
    PageAttachment,
    PageCustomer,
    PageIdentity,
    PageMessage,
    PageNote,
    PageNotification,
    PastThread,
    PendingMessage,
    SearchResults,
    Sender,
    ThreadPage,
    can_go_private,
    post_url,
    profile_url,
)
from inbox.store import live_sql
from inbox.store.assignment import PgAssignmentWriter
from inbox.store.database import Database, Reads
from inbox.store.thread_sql import AWAITING_ANSWER_SQL, OPEN_STATUSES_SQL

# What an inbox row shows of a thread `t` (see `inbox_row`): the author from the thread's
# latest customer message, and the customer's real wait. "Answered" is always by a person
# (`last_answered_at`): an automated acknowledgement leaves the customer waiting, as it
# leaves their SLA clocks running.
ROW_COLUMNS = """
       t.id, t.network, t.status, t.priority, t.kind, t.language, t.topics, t.tags, t.excerpt,
       t.sla_due_at, t.last_inbound_at, t.last_answered_at, t.assignee_id,
       a.display_name AS assignee, who.author_handle, who.author_name,
       -- the customer's real wait: from their oldest message nobody has answered
       CASE WHEN t.last_inbound_at IS NULL THEN NULL
            WHEN t.last_answered_at IS NULL THEN t.opened_at
            WHEN t.last_answered_at >= t.last_inbound_at THEN NULL
            ELSE (SELECT min(m.created_at) FROM mention m
                  WHERE m.workspace_id = t.workspace_id AND m.thread_id = t.id
                    AND m.direction = 'inbound' AND m.created_at > t.last_answered_at)
       END AS waiting_since,
       clock.started_at AS sla_started_at, clock.warn_at AS sla_warn_at"""
ROW_JOINS = """
LEFT JOIN agent a ON a.workspace_id = t.workspace_id AND a.id = t.assignee_id
LEFT JOIN LATERAL (
    SELECT m.author_handle, m.author_name FROM mention m
    WHERE m.workspace_id = t.workspace_id AND m.thread_id = t.id AND m.direction = 'inbound'
    ORDER BY m.created_at DESC LIMIT 1
) who ON true
-- the running clock the row's SLA bar measures: the one due at the thread's deadline
LEFT JOIN LATERAL (
    SELECT c.started_at, c.warn_at FROM sla_clock c
    WHERE c.workspace_id = t.workspace_id AND c.thread_id = t.id AND c.stopped_at IS NULL
      AND c.deadline = t.sla_due_at
    ORDER BY c.started_at LIMIT 1
) clock ON true"""
# Views: mine, team, unassigned, waiting, community, snoozed, all. Most urgent deadline
# first; threads without one after, newest first. One query, written for the view and the
# filters asked (`inbox_query`): a statement with "$n IS NULL OR ..." for every filter gets,
# once PostgreSQL plans it generically after five runs, a plan that reads every open thread
# (1 ms became 90 ms at 20,000 threads). $1 workspace, $2 limit, $3 now, then the agent
# when the view names them ($4), the filters' values in the order asked and, for a live
# update, the changed threads' ids (their rows only, the plan starting from them).
_VIEW_WHERE = {
    "mine": "t.assignee_id = $4",
    "unassigned": "t.assignee_id IS NULL",
    "team": "t.team_id IN (SELECT m.team_id FROM team_member m"
    " WHERE m.workspace_id = $1 AND m.agent_id = $4)",
    "waiting": "t.last_answered_at IS NOT NULL"
    " AND t.last_answered_at >= coalesce(t.last_inbound_at, '-infinity')",
    "community": "t.community",
    "snoozed": "",
    "all": "",
}
_FILTER_WHERE = {
    "network": "t.network = {}",
    "kind": "t.kind = {}",
    "priority": "t.priority = {}",
    "language": "t.language = {}",
    "topic": "{} = ANY (t.topics)",
    "tag": "t.tags @> ARRAY[{}::text]",
}
# The views whose condition names the agent.
_VIEWS_OF_AGENT = frozenset({"mine", "team"})
_SLA_WHERE = {
    "breached": "t.sla_due_at < $3",
    "at_risk": "t.sla_due_at >= $3 AND t.sla_due_at < $3 + interval '15 minutes'",
    "on_time": "t.sla_due_at >= $3 + interval '15 minutes'",
    "none": "t.sla_due_at IS NULL",
}


@functools.lru_cache(maxsize=512)
def inbox_query(view: str, filtered: tuple[str, ...], sla: str | None, by_ids: bool) -> str:
    """The statement of one view with the filters named in `filtered` (their values are
    passed in that order, after the agent if the view names them) and the SLA state `sla`;
    `by_ids`: the changed threads' rows only (their ids the last parameter)."""
    where = [
        "t.workspace_id = $1",
        f"t.status IN {OPEN_STATUSES_SQL}",
        # a snoozed thread shows only in the snoozed view until its time comes
        "coalesce(t.snoozed_until > $3, false)"
        if view == "snoozed"
        else "NOT coalesce(t.snoozed_until > $3, false)",
    ]
    if _VIEW_WHERE.get(view):
        where.append(_VIEW_WHERE[view])
    first = 5 if view in _VIEWS_OF_AGENT else 4
    for number, name in enumerate(filtered, start=first):
        where.append(_FILTER_WHERE[name].format(f"${number}"))
    if sla is not None:
        where.append(_SLA_WHERE[sla])
    if by_ids:
        where.append(f"t.id = ANY (${first + len(filtered)}::bigint[])")
    conditions = "\n  AND ".join(where)
    return f"""
SELECT {ROW_COLUMNS}
FROM thread t {ROW_JOINS}
WHERE {conditions}
ORDER BY t.sla_due_at NULLS LAST, t.last_inbound_at DESC NULLS LAST, t.id DESC
LIMIT $2
"""  # noqa: S608 (fixed fragments only; every value is a parameter)


# The thread, its customer's real wait (as its row says it) and their latest message.
_WAITING_SINCE = ROW_COLUMNS[ROW_COLUMNS.index("CASE WHEN") : ROW_COLUMNS.index("AS waiting_since")]
THREAD = f"""
SELECT t.id, t.network, t.status, t.priority, t.kind, t.language, t.topics, t.tags,
       t.personal_data, t.sla_due_at, a.display_name AS assignee, tm.name AS team,
       t.snoozed_until, t.private, t.opened_at,
       coalesce(t.last_answered_at >= t.last_inbound_at, false) AS answered,
       {_WAITING_SINCE} AS waiting_since,
       who.author_handle, who.author_external_id, who.external_id AS latest_inbound
FROM thread t
LEFT JOIN agent a ON a.workspace_id = t.workspace_id AND a.id = t.assignee_id
LEFT JOIN team tm ON tm.workspace_id = t.workspace_id AND tm.id = t.team_id
LEFT JOIN LATERAL (
    SELECT m.author_handle, m.author_external_id, m.external_id FROM mention m
    WHERE m.workspace_id = t.workspace_id AND m.thread_id = t.id AND m.direction = 'inbound'
    ORDER BY m.created_at DESC LIMIT 1
) who ON true
WHERE t.workspace_id = $1 AND t.id = $2
"""  # noqa: S608 (constants only)
# Colleagues with the reply box open on the thread in the last two minutes, the viewer aside.
REPLYING = """
SELECT a.display_name FROM thread_presence p
JOIN agent a ON a.workspace_id = p.workspace_id AND a.id = p.agent_id
WHERE p.workspace_id = $1 AND p.thread_id = $2 AND p.agent_id <> $3
  AND p.replying_at > $4::timestamptz - interval '2 minutes'
ORDER BY p.replying_at
"""
COLLEAGUES = """
SELECT id, display_name FROM agent
WHERE workspace_id = $1 AND active AND roles && ARRAY['agent', 'lead']::text[]
ORDER BY display_name, id
"""
TEAMS = "SELECT id, name FROM team WHERE workspace_id = $1 ORDER BY name, id"
TEAMS_OF = "SELECT team_id FROM team_member WHERE workspace_id = $1 AND agent_id = $2"
# Each change a person makes to a thread is announced to the pages in its own statement.
SNOOZE = f"""
WITH snoozed AS (
    UPDATE thread SET snoozed_until = $3, updated_at = now()
    WHERE workspace_id = $1 AND id = $2 AND status IN {OPEN_STATUSES_SQL}
    RETURNING *
)
SELECT t.id, {live_sql.NOTIFY_ONE_THREAD} FROM snoozed t
"""  # noqa: S608 (constants only)
# A snooze whose time has come ends: the thread is back in its views, announced with it.
WAKE_SNOOZED = f"""
UPDATE thread SET snoozed_until = NULL, updated_at = now()
WHERE workspace_id = $1 AND status IN {OPEN_STATUSES_SQL} AND snoozed_until <= $2
RETURNING id
"""  # noqa: S608 (constants only)
# The conversation: each message with the classifier's reading of it and, for the brand's,
# the outbox item that sent it (who queued it; a community member's answer and who let it
# through). A brand message no item sent was posted on the network itself.
MESSAGES = """
SELECT m.direction, m.network, m.external_id, m.author_handle, m.author_name, m.body,
       m.created_at, m.url, m.automated, m.private, m.media,
       c.reasons, c.kind, c.language, c.urgency, c.topics,
       sent.outbox_id, sent.sent_by, sent.member
FROM mention m
LEFT JOIN mention_classification c
       ON c.workspace_id = m.workspace_id AND c.network = m.network
      AND c.external_id = m.external_id
LEFT JOIN LATERAL (
    SELECT o.id AS outbox_id, s.display_name AS sent_by, member.display_name AS member
    FROM outbox_item o
    LEFT JOIN agent s ON s.workspace_id = o.workspace_id AND s.id = o.agent_id
    LEFT JOIN community_answer ca
           ON ca.workspace_id = o.workspace_id AND ca.outbox_item_id = o.id
    LEFT JOIN agent member ON member.workspace_id = ca.workspace_id AND member.id = ca.member_id
    WHERE m.direction = 'outbound' AND o.workspace_id = m.workspace_id
      AND o.network = m.network AND o.sent_external_id = m.external_id
    ORDER BY o.id LIMIT 1
) sent ON true
WHERE m.workspace_id = $1 AND m.thread_id = $2
ORDER BY m.created_at, m.external_id
LIMIT 500
"""
# What the brand queued on the thread that has not left yet (or failed to).
PENDING = """
SELECT o.kind, o.body, o.status, o.last_error, o.created_at, a.display_name AS sent_by
FROM outbox_item o
LEFT JOIN agent a ON a.workspace_id = o.workspace_id AND a.id = o.agent_id
WHERE o.workspace_id = $1 AND o.thread_id = $2 AND o.status <> 'sent'
ORDER BY o.created_at, o.id
LIMIT 20
"""


ADD_NOTE = """
INSERT INTO note (workspace_id, thread_id, author_agent_id, body)
SELECT $1, id, $3, $4 FROM thread WHERE workspace_id = $1 AND id = $2
RETURNING id
"""
# Everyone active the note names by handle (their e-mail's local part), the writer aside.
NOTIFY_NAMED = """
INSERT INTO agent_notification (workspace_id, agent_id, kind, thread_id, note_id, by_agent_id)
SELECT $1, a.id, 'note_mention', $2, $3, $4 FROM agent a
WHERE a.workspace_id = $1 AND a.active AND a.id <> $4
  AND lower(split_part(a.email, '@', 1)) = ANY ($5::text[])
RETURNING agent_id
"""
NOTIFICATIONS = """
SELECT n.id, n.kind, n.thread_id, coalesce(b.display_name, '') AS by,
       coalesce(left(nt.body, 140), '') AS excerpt, n.created_at, n.read_at IS NOT NULL AS read
FROM agent_notification n
LEFT JOIN agent b ON b.workspace_id = n.workspace_id AND b.id = n.by_agent_id
LEFT JOIN note nt ON nt.workspace_id = n.workspace_id AND nt.id = n.note_id
WHERE n.workspace_id = $1 AND n.agent_id = $2
ORDER BY n.id DESC
LIMIT $3
"""
MARK_READ = """
UPDATE agent_notification SET read_at = $3
WHERE workspace_id = $1 AND agent_id = $2 AND read_at IS NULL
"""
# The customer behind a thread: owner, VIP, CRM id; their identities on every network;
# their other threads, the latest first, with how many there are in all.
CUSTOMER = """
SELECT c.id, c.display_name, c.crm_external_id, c.vip, o.display_name AS owner
FROM thread t
JOIN customer c ON c.workspace_id = t.workspace_id AND c.id = t.customer_id
LEFT JOIN agent o ON o.workspace_id = c.workspace_id AND o.id = c.owner_agent_id
WHERE t.workspace_id = $1 AND t.id = $2
"""
IDENTITIES = """
SELECT i.network, coalesce(i.handle, i.external_user_id) AS handle
FROM thread t
JOIN identity i ON i.workspace_id = t.workspace_id AND i.customer_id = t.customer_id
WHERE t.workspace_id = $1 AND t.id = $2
ORDER BY i.network, i.handle
LIMIT 50
"""
OTHER_THREADS = """
SELECT o.id, o.network, o.status, o.excerpt, o.opened_at, count(*) OVER () AS total
FROM thread t JOIN thread o ON o.workspace_id = t.workspace_id AND o.customer_id = t.customer_id
WHERE t.workspace_id = $1 AND t.id = $2 AND o.id <> t.id
ORDER BY o.opened_at DESC
LIMIT $3
"""
# Notes about the thread's customer, and adding one (through the thread: its customer).
CUSTOMER_NOTES = """
SELECT n.body, n.created_at, a.display_name AS author
FROM thread t
JOIN customer_note n ON n.workspace_id = t.workspace_id AND n.customer_id = t.customer_id
LEFT JOIN agent a ON a.workspace_id = n.workspace_id AND a.id = n.author_agent_id
WHERE t.workspace_id = $1 AND t.id = $2
ORDER BY n.created_at, n.id
LIMIT 200
"""
ADD_CUSTOMER_NOTE = """
INSERT INTO customer_note (workspace_id, customer_id, author_agent_id, body)
SELECT $1, customer_id, $3, $4 FROM thread
WHERE workspace_id = $1 AND id = $2 AND customer_id IS NOT NULL
RETURNING id
"""
NOTES = """
SELECT n.body, n.created_at, a.display_name AS author
FROM note n LEFT JOIN agent a ON a.workspace_id = n.workspace_id AND a.id = n.author_agent_id
WHERE n.workspace_id = $1 AND n.thread_id = $2
ORDER BY n.created_at, n.id
LIMIT 200
"""


# How many open threads each view holds for the agent, as INBOX selects them (filters aside).
VIEW_COUNTS = f"""
SELECT count(*) FILTER (WHERE t.assignee_id = $2 AND NOT snoozed) AS mine,
       count(*) FILTER (WHERE t.team_id IN (SELECT m.team_id FROM team_member m
                                            WHERE m.workspace_id = $1 AND m.agent_id = $2)
                        AND NOT snoozed) AS team,
       count(*) FILTER (WHERE t.assignee_id IS NULL AND NOT snoozed) AS unassigned,
       count(*) FILTER (WHERE t.last_answered_at IS NOT NULL
                        AND t.last_answered_at >= coalesce(t.last_inbound_at, '-infinity')
                        AND NOT snoozed) AS waiting,
       count(*) FILTER (WHERE t.community AND NOT snoozed) AS community,
       count(*) FILTER (WHERE snoozed) AS snoozed,
       count(*) FILTER (WHERE NOT snoozed) AS "all"
FROM thread t
CROSS JOIN LATERAL (SELECT coalesce(t.snoozed_until > $3, false) AS snoozed) s
WHERE t.workspace_id = $1 AND t.status IN {OPEN_STATUSES_SQL}
"""  # noqa: S608 (constants only)
# What a reply to the thread is checked against: the facts selecting its SLA policy (and the
# calendar of its latest clock), the customer's latest message and what they wrote.
REPLY_FACTS = """
SELECT t.network, t.private, t.language, t.kind, t.priority, t.team_id, tm.name AS team,
       coalesce(c.vip, false) AS vip,
       (SELECT k.calendar FROM sla_clock k
        WHERE k.workspace_id = t.workspace_id AND k.thread_id = t.id
        ORDER BY k.started_at DESC LIMIT 1) AS calendar,
       who.author_handle, who.author_external_id, who.external_id AS latest_inbound,
       coalesce((SELECT array_agg(w.body ORDER BY w.created_at DESC) FROM (
                    SELECT m.body, m.created_at FROM mention m
                    WHERE m.workspace_id = t.workspace_id AND m.thread_id = t.id
                      AND m.direction = 'inbound'
                    ORDER BY m.created_at DESC LIMIT 20) w), '{}') AS customer_texts
FROM thread t
LEFT JOIN team tm ON tm.workspace_id = t.workspace_id AND tm.id = t.team_id
LEFT JOIN customer c ON c.workspace_id = t.workspace_id AND c.id = t.customer_id
LEFT JOIN LATERAL (
    SELECT m.author_handle, m.author_external_id, m.external_id FROM mention m
    WHERE m.workspace_id = t.workspace_id AND m.thread_id = t.id AND m.direction = 'inbound'
    ORDER BY m.created_at DESC LIMIT 1
) who ON true
WHERE t.workspace_id = $1 AND t.id = $2
"""
OPEN_INCIDENTS = """
SELECT i.title, i.keywords, i.places
FROM incident_thread l
JOIN incident i ON i.workspace_id = l.workspace_id AND i.id = l.incident_id
WHERE l.workspace_id = $1 AND l.thread_id = $2 AND i.status = 'open'
ORDER BY i.id
LIMIT 10
"""


# An agent's own figures: only theirs, never colleagues'.
MY_FIGURES = f"""
SELECT
  (SELECT count(*) FROM thread WHERE workspace_id = $1 AND assignee_id = $2
     AND status IN {OPEN_STATUSES_SQL}) AS open_threads,
  (SELECT count(*) FROM thread WHERE workspace_id = $1 AND assignee_id = $2
     AND status IN {AWAITING_ANSWER_SQL} AND sla_due_at BETWEEN $3 AND $3 + interval '15 minutes')
     AS at_risk,
  (SELECT count(*) FROM thread WHERE workspace_id = $1 AND assignee_id = $2
     AND status IN {AWAITING_ANSWER_SQL} AND sla_due_at < $3) AS overdue,
  (SELECT count(*) FROM assignment WHERE workspace_id = $1 AND agent_id = $2
     AND at >= date_trunc('day', $3)) AS assigned_today,
  (SELECT count(*) FROM community_answer WHERE workspace_id = $1 AND reviewed_by = $2
     AND status IN ('approved', 'edited')) AS community_approved
"""  # noqa: S608 (constants only)


# Words in any message of a thread (newest match first per thread), and customers by name
# or by handle on any network.
SEARCH_THREADS = """
SELECT t.id, t.network, t.status, t.excerpt, max(m.created_at) AS latest
FROM mention m JOIN thread t ON t.workspace_id = m.workspace_id AND t.id = m.thread_id
WHERE m.workspace_id = $1
  AND (to_tsvector('inbox_fr'::regconfig, m.body) || to_tsvector('inbox_en'::regconfig, m.body))
      @@ (plainto_tsquery('inbox_fr'::regconfig, $2) || plainto_tsquery('inbox_en'::regconfig, $2))
GROUP BY t.id, t.network, t.status, t.excerpt
ORDER BY latest DESC
LIMIT $3
"""
SEARCH_CUSTOMERS = """
SELECT c.id, c.display_name,
       (SELECT array_agg(i2.network || ':' || coalesce(i2.handle, i2.external_user_id))
        FROM identity i2 WHERE i2.workspace_id = c.workspace_id AND i2.customer_id = c.id)
           AS identities,
       (SELECT max(t.id) FROM thread t
        WHERE t.workspace_id = c.workspace_id AND t.customer_id = c.id) AS latest_thread
FROM customer c
WHERE c.workspace_id = $1
  AND (to_tsvector('inbox_names'::regconfig, coalesce(c.display_name, ''))
       @@ plainto_tsquery('inbox_names'::regconfig, $2)
       OR EXISTS (SELECT 1 FROM identity i
                  WHERE i.workspace_id = c.workspace_id AND i.customer_id = c.id
                    AND lower(i.handle) = lower(ltrim($2, '@'))))
LIMIT $3
"""


def inbox_row(row: Any) -> InboxRow:
    """A row read with ROW_COLUMNS."""
    return InboxRow(
        thread_id=row["id"],
        network=row["network"],
        status=row["status"],
        priority=row["priority"],
        kind=row["kind"],
        language=row["language"],
        topics=tuple(row["topics"]),
        excerpt=row["excerpt"],
        sla_due_at=row["sla_due_at"],
        last_inbound_at=row["last_inbound_at"],
        answered=row["last_answered_at"] is not None
        and row["last_inbound_at"] is not None
        and row["last_answered_at"] >= row["last_inbound_at"],
        assignee=row["assignee"],
        author=row["author_handle"] or row["author_name"],
        waiting_since=row["waiting_since"],
        sla_started_at=row["sla_started_at"],
        sla_warn_at=row["sla_warn_at"],
        tags=tuple(row["tags"]),
    )


class PgInboxPages:
    def __init__(self, db: Database, reads: Reads | None = None) -> None:
        self._db = db
        self._reads = reads or db  # search may read a moment behind: a replica's

    async def inbox(
        self,
        workspace_id: int,
        view: str,
        agent_id: int,
        limit: int,
        filters: InboxFilters = ANY,
        now: datetime | None = None,
        threads: frozenset[int] | None = None,
    ) -> list[InboxRow]:
        now = now or utc_now()
        asked = [(name, getattr(filters, name)) for name in _FILTER_WHERE]
        asked = [(name, value) for name, value in asked if value is not None]
        if filters.sla is not None and filters.sla not in _SLA_WHERE:
            return []  # no thread is in a state that does not exist
        view = view if view in _VIEW_WHERE else "all"
        statement = inbox_query(
            view,
            tuple(name for name, _ in asked),
            filters.sla,
            threads is not None,
        )
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                statement,
                workspace_id,
                limit,
                now,
                *((agent_id,) if view in _VIEWS_OF_AGENT else ()),
                *(value for _, value in asked),
                *(() if threads is None else (sorted(threads),)),
            )
        return [inbox_row(row) for row in rows]

    async def view_counts(self, workspace_id: int, agent_id: int, now: datetime) -> dict[str, int]:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(VIEW_COUNTS, workspace_id, agent_id, now)
        assert row is not None  # an aggregate always answers one row
        return {key: int(value) for key, value in dict(row).items()}

    async def teams_of(self, workspace_id: int, agent_id: int) -> frozenset[int]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(TEAMS_OF, workspace_id, agent_id)
        return frozenset(row["team_id"] for row in rows)

    async def search(self, workspace_id: int, words: str, limit: int) -> SearchResults:
        async with self._reads.connection() as conn:
            threads = await conn.fetch(SEARCH_THREADS, workspace_id, words, limit)
            customers = await conn.fetch(SEARCH_CUSTOMERS, workspace_id, words, limit)
        return SearchResults(
            threads=tuple(
                (row["id"], row["network"], row["status"], row["excerpt"]) for row in threads
            ),
            customers=tuple(
                (row["display_name"] or "", tuple(row["identities"] or ()), row["latest_thread"])
                for row in customers
            ),
        )

    async def my_figures(self, workspace_id: int, agent_id: int, now: datetime) -> dict[str, int]:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(MY_FIGURES, workspace_id, agent_id, now)
        assert row is not None  # scalar subqueries always answer one row
        return {key: int(value) for key, value in dict(row).items()}

    async def take(self, workspace_id: int, thread_id: int, agent_id: int, at: datetime) -> bool:
        async with self._db.transaction() as conn:
            return await PgAssignmentWriter(conn).take(workspace_id, thread_id, agent_id, at)

    async def add_note(
        self,
        workspace_id: int,
        thread_id: int,
        agent_id: int,
        body: str,
        named: frozenset[str] = frozenset(),
    ) -> list[int] | None:
        async with self._db.transaction() as conn:
            note_id = await conn.fetchval(ADD_NOTE, workspace_id, thread_id, agent_id, body)
            if note_id is None:
                return None
            if not named:
                return []
            rows = await conn.fetch(
                NOTIFY_NAMED, workspace_id, thread_id, note_id, agent_id, sorted(named)
            )
            told = [row["agent_id"] for row in rows]
            if told:
                # Delivered to the pages at commit, to the people named only.
                payload = {
                    "workspace_id": workspace_id,
                    "for_agents": told,
                    "thread_id": thread_id,
                    "kind": "note_mention",
                }
                await conn.execute(
                    "SELECT pg_notify('inbox_notifications', $1)", json.dumps(payload)
                )
        return told

    async def add_customer_note(
        self, workspace_id: int, thread_id: int, agent_id: int, body: str
    ) -> bool:
        async with self._db.connection() as conn:
            added = await conn.fetchval(ADD_CUSTOMER_NOTE, workspace_id, thread_id, agent_id, body)
        return added is not None

    async def assign(
        self,
        workspace_id: int,
        thread_id: int,
        agent_id: int | None,
        team_id: int | None,
        by_agent_id: int,
        at: datetime,
    ) -> bool:
        async with self._db.transaction() as conn:
            return await PgAssignmentWriter(conn).assign_by_hand(
                workspace_id, thread_id, agent_id, team_id, by_agent_id, at
            )

    async def snooze(self, workspace_id: int, thread_id: int, until: datetime | None) -> bool:
        async with self._db.connection() as conn:
            done = await conn.fetchval(SNOOZE, workspace_id, thread_id, until)
        return done is not None

    async def wake_snoozed(self, workspace_id: int, now: datetime) -> list[int]:
        async with self._db.transaction() as conn:
            woken = [row["id"] for row in await conn.fetch(WAKE_SNOOZED, workspace_id, now)]
            await live_sql.announce_threads(conn, workspace_id, woken)
        return woken

    async def notifications(
        self, workspace_id: int, agent_id: int, limit: int
    ) -> list[PageNotification]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(NOTIFICATIONS, workspace_id, agent_id, limit)
        return [
            PageNotification(
                id=row["id"],
                kind=row["kind"],
                thread_id=row["thread_id"],
                by=row["by"],
                excerpt=row["excerpt"],
                at=row["created_at"],
                read=row["read"],
            )
            for row in rows
        ]

    async def mark_read(self, workspace_id: int, agent_id: int, at: datetime) -> None:
        async with self._db.connection() as conn:
            await conn.execute(MARK_READ, workspace_id, agent_id, at)

    async def thread(
        self, workspace_id: int, thread_id: int, viewer_id: int = 0, now: datetime | None = None
    ) -> ThreadPage | None:
        now = now or utc_now()
        async with self._db.connection() as conn:
            thread = await conn.fetchrow(THREAD, workspace_id, thread_id)
            if thread is None:
                return None
            messages = await conn.fetch(MESSAGES, workspace_id, thread_id)
            pending = await conn.fetch(PENDING, workspace_id, thread_id)
            notes = await conn.fetch(NOTES, workspace_id, thread_id)
            customer = await conn.fetchrow(CUSTOMER, workspace_id, thread_id)
            identities = await conn.fetch(IDENTITIES, workspace_id, thread_id)
            others = await conn.fetch(OTHER_THREADS, workspace_id, thread_id, HISTORY_READ)
            about = await conn.fetch(CUSTOMER_NOTES, workspace_id, thread_id)
            replying = await conn.fetch(REPLYING, workspace_id, thread_id, viewer_id, now)
            colleagues = await conn.fetch(COLLEAGUES, workspace_id)
            teams = await conn.fetch(TEAMS, workspace_id)
        network = thread["network"]
        return ThreadPage(
            team=thread["team"],
            snoozed_until=thread["snoozed_until"],
            private=thread["private"],
            answered=thread["answered"],
            replying=tuple(row["display_name"] for row in replying),
            colleagues=tuple((row["id"], row["display_name"]) for row in colleagues),
            teams=tuple((row["id"], row["name"]) for row in teams),
            thread_id=thread["id"],
            network=network,
            status=thread["status"],
            priority=thread["priority"],
            kind=thread["kind"],
            language=thread["language"],
            topics=tuple(thread["topics"]),
            tags=tuple(thread["tags"]),
            personal_data=thread["personal_data"],
            sla_due_at=thread["sla_due_at"],
            assignee=thread["assignee"],
            waiting_since=thread["waiting_since"],
            opened_at=thread["opened_at"],
            customer_handle=thread["author_handle"],
            can_go_private=thread["latest_inbound"] is not None
            and can_go_private(
                network, thread["private"], thread["author_external_id"], thread["author_handle"]
            ),
            customer=None
            if customer is None
            else PageCustomer(
                name=customer["display_name"],
                vip=customer["vip"],
                owner=customer["owner"],
                crm_id=customer["crm_external_id"],
                identities=tuple(
                    PageIdentity(row["network"], row["handle"], profile_url(*row))
                    for row in identities
                ),
                other_threads=tuple(
                    PastThread(
                        row["id"], row["network"], row["status"], row["excerpt"], row["opened_at"]
                    )
                    for row in others
                ),
                threads_total=others[0]["total"] if others else 0,
                notes=_notes(about),
            ),
            notes=_notes(notes),
            messages=tuple(_message(row) for row in messages),
            pending=tuple(
                PendingMessage(
                    body=row["body"],
                    private=row["kind"] == OutboxKind.DIRECT_MESSAGE.value,
                    status=row["status"],
                    error=row["last_error"],
                    sent_by=row["sent_by"],
                    at=row["created_at"],
                )
                for row in pending
            ),
        )

    async def reply_facts(self, workspace_id: int, thread_id: int) -> ThreadReplyFacts | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(REPLY_FACTS, workspace_id, thread_id)
            if row is None:
                return None
            incidents = await conn.fetch(OPEN_INCIDENTS, workspace_id, thread_id)
        return ThreadReplyFacts(
            network=row["network"],
            private=row["private"],
            language=row["language"],
            kind=row["kind"],
            priority=row["priority"],
            team_id=row["team_id"],
            team=row["team"],
            vip=row["vip"],
            calendar=row["calendar"],
            customer_handle=row["author_handle"],
            customer_id=row["author_external_id"],
            latest_inbound=row["latest_inbound"],
            customer_texts=tuple(row["customer_texts"]),
            incidents=tuple(
                ThreadIncident(i["title"], tuple(i["keywords"]), tuple(i["places"]))
                for i in incidents
            ),
        )


def _message(row: Any) -> PageMessage:
    inbound = row["direction"] == "inbound"
    sender: Sender | None = None
    if not inbound:
        if row["automated"]:
            sender = Sender.AUTOMATIC
        elif row["member"] is not None:
            sender = Sender.COMMUNITY
        elif row["sent_by"] is not None:
            sender = Sender.AGENT
        elif row["outbox_id"] is not None:
            sender = Sender.INBOX
        else:
            sender = Sender.NETWORK
    community = sender is Sender.COMMUNITY
    return PageMessage(
        inbound=inbound,
        author=row["author_handle"] or row["author_name"] or "",
        author_name=row["author_name"],
        text=row["body"],
        at=row["created_at"],
        url=post_url(row["network"], row["external_id"], row["author_handle"], row["url"]),
        network=row["network"],
        private=row["private"],
        automated=row["automated"],
        reasons=_reasons(row["reasons"]),
        kind=row["kind"],
        language=row["language"],
        urgency=row["urgency"],
        topics=tuple(row["topics"] or ()),
        sender=sender,
        sent_by=row["member"] if community else row["sent_by"],
        approved_by=row["sent_by"] if community else None,
        attachments=page_attachments(row["network"], row["external_id"], row["media"]),
    )


def page_attachments(
    network: str, external_id: str, stored: str | None
) -> tuple[PageAttachment, ...]:
    """A message's stored attachments (its `media` column), as the page shows them. An
    entry that no longer reads as an attachment is left out; its index is kept for the
    others, which is how the image proxy names them."""
    shown = []
    for index, item in enumerate(json.loads(stored) if stored else ()):
        try:
            media = MediaAttachment.model_validate(item)
        except ValidationError:
            continue
        shown.append(
            PageAttachment(
                kind=media.kind.value,
                url=media.url,
                preview_url=media.preview_url,
                alt_text=media.alt_text,
                width=media.width,
                height=media.height,
                network=network,
                external_id=external_id,
                index=index,
            )
        )
    return tuple(shown)


def _reasons(stored: str | None) -> tuple[tuple[str, str, str], ...]:
    decoded = json.loads(stored or "[]")
    return tuple(
        (str(r.get("decision", "")), str(r.get("cue", "")), str(r.get("effect", "")))
        for r in decoded
        if isinstance(r, dict)
    )


def _notes(rows: Sequence[Any]) -> tuple[PageNote, ...]:
    return tuple(
        PageNote(author=row["author"] or "", text=row["body"], at=row["created_at"]) for row in rows
    )
