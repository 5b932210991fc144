"""A thread's page in PostgreSQL: the thread, its conversation, what is queued on it, its
customer, the colleagues it may go to, and what a reply to it is checked against."""

from __future__ import annotations

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
    HISTORY_READ,
    PageAttachment,
    PageCustomer,
    PageIdentity,
    PageMessage,
    PageNote,
    PastThread,
    PendingMessage,
    Sender,
    ThreadPage,
    can_go_private,
    post_url,
    profile_url,
)
from inbox.store.assignees_sql import COLLEAGUES, TEAMS
from inbox.store.database import Database
from inbox.store.inbox_list import WAITING_SINCE, latest_inbound

# One thread `t` with its team `tm` and its customer's latest message `who`: a statement adds
# its own joins, then `WHERE t.workspace_id = $1 AND t.id = $2`.
ONE_THREAD = f"""FROM thread t
LEFT JOIN team tm ON tm.workspace_id = t.workspace_id AND tm.id = t.team_id
{latest_inbound("author_handle", "author_external_id", "external_id")}"""
# The thread, its customer's real wait (as its row says it) and their latest message.
THREAD = f"""
SELECT t.id, t.network, t.status, t.priority, t.kind, t.language, t.topics, t.tags,
       t.personal_data, t.sla_due_at, a.display_name AS assignee, tm.name AS team,
       t.snoozed_until, t.private, t.opened_at,
       coalesce(t.last_answered_at >= t.last_inbound_at, false) AS answered,
       {WAITING_SINCE} AS waiting_since,
       who.author_handle, who.author_external_id, who.external_id AS latest_inbound
{ONE_THREAD}
LEFT JOIN agent a ON a.workspace_id = t.workspace_id AND a.id = t.assignee_id
WHERE t.workspace_id = $1 AND t.id = $2
"""
# Colleagues with the reply box open on the thread in the last two minutes, the viewer aside.
REPLYING = """
SELECT a.display_name FROM thread_presence p
JOIN agent a ON a.workspace_id = p.workspace_id AND a.id = p.agent_id
WHERE p.workspace_id = $1 AND p.thread_id = $2 AND p.agent_id <> $3
  AND p.replying_at > $4::timestamptz - interval '2 minutes'
ORDER BY p.replying_at
"""
# The conversation: each message with the classifier's reading of it and, for the brand's,
# the outbox item that sent it (who queued it; a community member's answer and who let it
# through). A brand message no item sent was posted on the network itself.
MESSAGES = """
SELECT m.direction, m.network, m.external_id, m.author_handle, m.author_name, m.body,
       m.created_at, m.url, m.automated, m.private, m.media, m.text_removed_reason,
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
# Notes about the thread's customer.
CUSTOMER_NOTES = """
SELECT n.body, n.created_at, a.display_name AS author
FROM thread t
JOIN customer_note n ON n.workspace_id = t.workspace_id AND n.customer_id = t.customer_id
LEFT JOIN agent a ON a.workspace_id = n.workspace_id AND a.id = n.author_agent_id
WHERE t.workspace_id = $1 AND t.id = $2
ORDER BY n.created_at, n.id
LIMIT 200
"""
NOTES = """
SELECT n.body, n.created_at, a.display_name AS author
FROM note n LEFT JOIN agent a ON a.workspace_id = n.workspace_id AND a.id = n.author_agent_id
WHERE n.workspace_id = $1 AND n.thread_id = $2
ORDER BY n.created_at, n.id
LIMIT 200
"""
# What a reply to the thread is checked against: the facts selecting its SLA policy (and the
# calendar of its latest clock), the customer's latest message and what they wrote.
REPLY_FACTS = f"""
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
                    ORDER BY m.created_at DESC LIMIT 20) w), '{{}}') AS customer_texts
{ONE_THREAD}
LEFT JOIN customer c ON c.workspace_id = t.workspace_id AND c.id = t.customer_id
WHERE t.workspace_id = $1 AND t.id = $2
"""  # noqa: S608 (constants only)
OPEN_INCIDENTS = """
SELECT i.title, i.keywords, i.places
FROM incident_thread l
JOIN incident i ON i.workspace_id = l.workspace_id AND i.id = l.incident_id
WHERE l.workspace_id = $1 AND l.thread_id = $2 AND i.status = 'open'
ORDER BY i.id
LIMIT 10
"""


class PgThreadPage:
    """One thread as its page shows it, and the facts a reply to it is checked against."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def thread(
        self, workspace_id: int, thread_id: int, viewer_id: int = 0, now: datetime | None = None
    ) -> ThreadPage | None:
        now = now or utc_now()
        ids = (workspace_id, thread_id)
        async with self._db.connection() as conn:
            thread = await conn.fetchrow(THREAD, *ids)
            if thread is None:
                return None
            customer = await conn.fetchrow(CUSTOMER, *ids)
            about = None
            if customer is not None:
                about = (
                    customer,
                    await conn.fetch(IDENTITIES, *ids),
                    await conn.fetch(OTHER_THREADS, *ids, HISTORY_READ),
                    await conn.fetch(CUSTOMER_NOTES, *ids),
                )
            return _page(
                thread,
                messages=await conn.fetch(MESSAGES, *ids),
                pending=await conn.fetch(PENDING, *ids),
                notes=await conn.fetch(NOTES, *ids),
                customer=_customer(*about) if about is not None else None,
                replying=await conn.fetch(REPLYING, *ids, viewer_id, now),
                colleagues=await conn.fetch(COLLEAGUES, workspace_id),
                teams=await conn.fetch(TEAMS, workspace_id),
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


def _page(
    thread: Any,
    *,
    messages: Sequence[Any],
    pending: Sequence[Any],
    notes: Sequence[Any],
    customer: PageCustomer | None,
    replying: Sequence[Any],
    colleagues: Sequence[Any],
    teams: Sequence[Any],
) -> ThreadPage:
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
        customer=customer,
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


def _customer(
    customer: Any, identities: Sequence[Any], others: Sequence[Any], notes: Sequence[Any]
) -> PageCustomer:
    return PageCustomer(
        name=customer["display_name"],
        vip=customer["vip"],
        owner=customer["owner"],
        crm_id=customer["crm_external_id"],
        identities=tuple(
            PageIdentity(row["network"], row["handle"], profile_url(*row)) for row in identities
        ),
        other_threads=tuple(
            PastThread(row["id"], row["network"], row["status"], row["excerpt"], row["opened_at"])
            for row in others
        ),
        threads_total=others[0]["total"] if others else 0,
        notes=_notes(notes),
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
        text_removed=row["text_removed_reason"],
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
