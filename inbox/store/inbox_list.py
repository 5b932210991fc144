"""The inbox list in PostgreSQL: the statement of each view and its filters, what a row shows,
how many threads each view holds, an agent's own figures and the search."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from inbox.domain.clock import utc_now
from inbox.domain.desk import DeskRead
from inbox.domain.web import ANY, InboxFilters, InboxRow, SearchResults
from inbox.store.assignees_sql import COLLEAGUES, TEAMS
from inbox.store.database import Database, Reads
from inbox.store.search_results import found_customer, found_thread
from inbox.store.thread_search import search_threads
from inbox.store.thread_sql import (
    AWAITING_ANSWER_SQL,
    OPEN_STATUSES_SQL,
    WAITING_ON_CUSTOMER,
    snoozed,
)
from inbox.store.web_sessions import SESSION, TOUCH, web_session

# The customer's real wait, from their oldest message nobody has answered. "Answered" is
# always by a person (`last_answered_at`): an automated acknowledgement leaves the customer
# waiting, as it leaves their SLA clocks running.
WAITING_SINCE = """CASE WHEN t.last_inbound_at IS NULL THEN NULL
            WHEN t.last_answered_at IS NULL THEN t.opened_at
            WHEN t.last_answered_at >= t.last_inbound_at THEN NULL
            ELSE (SELECT min(m.created_at) FROM mention m
                  WHERE m.workspace_id = t.workspace_id AND m.thread_id = t.id
                    AND m.direction = 'inbound' AND m.created_at > t.last_answered_at)
       END"""


def latest_inbound(*columns: str) -> str:
    """A join of the thread `t`'s latest customer message as `who`, with these of its columns
    (only those the statement reads: the inbox list is read at every page and live change)."""
    chosen = ", ".join(f"m.{column}" for column in columns)
    return f"""LEFT JOIN LATERAL (
    SELECT {chosen} FROM mention m
    WHERE m.workspace_id = t.workspace_id AND m.thread_id = t.id AND m.direction = 'inbound'
    ORDER BY m.created_at DESC LIMIT 1
) who ON true"""  # noqa: S608 (column names from the code, never input)


def _micros(instant: str) -> str:
    """A timestamp as microseconds since 1970 (the row's instants are finite: deadlines,
    messages' times): asyncpg decodes a timestamptz six times slower than a bigint, and a
    row's instants come back page after page, made into datetimes once (`_instant`)."""
    return f"(extract(epoch FROM {instant}) * 1000000)::bigint"


# What an inbox row shows of a thread `t` (see `inbox_row`): the author from the thread's
# latest customer message, and the customer's real wait. Only what the row shows, each as
# the row holds it (whether answered, one author, instants as integers): every column is
# decoded for a hundred rows at every page and live update.
_ROW_SELECTS = (
    "t.id",
    "t.network",
    "t.status",
    "t.priority",
    "t.kind",
    "t.language",
    "t.topics",
    "t.tags",
    "t.excerpt",
    f"{_micros('t.sla_due_at')} AS sla_due_us",
    f"{_micros('t.last_inbound_at')} AS last_inbound_us",
    "coalesce(t.last_answered_at >= t.last_inbound_at, false) AS answered",
    "a.display_name AS assignee",
    # an empty handle is no handle: the name then
    "coalesce(nullif(who.author_handle, ''), who.author_name) AS author",
    f"{_micros(WAITING_SINCE)} AS waiting_since_us",
    f"{_micros('clock.started_at')} AS sla_started_us",
    f"{_micros('clock.warn_at')} AS sla_warn_us",
)
ROW_COLUMNS = "\n       " + ",\n       ".join(_ROW_SELECTS)
ROW_JOINS = f"""
LEFT JOIN agent a ON a.workspace_id = t.workspace_id AND a.id = t.assignee_id
{latest_inbound("author_handle", "author_name")}
-- the running clock the row's SLA bar measures: the one due at the thread's deadline
LEFT JOIN LATERAL (
    SELECT c.started_at, c.warn_at FROM sla_clock c
    WHERE c.workspace_id = t.workspace_id AND c.thread_id = t.id AND c.stopped_at IS NULL
      AND c.deadline = t.sla_due_at
    ORDER BY c.started_at LIMIT 1
) clock ON true"""  # noqa: S608 (constants only)
# Views: mine, team, unassigned, waiting, community, snoozed, all. Most urgent deadline
# first; threads without one after, newest first. One query, written for the view and the
# filters asked (`inbox_query`): a statement with "$n IS NULL OR ..." for every filter gets,
# once PostgreSQL plans it generically after five runs, a plan that reads every open thread
# (1 ms became 90 ms at 20,000 threads). The limit is written in the statement, not passed:
# with `LIMIT $n` the generic plan's cost is guessed for an unknown count, PostgreSQL keeps
# planning every run afresh (a third of the statement's time), and a generic plan is what a
# statement written for its view and filters is for. $1 workspace, $2 now, then the agent
# when the view names them ($3), the filters' values in the order asked and, for a live
# update, the changed threads' ids (their rows only, the plan starting from them). In the
# page's own statement (`desk_query`), the agent is the session's, read in the statement.
_VIEW_WHERE = {
    "mine": "t.assignee_id = {agent}",
    "unassigned": "t.assignee_id IS NULL",
    "team": "t.team_id IN (SELECT m.team_id FROM team_member m"
    " WHERE m.workspace_id = $1 AND m.agent_id = {agent})",
    "waiting": WAITING_ON_CUSTOMER,
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
    "breached": "t.sla_due_at < $2",
    "at_risk": "t.sla_due_at >= $2 AND t.sla_due_at < $2 + interval '15 minutes'",
    "on_time": "t.sla_due_at >= $2 + interval '15 minutes'",
    "none": "t.sla_due_at IS NULL",
}


def _list_query(
    view: str,
    filtered: tuple[str, ...],
    sla: str | None,
    by_ids: bool,
    limit: int,
    *,
    agent: str,
    first: int,
    only_if: str = "",
    extra: str = "",
) -> str:
    """The list's SELECT; the agent as `agent` (a parameter or an expression), the filters'
    values from the parameter `first`; rows only if `only_if` holds, each one's columns
    followed by `extra`."""
    where = [
        *([only_if] if only_if else []),
        "t.workspace_id = $1",
        f"t.status IN {OPEN_STATUSES_SQL}",
        # a snoozed thread shows only in the snoozed view until its time comes
        snoozed("$2") if view == "snoozed" else f"NOT {snoozed('$2')}",
    ]
    if _VIEW_WHERE.get(view):
        where.append(_VIEW_WHERE[view].format(agent=agent))
    for number, name in enumerate(filtered, start=first):
        where.append(_FILTER_WHERE[name].format(f"${number}"))
    if sla is not None:
        where.append(_SLA_WHERE[sla])
    if by_ids:
        where.append(f"t.id = ANY (${first + len(filtered)}::bigint[])")
    conditions = "\n  AND ".join(where)
    return f"""
SELECT {ROW_COLUMNS}{extra}
FROM thread t {ROW_JOINS}
WHERE {conditions}
ORDER BY t.sla_due_at NULLS LAST, t.last_inbound_at DESC NULLS LAST, t.id DESC
LIMIT {int(limit)}
"""  # noqa: S608 (fixed fragments and an int only; every other value is a parameter)


@functools.lru_cache(maxsize=512)
def inbox_query(
    view: str, filtered: tuple[str, ...], sla: str | None, by_ids: bool, limit: int
) -> str:
    """The statement of one view with the filters named in `filtered` (their values are
    passed in that order, after the agent if the view names them) and the SLA state `sla`;
    `by_ids`: the changed threads' rows only (their ids the last parameter); at most
    `limit` rows."""
    first = 4 if view in _VIEWS_OF_AGENT else 3
    return _list_query(view, filtered, sla, by_ids, limit, agent="$3", first=first)


# The inbox's page in one statement (`desk_query`): the session of a token ($1 workspace,
# $2 now, $3 the token's hash) as SESSION finds it, then, only if there is one, its view's
# rows and whom a selection may be given to. A page asked for three statements besides its
# list (session, colleagues, teams); each round trip cost the page more than its rendering.
# One result: the rows, each with `page` NULL, then one row whose `page` is the session and
# the names as JSON (every row column NULL). No row at all: no such session.
_PAGE_ROW = f"""
SELECT {", ".join(["NULL"] * len(_ROW_SELECTS))}, json_build_object(
    'session', to_json(me),
    'colleagues', (SELECT json_agg(json_build_array(c.id, c.display_name)
                                   ORDER BY c.display_name, c.id) FROM ({COLLEAGUES}) c),
    'teams', (SELECT json_agg(json_build_array(g.id, g.name) ORDER BY g.name, g.id)
              FROM ({TEAMS}) g))::text
FROM me"""  # noqa: S608 (constants only)
_SESSION_PARAMETERS = {"workspace": "$1", "now": "$2", "token": "$3"}
_ME = f"""WITH {TOUCH.format(**_SESSION_PARAMETERS)},
me AS ({SESSION.format(**_SESSION_PARAMETERS)})"""


@functools.lru_cache(maxsize=512)
def desk_query(view: str, filtered: tuple[str, ...], sla: str | None, limit: int) -> str:
    """The page's one statement for a view and its filters (their values after the token's
    hash, in the order of `filtered`)."""
    rows = _list_query(
        view,
        filtered,
        sla,
        False,
        limit,
        agent="(SELECT me.agent_id FROM me)",
        first=4,
        only_if="EXISTS (SELECT FROM me)",
        extra=", NULL AS page",
    )
    return f"{_ME}\n({rows})\nUNION ALL{_PAGE_ROW}\n"


# How many open threads each view holds for the agent, as INBOX selects them (filters aside).
VIEW_COUNTS = f"""
SELECT count(*) FILTER (WHERE t.assignee_id = $2 AND NOT snoozed) AS mine,
       count(*) FILTER (WHERE t.team_id IN (SELECT m.team_id FROM team_member m
                                            WHERE m.workspace_id = $1 AND m.agent_id = $2)
                        AND NOT snoozed) AS team,
       count(*) FILTER (WHERE t.assignee_id IS NULL AND NOT snoozed) AS unassigned,
       count(*) FILTER (WHERE {WAITING_ON_CUSTOMER} AND NOT snoozed) AS waiting,
       count(*) FILTER (WHERE t.community AND NOT snoozed) AS community,
       count(*) FILTER (WHERE snoozed) AS snoozed,
       count(*) FILTER (WHERE NOT snoozed) AS "all"
FROM thread t
CROSS JOIN LATERAL (SELECT {snoozed("$3")} AS snoozed) s
WHERE t.workspace_id = $1 AND t.status IN {OPEN_STATUSES_SQL}
"""  # noqa: S608 (constants only)
TEAMS_OF = "SELECT team_id FROM team_member WHERE workspace_id = $1 AND agent_id = $2"

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

# Customers by name or by handle on any network (threads by their words: thread_search).
SEARCH_CUSTOMERS = """
SELECT c.id, c.display_name,
       (SELECT array_agg(i2.network || ':' || coalesce(i2.handle, i2.external_user_id))
        FROM identity i2 WHERE i2.workspace_id = c.workspace_id AND i2.customer_id = c.id)
           AS identities,
       (SELECT max(t.id) FROM thread t
        WHERE t.workspace_id = c.workspace_id AND t.customer_id = c.id) AS latest_thread
FROM (
    -- Two look-ups, each by its own index, then their union: written as one condition with
    -- OR EXISTS, the planner used neither and read every customer of the workspace (270 ms
    -- at 170,000 customers; 2-30 ms this way, growing with the matches only).
    SELECT c.id FROM customer c
    WHERE c.workspace_id = $1
      AND to_tsvector('inbox_names'::regconfig, coalesce(c.display_name, ''))
          @@ plainto_tsquery('inbox_names'::regconfig, $2)
    UNION
    SELECT i.customer_id FROM identity i
    WHERE i.workspace_id = $1 AND lower(i.handle) = lower(ltrim($2, '@'))
    -- the page's count, said here: the planner otherwise guesses thousands of names found
    -- and reads every customer of the workspace to join them (180-330 ms at 1.7 million
    -- customers, under 1.1 ms with it)
    LIMIT $3
) found
JOIN customer c ON c.workspace_id = $1 AND c.id = found.id
"""


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@functools.lru_cache(maxsize=32768)
def _instant(micros: int) -> datetime:
    # The same threads' instants at every page: most are found here, not built again.
    return _EPOCH + timedelta(microseconds=micros)


def _instant_or_none(micros: int | None) -> datetime | None:
    return None if micros is None else _instant(micros)


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
        sla_due_at=_instant_or_none(row["sla_due_us"]),
        last_inbound_at=_instant_or_none(row["last_inbound_us"]),
        answered=row["answered"],
        assignee=row["assignee"],
        author=row["author"],
        waiting_since=_instant_or_none(row["waiting_since_us"]),
        sla_started_at=_instant_or_none(row["sla_started_us"]),
        sla_warn_at=_instant_or_none(row["sla_warn_us"]),
        tags=tuple(row["tags"]),
    )


def _counts(row: Any) -> dict[str, int]:
    assert row is not None  # an aggregate, or scalar subqueries, always answer one row
    return {key: int(value) for key, value in dict(row).items()}


class PgInboxList:
    """The inbox list and what stands around it: counts, figures, search."""

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
            max(0, limit),
        )
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                statement,
                workspace_id,
                now,
                *((agent_id,) if view in _VIEWS_OF_AGENT else ()),
                *(value for _, value in asked),
                *(() if threads is None else (sorted(threads),)),
            )
        return [inbox_row(row) for row in rows]

    async def desk(
        self,
        workspace_id: int,
        token_hash: bytes,
        view: str,
        limit: int,
        filters: InboxFilters,
        now: datetime,
    ) -> DeskRead | None:
        asked = [(name, getattr(filters, name)) for name in _FILTER_WHERE]
        asked = [(name, value) for name, value in asked if value is not None]
        # A state no thread is in filters every row out (and the session is still read).
        sla = filters.sla if filters.sla in _SLA_WHERE else None
        limit = max(0, limit) if filters.sla is None or sla is not None else 0
        view = view if view in _VIEW_WHERE else "all"
        statement = desk_query(view, tuple(name for name, _ in asked), sla, limit)
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                statement, workspace_id, now, token_hash, *(value for _, value in asked)
            )
        # UNION ALL gives each branch's rows as it reads them: the list's in its order.
        listed, page = [], None
        for row in rows:
            if row["page"] is None:
                listed.append(inbox_row(row))
            else:
                page = json.loads(row["page"])
        if page is None:
            return None  # no such session, or it ended
        return DeskRead(
            session=web_session(page["session"]),
            rows=listed,
            colleagues=tuple((c[0], c[1]) for c in page["colleagues"] or ()),
            teams=tuple((t[0], t[1]) for t in page["teams"] or ()),
        )

    async def view_counts(self, workspace_id: int, agent_id: int, now: datetime) -> dict[str, int]:
        async with self._db.connection() as conn:
            return _counts(await conn.fetchrow(VIEW_COUNTS, workspace_id, agent_id, now))

    async def teams_of(self, workspace_id: int, agent_id: int) -> frozenset[int]:
        rows = await self._db.fetch(TEAMS_OF, workspace_id, agent_id)
        return frozenset(row["team_id"] for row in rows)

    async def search(
        self, workspace_id: int, words: str, limit: int, now: datetime
    ) -> SearchResults:
        async with self._reads.connection() as conn:
            threads = await search_threads(conn, workspace_id, words, limit, now)
            customers = await conn.fetch(SEARCH_CUSTOMERS, workspace_id, words, limit)
        return SearchResults(
            threads=tuple(found_thread(row) for row in threads),
            customers=tuple(found_customer(row) for row in customers),
            limit=limit,
        )

    async def my_figures(self, workspace_id: int, agent_id: int, now: datetime) -> dict[str, int]:
        async with self._db.connection() as conn:
            return _counts(await conn.fetchrow(MY_FIGURES, workspace_id, agent_id, now))
