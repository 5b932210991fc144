"""What the incident pages read beyond the incident itself, read-only: the complaints it
matches per bucket from the database's history (the detector keeps its counts in memory
only), what its linked complaints share (topics, keyword groups, places, with their counts),
and its linked threads as the inbox's rows.

Which complaints an incident matches is the linking rule of inbox/store/incidents_sql.py,
reused as it is: the chart counts what the incident would link.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from inbox.domain.incident_history import ChartWindow, Counted, IncidentFacts
from inbox.domain.web import InboxRow
from inbox.store import incidents_sql
from inbox.store.adoption import STARTED
from inbox.store.database import Reads
from inbox.store.inbox_list import ROW_COLUMNS, ROW_JOINS, inbox_row
from inbox.store.incidents import KEYWORD_GROUP_EFFECTS

_EFFECTS = list(KEYWORD_GROUP_EFFECTS)
_GROUPS = list(KEYWORD_GROUP_EFFECTS.values())

# The complaints the incident matches, per bucket of $5 seconds from $3 (negative indexes:
# the $6 days before, for their usual level), until $4.
COUNTS = f"""
SELECT floor(extract(epoch FROM m.created_at - $3::timestamptz) / $5::float8)::bigint AS bucket,
       count(*) AS count
FROM incident i
JOIN mention m ON m.workspace_id = i.workspace_id AND m.direction = 'inbound'
 AND m.created_at >= $3::timestamptz - make_interval(days => $6::int)
 AND m.created_at < $4::timestamptz
JOIN mention_classification mc
  ON mc.workspace_id = m.workspace_id AND mc.network = m.network
 AND mc.external_id = m.external_id AND mc.kind = 'complaint'
WHERE i.workspace_id = $1 AND i.id = $2 AND {incidents_sql.matches("$7", "$8")}
GROUP BY 1
"""  # noqa: S608 (constants only)

# What the complaints of each incident's linked threads share (the first 2000 threads of
# each, as the incident's own facts are refreshed), and how many customers it touched (all).
FACTS = f"""
WITH linked AS MATERIALIZED (
    SELECT x.id AS incident_id, mc.network, mc.external_id, mc.topics,
           {incidents_sql.keyword_groups("$3", "$4")} AS groups
    FROM unnest($2::bigint[]) AS x(id)
    CROSS JOIN LATERAL (
        SELECT l.thread_id FROM incident_thread l
        WHERE l.workspace_id = $1 AND l.incident_id = x.id
        ORDER BY l.linked_at, l.thread_id
        LIMIT 2000
    ) l
    JOIN mention_classification mc
      ON mc.workspace_id = $1 AND mc.thread_id = l.thread_id AND mc.kind = 'complaint'
)
SELECT incident_id, 'topic' AS kind, topic AS name, count(*) AS count
FROM linked, unnest(linked.topics) AS topic GROUP BY 1, 3
UNION ALL
SELECT incident_id, 'group', grp, count(*) FROM linked, unnest(linked.groups) AS grp GROUP BY 1, 3
UNION ALL
SELECT linked.incident_id, 'place', p.place, count(DISTINCT (linked.network, linked.external_id))
FROM linked
JOIN mention m ON m.workspace_id = $1 AND m.network = linked.network
 AND m.external_id = linked.external_id
CROSS JOIN LATERAL (SELECT DISTINCT r[1] AS place FROM regexp_matches(m.body, $5, 'g') AS r) p
GROUP BY 1, 3
UNION ALL
SELECT incident_id, 'complaints', '', count(*) FROM linked GROUP BY 1
UNION ALL
SELECT l.incident_id, 'authors', '', count(DISTINCT t.customer_id)
FROM incident_thread l
JOIN thread t ON t.workspace_id = l.workspace_id AND t.id = l.thread_id
WHERE l.workspace_id = $1 AND l.incident_id = ANY($2::bigint[])
GROUP BY 1
"""  # noqa: S608 (constants only)

# The linked threads as the inbox shows them: those still open first, nearest deadline
# first; then the others, latest customer message first.
LINKED_ROWS = f"""
SELECT {ROW_COLUMNS}
FROM incident_thread l
JOIN thread t ON t.workspace_id = l.workspace_id AND t.id = l.thread_id
{ROW_JOINS}
WHERE l.workspace_id = $1 AND l.incident_id = $2
ORDER BY (t.status = 'resolved'), t.sla_due_at NULLS LAST, t.last_inbound_at DESC NULLS LAST,
         t.id DESC
LIMIT $3
"""  # noqa: S608 (constants only)


class PgIncidentHistory:
    def __init__(self, db: Reads) -> None:
        self._db = db

    async def complaint_counts(
        self, workspace_id: int, incident_id: int, window: ChartWindow, days_before: int
    ) -> dict[int, int]:
        rows = await self._db.fetch(
            COUNTS, workspace_id, incident_id, window.start, window.end,
            window.width.total_seconds(), days_before, _EFFECTS, _GROUPS,
        )  # fmt: skip
        return {int(r["bucket"]): int(r["count"]) for r in rows}

    async def known_since(self, workspace_id: int) -> datetime | None:
        async with self._db.connection() as conn:
            found: datetime | None = await conn.fetchval(STARTED, workspace_id)
        return found

    async def facts(
        self, workspace_id: int, incident_ids: Sequence[int]
    ) -> dict[int, IncidentFacts]:
        if not incident_ids:
            return {}
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                FACTS, workspace_id, list(incident_ids), _EFFECTS, _GROUPS,
                incidents_sql.PLACE_PATTERN,
            )  # fmt: skip
        counted: dict[tuple[int, str], list[Counted]] = defaultdict(list)
        totals: dict[tuple[int, str], int] = {}
        for row in rows:
            key = (row["incident_id"], row["kind"])
            if row["kind"] in ("complaints", "authors"):
                totals[key] = int(row["count"])
            else:
                counted[key].append(Counted(row["name"], int(row["count"])))

        def ranked(incident_id: int, kind: str) -> tuple[Counted, ...]:
            return tuple(sorted(counted[(incident_id, kind)], key=lambda c: (-c.count, c.name)))

        return {
            incident_id: IncidentFacts(
                topics=ranked(incident_id, "topic"),
                keyword_groups=ranked(incident_id, "group"),
                places=ranked(incident_id, "place"),
                complaints=totals.get((incident_id, "complaints"), 0),
                authors=totals.get((incident_id, "authors"), 0),
            )
            for incident_id in incident_ids
        }

    async def linked_rows(self, workspace_id: int, incident_id: int, limit: int) -> list[InboxRow]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(LINKED_ROWS, workspace_id, incident_id, limit)
        return [inbox_row(row) for row in rows]
