"""Predicates on threads that many statements share, named once so that they cannot drift:
which statuses are open or owed an answer, and how a statement over a selection of threads
answers for each."""

from __future__ import annotations

from typing import Any

from inbox.domain.bulk import Skipped
from inbox.domain.thread import AWAITING_ANSWER, OPEN_STATUSES

# The statuses of a thread someone still has to deal with, as an SQL list: `status IN {...}`.
OPEN_STATUSES_SQL = "(" + ", ".join(f"'{status}'" for status in sorted(OPEN_STATUSES)) + ")"
# Open and owed an answer (not pending on the customer), likewise.
AWAITING_ANSWER_SQL = "(" + ", ".join(f"'{status}'" for status in sorted(AWAITING_ANSWER)) + ")"

# A statement over a selection of threads ($2) starts `WITH {SELECTED}, changed AS (...)` and
# ends with `{ANSWER}`: one row per thread asked, `found` (in the workspace $1), `done`, and
# for those not done, enough to say why (their status).
SELECTED = """asked AS (SELECT DISTINCT unnest($2::bigint[]) AS id),
found AS (
    SELECT t.id, t.status, t.assignee_id, t.team_id, t.tags
    FROM thread t JOIN asked USING (id) WHERE t.workspace_id = $1
)"""
ANSWER = """
SELECT a.id, f.id IS NOT NULL AS found, f.status, d.id IS NOT NULL AS done, f.assignee_id AS was,
       f.tags
FROM asked a LEFT JOIN found f USING (id) LEFT JOIN changed d USING (id)
"""


def skipped_because(row: Any, *, already: bool = False) -> Skipped:
    """Why a thread of the selection was not changed, from its ANSWER row."""
    if not row["found"]:
        return Skipped.NOT_FOUND
    if row["status"] not in OPEN_STATUSES:
        return Skipped.CLOSED
    return Skipped.ALREADY if already else Skipped.CLOSED
