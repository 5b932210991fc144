"""A thread's page in PostgreSQL: the thread, its conversation, what is queued on it, its
customer, the colleagues it may go to, and what a reply to it is checked against."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from inbox.domain.clock import utc_now
from inbox.domain.customer_record import Evidence, EvidenceKind
from inbox.domain.desk import CustomerFacts, SlaFacts, ThreadRead
from inbox.domain.incidents import IncidentBanner
from inbox.domain.media import MediaAttachment
from inbox.domain.outbox import OutboxKind
from inbox.domain.replies import ThreadIncident, ThreadReplyFacts
from inbox.domain.sla import MajorIncidentWindow, SlaSettings, StoredClock
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
    WebSession,
    can_go_private,
    post_url,
    profile_url,
)
from inbox.domain.workspace_settings import WorkspacePreferences
from inbox.store.admin_workspaces import LOAD_PREFERENCES
from inbox.store.assignees_sql import COLLEAGUES, TEAMS
from inbox.store.canned import ALL as CANNED
from inbox.store.customer_evidence_sql import APART, EVIDENCE_OF
from inbox.store.customers import IDENTITIES as CUSTOMER_IDENTITIES
from inbox.store.customers import OWNERS as CUSTOMER_OWNERS
from inbox.store.customers import RECORDS as CUSTOMER_RECORDS
from inbox.store.customers import customer_records
from inbox.store.database import Database
from inbox.store.inbox_list import WAITING_SINCE, latest_inbound
from inbox.store.incidents_sql import FOR_THREAD as INCIDENTS_OF_THREAD
from inbox.store.sla_clocks import CLOCKS_OF, MAJOR_WINDOWS
from inbox.store.sla_clocks import SETTINGS as SLA_SETTINGS
from inbox.store.web_sessions import SESSION, TOUCH, web_session

# One thread `t` with its team `tm` and its customer's latest message `who`: a statement adds
# its own joins, then `WHERE t.workspace_id = $1 AND t.id = $2`.
ONE_THREAD = f"""FROM thread t
LEFT JOIN team tm ON tm.workspace_id = t.workspace_id AND tm.id = t.team_id
{latest_inbound("author_handle", "author_external_id", "external_id")}"""

# A thread's page in one statement. Each part was a statement of its own (the thread, its
# conversation, notes, queue, customer, their identities, history and notes, who is replying,
# whom it may go to, the canned responses, the CRM link, the incident banners, the customer's
# possible owners, the SLA clocks with their settings and incident windows, the customer's
# record and who they may be): a page ran 14 with the session's, 22 for a thread with a
# customer; each a round trip through the pool.
# $1 the workspace, $2 the thread, $3 who reads it (`me`: the session of a token's hash, or
# a viewer's id), $4 now, $5 how many rows of evidence about its customer are read. One row,
# unless the reader has no session: the reader as JSON, the thread's columns (all NULL for no
# such thread in the workspace), each list as JSON text (one decode in C each, where rows of
# several lists would be as many statements), and what the page shows around the thread:
# the workspace's canned responses and CRM link, the open incidents the thread is linked to,
# whom its customer may be followed by, its SLA clocks with what explains them, and its
# customer's record with what says who else they may be.
#
# The thread `th`, read only for a reader: its customer's real wait (as its row says it) and
# their latest message.
_THREAD = f"""th AS (
SELECT t.workspace_id, t.customer_id, t.id, t.network, t.status, t.priority, t.kind,
       t.language, t.topics, t.tags, t.personal_data,
       t.sla_due_at,
       a.display_name AS assignee, tm.name AS team, t.snoozed_until, t.private, t.opened_at,
       coalesce(t.last_answered_at >= t.last_inbound_at, false) AS answered,
       {WAITING_SINCE} AS waiting_since,
       who.author_handle, who.author_external_id, who.external_id AS latest_inbound
{ONE_THREAD}
LEFT JOIN agent a ON a.workspace_id = t.workspace_id AND a.id = t.assignee_id
WHERE t.workspace_id = $1 AND t.id = $2 AND EXISTS (SELECT FROM me)
)"""  # noqa: S608 (constants only)
# The conversation: each message with the classifier's reading of it and, for the brand's,
# the outbox item that sent it (who queued it; a community member's answer and who let it
# through). A brand message no item sent was posted on the network itself.
_MESSAGES = """(SELECT json_agg(x ORDER BY x.created_at, x.external_id) FROM (
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
        LEFT JOIN agent member
               ON member.workspace_id = ca.workspace_id AND member.id = ca.member_id
        WHERE m.direction = 'outbound' AND o.workspace_id = m.workspace_id
          AND o.network = m.network AND o.sent_external_id = m.external_id
        ORDER BY o.id LIMIT 1
    ) sent ON true
    WHERE m.workspace_id = th.workspace_id AND m.thread_id = th.id
    ORDER BY m.created_at, m.external_id
    LIMIT 500) x)"""
# What the brand queued on the thread that has not left yet (or failed to).
_PENDING = """(SELECT json_agg(x ORDER BY x.created_at, x.id) FROM (
    SELECT o.id, o.kind, o.body, o.status, o.last_error, o.created_at,
           a.display_name AS sent_by
    FROM outbox_item o
    LEFT JOIN agent a ON a.workspace_id = o.workspace_id AND a.id = o.agent_id
    WHERE o.workspace_id = th.workspace_id AND o.thread_id = th.id AND o.status <> 'sent'
    ORDER BY o.created_at, o.id
    LIMIT 20) x)"""
# Notes, the thread's or its customer's (`about`: the table and its key), in their order.
_NOTES = """(SELECT json_agg(x ORDER BY x.created_at, x.id) FROM (
    SELECT n.id, n.body, n.created_at, a.display_name AS author
    FROM {table} n
    LEFT JOIN agent a ON a.workspace_id = n.workspace_id AND a.id = n.author_agent_id
    WHERE n.workspace_id = th.workspace_id AND n.{key} = th.{of}
    ORDER BY n.created_at, n.id
    LIMIT 200) x)"""
# The customer behind the thread: owner, VIP, CRM id; their identities on every network;
# their other threads, the latest first, with how many there are in all.
_CUSTOMER = """(SELECT to_json(x) FROM (
    SELECT c.display_name, c.crm_external_id, c.vip, o.display_name AS owner
    FROM customer c
    LEFT JOIN agent o ON o.workspace_id = c.workspace_id AND o.id = c.owner_agent_id
    WHERE c.workspace_id = th.workspace_id AND c.id = th.customer_id) x)"""
_IDENTITIES = """(SELECT json_agg(json_build_array(x.network, x.handle)
                          ORDER BY x.network, x.sort) FROM (
    SELECT i.network, coalesce(i.handle, i.external_user_id) AS handle, i.handle AS sort
    FROM identity i
    WHERE i.workspace_id = th.workspace_id AND i.customer_id = th.customer_id
    ORDER BY i.network, i.handle
    LIMIT 50) x)"""
_OTHER_THREADS = f"""(SELECT json_agg(x ORDER BY x.opened_at DESC, x.n) FROM (
    SELECT o.id, o.network, o.status, o.excerpt, o.opened_at, count(*) OVER () AS total,
           row_number() OVER (ORDER BY o.opened_at DESC) AS n
    FROM thread o
    WHERE o.workspace_id = th.workspace_id AND o.customer_id = th.customer_id
      AND o.id <> th.id
    ORDER BY o.opened_at DESC
    LIMIT {HISTORY_READ}) x)"""  # noqa: S608 (constants only)
# Colleagues with the reply box open on the thread in the last two minutes, the reader aside.
_REPLYING = """(SELECT json_agg(a.display_name ORDER BY p.replying_at)
    FROM thread_presence p
    JOIN agent a ON a.workspace_id = p.workspace_id AND a.id = p.agent_id
    WHERE p.workspace_id = th.workspace_id AND p.thread_id = th.id
      AND p.agent_id <> me.agent_id
      AND p.replying_at > $4::timestamptz - interval '2 minutes')"""


def _bound(statement: str, **parameters: str) -> str:
    """Another store's statement, its positional parameters standing for what this one has
    for them (`p2="..."` for `$2`; the others as they are): its text is kept in one place."""
    return re.sub(
        r"\$(\d+)\b", lambda found: f"({parameters.get(f'p{found[1]}', found[0])})", statement
    )


_THE_THREAD = "ARRAY(SELECT th.id FROM th)"
_ITS_CUSTOMER = "(SELECT th.customer_id FROM th)"
# The thread's SLA clocks; the evidence that its customer and another are one person (it
# starts from the customer's identities: none without a customer); the customer and those
# others, whose records the page may show.
_AROUND = f""",
sla_clocks AS ({_bound(CLOCKS_OF, p2=_THE_THREAD)}),
evidence AS ({_bound(EVIDENCE_OF, p2=_ITS_CUSTOMER, p3="$5")}),
people AS (
    SELECT th.customer_id AS id FROM th
    WHERE th.customer_id IS NOT NULL
    UNION SELECT e.first FROM evidence e
    UNION SELECT e.second FROM evidence e
)"""  # noqa: S608 (constants only)
_PEOPLE = "ARRAY(SELECT p.id FROM people p)"
_PAGE = f"""
SELECT to_json(me)::text AS reader, th.*,
       {_MESSAGES}::text AS messages,
       {_PENDING}::text AS pending,
       {_NOTES.format(table="note", key="thread_id", of="id")}::text AS notes,
       {_CUSTOMER}::text AS customer,
       {_IDENTITIES}::text AS identities,
       {_OTHER_THREADS}::text AS other_threads,
       {_NOTES.format(table="customer_note", key="customer_id", of="customer_id")}::text
           AS customer_notes,
       {_REPLYING}::text AS replying,
       (SELECT json_agg(json_build_array(c.id, c.display_name) ORDER BY c.display_name, c.id)
        FROM ({COLLEAGUES}) c)::text AS colleagues,
       (SELECT json_agg(json_build_array(g.id, g.name) ORDER BY g.name, g.id)
        FROM ({TEAMS}) g)::text AS teams,
       (SELECT json_agg(json_build_array(r.name, r.body, r.language) ORDER BY r.name)
        FROM ({CANNED}) r)::text AS canned,
       (SELECT to_json(p) FROM ({LOAD_PREFERENCES}) p)::text AS preferences,
       (SELECT json_agg(i ORDER BY i.id) FROM ({INCIDENTS_OF_THREAD}) i)::text AS incidents,
       -- who may follow the customer, for their record's form (a thread without one has none)
       CASE WHEN th.customer_id IS NOT NULL THEN
           (SELECT json_agg(json_build_array(o.id, o.display_name)
                            ORDER BY o.display_name, o.id)
            FROM ({CUSTOMER_OWNERS}) o)::text
       END AS owners,
       -- the clocks explained with the workspace's SLA settings and the major periods of
       -- the incidents the thread is linked to: read when it has a clock
       (SELECT json_agg(c) FROM sla_clocks c)::text AS clocks,
       CASE WHEN EXISTS (SELECT FROM sla_clocks) THEN
           (SELECT to_json(s) FROM ({SLA_SETTINGS}) s)::text
       END AS sla_settings,
       CASE WHEN EXISTS (SELECT FROM sla_clocks) THEN
           (SELECT json_agg(w) FROM ({_bound(MAJOR_WINDOWS, p2=_THE_THREAD)}) w)::text
       END AS major_windows,
       CASE WHEN th.customer_id IS NOT NULL THEN (SELECT json_agg(e) FROM evidence e)::text
       END AS evidence,
       -- pairs a person said are two people: read when there is evidence to weigh
       CASE WHEN EXISTS (SELECT FROM evidence) THEN
           (SELECT json_agg(a) FROM ({APART}) a)::text
       END AS apart,
       (SELECT json_agg(r) FROM ({_bound(CUSTOMER_RECORDS, p2=_PEOPLE)}) r)::text AS records,
       (SELECT json_agg(i) FROM ({_bound(CUSTOMER_IDENTITIES, p2=_PEOPLE)}) i)::text
           AS record_identities
FROM me LEFT JOIN th ON true
"""  # noqa: S608 (constants only)
_SESSION_PARAMETERS = {"workspace": "$1", "token": "$3", "now": "$4"}
# The page for the session whose token hashes to $3, as WebSessionStore.find finds it.
THREAD_PAGE = f"""WITH {TOUCH.format(**_SESSION_PARAMETERS)},
me AS ({SESSION.format(**_SESSION_PARAMETERS)}),
{_THREAD}{_AROUND}{_PAGE}"""
# The page as the agent $3 sees it (who asks was checked before).
THREAD_OF_VIEWER = f"""WITH me AS (SELECT $3::bigint AS agent_id),
{_THREAD}{_AROUND}{_PAGE}"""
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
        async with self._db.connection() as conn:
            row = await conn.fetchrow(
                THREAD_OF_VIEWER, workspace_id, thread_id, viewer_id, now or utc_now(), 0
            )
        return _page(row) if row is not None and row["id"] is not None else None

    async def thread_read(
        self,
        workspace_id: int,
        token_hash: bytes,
        thread_id: int,
        now: datetime,
        evidence_limit: int,
    ) -> ThreadRead | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(
                THREAD_PAGE, workspace_id, thread_id, token_hash, now, evidence_limit
            )
        if row is None:
            return None  # no such session, or it ended
        return _read(row, web_session(json.loads(row["reader"])))

    async def thread_read_by(
        self, session: WebSession, thread_id: int, now: datetime, evidence_limit: int
    ) -> ThreadRead:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(
                THREAD_OF_VIEWER,
                session.workspace_id,
                thread_id,
                session.agent_id,
                now,
                evidence_limit,
            )
        assert row is not None  # `me` is one row: the statement answers one
        return _read(row, session)

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


def _read(row: Any, session: WebSession) -> ThreadRead:
    """The page and what stands around it from THREAD_PAGE's row, for `session`."""
    preferences = _json(row["preferences"])
    return ThreadRead(
        session=session,
        page=_page(row) if row["id"] is not None else None,
        customer_id=row["customer_id"],
        canned=tuple((r[0], r[1], r[2]) for r in _list(row["canned"])),
        preferences=WorkspacePreferences()
        if preferences is None
        else WorkspacePreferences(
            preferences["crm_url_template"], preferences["agent_comparisons"]
        ),
        incidents=tuple(IncidentBanner.model_validate(i) for i in _list(row["incidents"])),
        owners=tuple((o[0], o[1]) for o in _list(row["owners"])),
        sla=_sla(row),
        customer=_customer_facts(row),
    )


def _sla(row: Any) -> SlaFacts:
    """The clocks oldest first, as the SLA query gives them to their explanation."""
    clocks = [
        StoredClock(
            **{
                **clock,
                **{
                    name: _at(clock[name]) if clock[name] is not None else None
                    for name in ("started_at", "stopped_at", "deadline", "warn_at")
                },
            }
        )
        for clock in _list(row["clocks"])
    ]
    settings = _json(row["sla_settings"])
    return SlaFacts(
        clocks=tuple(sorted(clocks, key=lambda clock: clock.started_at)),
        settings=None
        if settings is None
        else SlaSettings(settings["version"], settings["calendars"], settings["policies"]),
        windows=tuple(
            MajorIncidentWindow(
                w["thread_id"],
                w["incident_id"],
                _at(w["started_at"]),
                None if w["ended_at"] is None else _at(w["ended_at"]),
            )
            for w in _list(row["major_windows"])
        ),
    )


def _customer_facts(row: Any) -> CustomerFacts:
    """The thread's customer's record, and the evidence and records that say who else they
    may be."""
    records = customer_records(
        [{**r, "created_at": _at(r["created_at"])} for r in _list(row["records"])],
        _list(row["record_identities"]),
    )
    customer_id = row["customer_id"]
    return CustomerFacts(
        record=next((r for r in records if r.id == customer_id), None),
        evidence=tuple(
            Evidence(e["first"], e["second"], EvidenceKind(e["kind"]), e["detail"])
            for e in _list(row["evidence"])
        ),
        apart=frozenset((a["first"], a["second"]) for a in _list(row["apart"])),
        others=tuple(r for r in records if r.id != customer_id),
    )


def _page(thread: Any) -> ThreadPage:
    """The page from THREAD_PAGE's row (its lists as JSON text)."""
    network = thread["network"]
    customer = _json(thread["customer"])
    return ThreadPage(
        team=thread["team"],
        snoozed_until=thread["snoozed_until"],
        private=thread["private"],
        answered=thread["answered"],
        replying=tuple(_list(thread["replying"])),
        colleagues=tuple((c[0], c[1]) for c in _list(thread["colleagues"])),
        teams=tuple((g[0], g[1]) for g in _list(thread["teams"])),
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
        else _customer(
            customer,
            _list(thread["identities"]),
            _list(thread["other_threads"]),
            _list(thread["customer_notes"]),
        ),
        notes=_notes(_list(thread["notes"])),
        messages=tuple(_message(item) for item in _list(thread["messages"])),
        pending=tuple(
            PendingMessage(
                body=item["body"],
                private=item["kind"] == OutboxKind.DIRECT_MESSAGE.value,
                status=item["status"],
                error=item["last_error"],
                sent_by=item["sent_by"],
                at=_at(item["created_at"]),
            )
            for item in _list(thread["pending"])
        ),
    )


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _list(text: str | None) -> list[Any]:
    """A list aggregated as JSON: NULL when it has no item."""
    return json.loads(text) if text is not None else []


def _at(text: str) -> datetime:
    """A time as PostgreSQL writes it in JSON (ISO 8601 with its offset)."""
    return datetime.fromisoformat(text)


def _customer(
    customer: dict[str, Any],
    identities: Sequence[list[str]],
    others: Sequence[dict[str, Any]],
    notes: Sequence[dict[str, Any]],
) -> PageCustomer:
    return PageCustomer(
        name=customer["display_name"],
        vip=customer["vip"],
        owner=customer["owner"],
        crm_id=customer["crm_external_id"],
        identities=tuple(
            PageIdentity(network, handle, profile_url(network, handle))
            for network, handle in identities
        ),
        other_threads=tuple(
            PastThread(
                item["id"], item["network"], item["status"], item["excerpt"], _at(item["opened_at"])
            )
            for item in others
        ),
        threads_total=others[0]["total"] if others else 0,
        notes=_notes(notes),
    )


def _message(row: dict[str, Any]) -> PageMessage:
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
        at=_at(row["created_at"]),
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


def page_attachments(network: str, external_id: str, stored: Any) -> tuple[PageAttachment, ...]:
    """A message's stored attachments (its `media` column, decoded), as the page shows them.
    An entry that no longer reads as an attachment is left out; its index is kept for the
    others, which is how the image proxy names them."""
    shown = []
    for index, item in enumerate(stored if isinstance(stored, list) else ()):
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


def _reasons(stored: Any) -> tuple[tuple[str, str, str], ...]:
    """The classifier's reasons (its `reasons` column, decoded)."""
    return tuple(
        (str(r.get("decision", "")), str(r.get("cue", "")), str(r.get("effect", "")))
        for r in (stored if isinstance(stored, list) else ())
        if isinstance(r, dict)
    )


def _notes(items: Sequence[dict[str, Any]]) -> tuple[PageNote, ...]:
    return tuple(
        PageNote(author=item["author"] or "", text=item["body"], at=_at(item["created_at"]))
        for item in items
    )
