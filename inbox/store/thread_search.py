"""Threads by the words of their messages, newest match first, at a cost set by the page.

Searching the whole history for a common word read every message that holds it (a city name
of the complaints: 17,000 messages at a million, 170,000 at ten million) only to keep the
newest few threads. The newest matches are the ones shown, so the search looks at the last
day first, and widens the window only while it has found fewer threads than the page holds.
Within a window, the B-tree on the messages' date and the full-text index are intersected,
and only that window's matches are read. A rare word ends in the whole history, where its
few matches are cheap to read.

The answer is the same as a search of everything: a window that yields a full page holds
the page's threads with their true latest match (each is inside the window), and every
thread it left out matched only before the window began, so after all of them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from inbox.store.database import Connection

# Windows back from now, each tried only while the one before found less than a page. A busy
# workspace fills a page with a common word in the first day; a word that does not fill one
# in a month is read over the whole history. Each window costs at most its own span of dates,
# whatever the history's length.
WINDOWS = (timedelta(days=1), timedelta(days=30))

# The full-text condition: the same expression as the index `mention_search`, or the index
# is not used.
_MATCHES = """(to_tsvector('inbox_fr'::regconfig, m.body)
       || to_tsvector('inbox_en'::regconfig, m.body))
      @@ (plainto_tsquery('inbox_fr'::regconfig, $2)
          || plainto_tsquery('inbox_en'::regconfig, $2))"""

# Marks around each word found, in the text `ts_headline` returns: control characters that
# are taken out of the message first, so that no customer's text can forge or break a mark.
# `inbox.store.search_results` reads them.
_MARKED = "E'StartSel=\\x01, StopSel=\\x02, HighlightAll=true'"

# The page is chosen from the messages alone, then its threads are read by key: joined before
# the limit, a word the statistics do not know (an order number, estimated at one message in
# a hundred) led the planner to read every thread of the workspace for a handful of matches.
_SEARCH = """
SELECT t.id, t.network, t.status, t.excerpt, found.latest
FROM (
    SELECT m.thread_id, max(m.created_at) AS latest
    FROM mention m
    WHERE m.workspace_id = $1 AND m.thread_id IS NOT NULL {since}
      AND {matches}
    GROUP BY m.thread_id
    ORDER BY latest DESC, m.thread_id DESC
    LIMIT $3
) found
JOIN thread t ON t.workspace_id = $1 AND t.id = found.thread_id
ORDER BY found.latest DESC, t.id DESC
"""
SEARCH_SINCE = _SEARCH.format(since="AND m.created_at >= $4", matches=_MATCHES)
SEARCH_ALL = _SEARCH.format(since="", matches=_MATCHES)

# What a result shows, read for the page's threads ($3, with their `latest` in $4) once they
# are chosen: the author of the thread's latest customer message (as the inbox names it), the
# assignee, and the newest matching message with the words of either language's query
# marked, parsed by the thread's language (one `ts_headline` a result: each parses the whole
# message again). A statement of its own: in the page's, these joins changed the plan
# PostgreSQL keeps for it, and an order number then took 10 ms instead of 1.
RESULTS = f"""
SELECT t.id, a.display_name AS assignee, who.author_handle, who.author_name,
       hit.direction AS hit_direction,
       ts_headline(
           CASE WHEN t.language = 'fr' THEN 'inbox_fr' ELSE 'inbox_en' END::regconfig,
           hit.body,
           plainto_tsquery('inbox_fr'::regconfig, $2) || plainto_tsquery('inbox_en'::regconfig, $2),
           {_MARKED}
       ) AS marked
FROM unnest($3::bigint[], $4::timestamptz[]) AS found(thread_id, latest)
JOIN thread t ON t.workspace_id = $1 AND t.id = found.thread_id
LEFT JOIN agent a ON a.workspace_id = t.workspace_id AND a.id = t.assignee_id
LEFT JOIN LATERAL (
    SELECT m.author_handle, m.author_name FROM mention m
    WHERE m.workspace_id = t.workspace_id AND m.thread_id = t.id AND m.direction = 'inbound'
    ORDER BY m.created_at DESC LIMIT 1
) who ON true
LEFT JOIN LATERAL (
    -- one line of single spaces: a result is one paragraph
    SELECT btrim(regexp_replace(translate(m.body, E'\\x01\\x02', ''), '\\s+', ' ', 'g')) AS body,
           m.direction
    FROM mention m
    -- read back from `latest` by the thread's own index (the newest match is the first
    -- row read); an equality on the date alone led to the index of every message by date,
    -- and through all the workspace's messages of that instant
    WHERE m.workspace_id = t.workspace_id AND m.thread_id = t.id
      AND m.created_at <= found.latest AND {_MATCHES}
    ORDER BY m.created_at DESC LIMIT 1
) hit ON true
"""  # noqa: S608 (constants only)


# A common word's matches, at ten million messages, no longer fit a bitmap of the default
# 4 MB: it turns lossy and every message of the day's window is parsed again (165 ms, 68 ms
# with 16 MB, measured there). For this search's transaction only.
ROOMY_BITMAPS = "SET LOCAL work_mem = '16MB'"


async def search_threads(
    conn: Connection, workspace_id: int, words: str, limit: int, now: datetime
) -> list[dict[str, Any]]:
    """The `limit` threads whose newest message holding `words` is the newest (ties: the
    newest thread first), with that message's date as `latest`, and what a result shows of
    each (`inbox.store.search_results.found_thread` reads it)."""
    async with conn.transaction(readonly=True):
        await conn.execute(ROOMY_BITMAPS)
        page = await _page(conn, workspace_id, words, limit, now)
    if not page:
        return []
    shown = await conn.fetch(
        RESULTS,
        workspace_id,
        words,
        [row["id"] for row in page],
        [row["latest"] for row in page],
    )
    of_thread = {row["id"]: row for row in shown}
    return [{**of_thread[row["id"]], **row} for row in page if row["id"] in of_thread]


async def _page(
    conn: Connection, workspace_id: int, words: str, limit: int, now: datetime
) -> list[Any]:
    for window in WINDOWS:
        rows = await conn.fetch(SEARCH_SINCE, workspace_id, words, limit, now - window)
        if len(rows) >= limit:
            return rows
    return await conn.fetch(SEARCH_ALL, workspace_id, words, limit)
