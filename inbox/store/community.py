"""The community's answers: the questions offered to a member, their drafts, their review by
staff (approval and the post's queueing in one transaction) and the member's credit.

Every statement names the workspace, and every member's statement the member: a member reads
only their own questions and answers.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from inbox.domain.community import (
    AnswerForReview,
    AnswerStatus,
    Credit,
    CustomerMessage,
    MemberAnswer,
    OfferedQuestion,
    Review,
    ReviewedAnswer,
)
from inbox.domain.outbox import OutboxItem, OutboxKind
from inbox.store.database import Database
from inbox.store.outbox import BY_KEY, ENQUEUE
from inbox.store.thread_sql import AWAITING_ANSWER_SQL

# Routing offers only low-risk public questions; these hold at every read and write whatever
# changed since it did: a follow-up exposing a phone number, a customer made VIP, a thread
# corrected to a complaint or turned private is no longer shown to the community.
SHOWABLE = """NOT t.private AND NOT t.personal_data AND t.kind <> 'complaint'
  AND NOT coalesce((SELECT c.vip FROM customer c
                    WHERE c.workspace_id = t.workspace_id AND c.id = t.customer_id), false)"""
# Offered to member $2 of workspace $1, and still open.
OFFERED_TO = f"""t.workspace_id = $1 AND t.assignee_id = $2 AND t.community
  AND t.status IN {AWAITING_ANSWER_SQL}"""

# Questions waiting for this member (or only thread $3): those they answered since the
# customer last wrote are done; a pending answer of theirs is shown with the question.
OFFERED = f"""
SELECT t.id, t.network, t.last_inbound_at,
       (SELECT a.id FROM community_answer a
        WHERE a.workspace_id = t.workspace_id AND a.thread_id = t.id AND a.member_id = $2
          AND a.status = 'pending') AS pending_answer_id
FROM thread t
WHERE {OFFERED_TO} AND {SHOWABLE}
  AND ($3::bigint IS NULL OR t.id = $3)
  AND NOT EXISTS (
      SELECT 1 FROM community_answer a
      WHERE a.workspace_id = t.workspace_id AND a.thread_id = t.id AND a.member_id = $2
        AND a.status IN ('approved', 'edited') AND a.created_at >= t.last_inbound_at)
ORDER BY t.last_inbound_at DESC NULLS LAST, t.id DESC
LIMIT $4
"""  # noqa: S608 (constant fragments, not input)
# The customer's public messages of each thread: its last five, oldest first.
MESSAGES = """
SELECT thread_id, author_handle, body, created_at FROM (
    SELECT m.thread_id, m.author_handle, m.body, m.created_at,
           row_number() OVER (PARTITION BY m.thread_id
                              ORDER BY m.created_at DESC, m.external_id DESC) AS recent
    FROM mention m
    WHERE m.workspace_id = $1 AND m.thread_id = ANY($2::bigint[])
      AND m.direction = 'inbound' AND NOT m.private
) last_ones
WHERE recent <= 5
ORDER BY thread_id, created_at
"""
# One pending answer a member and question: a second submission (a double click) adds none.
SUBMIT = f"""
INSERT INTO community_answer (workspace_id, thread_id, member_id, body)
SELECT $1, t.id, $2, $4 FROM thread t
WHERE {OFFERED_TO} AND {SHOWABLE} AND t.id = $3
ON CONFLICT (workspace_id, thread_id, member_id) WHERE status = 'pending' DO NOTHING
RETURNING id
"""  # noqa: S608 (constant fragments, not input)
# A member's answers, newest first, with the customer's message each one answered.
MEMBER_ANSWERS = f"""
SELECT a.id, a.thread_id, t.network, a.body, a.status, a.posted_body, a.review_note,
       a.created_at, a.reviewed_at, coalesce(o.status = 'sent', false) AS posted,
       CASE WHEN {SHOWABLE} THEN asked.body END AS question,
       CASE WHEN {SHOWABLE} THEN asked.author_handle END AS author_handle
FROM community_answer a
JOIN thread t ON t.workspace_id = a.workspace_id AND t.id = a.thread_id
LEFT JOIN outbox_item o ON o.workspace_id = a.workspace_id AND o.id = a.outbox_item_id
LEFT JOIN LATERAL (
    SELECT m.body, m.author_handle FROM mention m
    WHERE m.workspace_id = a.workspace_id AND m.thread_id = a.thread_id
      AND m.direction = 'inbound' AND NOT m.private
    ORDER BY (m.created_at <= a.created_at) DESC, m.created_at DESC
    LIMIT 1
) asked ON true
WHERE a.workspace_id = $1 AND a.member_id = $2
ORDER BY a.created_at DESC, a.id DESC
LIMIT $3
"""  # noqa: S608 (constant fragments, not input)
CREDIT = """
SELECT count(*) AS answers,
       count(*) FILTER (WHERE status IN ('approved', 'edited')) AS approved,
       count(*) FILTER (WHERE status IN ('approved', 'edited') AND reviewed_at >= $3)
           AS approved_since,
       count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'rejected') AS rejected
FROM community_answer WHERE workspace_id = $1 AND member_id = $2
"""
# Pending answers, oldest first (or only answer $2).
FOR_REVIEW = """
SELECT a.id, a.thread_id, t.network, a.member_id, a.body, a.created_at,
       p.display_name AS member
FROM community_answer a
JOIN thread t ON t.workspace_id = a.workspace_id AND t.id = a.thread_id
JOIN agent p ON p.workspace_id = a.workspace_id AND p.id = a.member_id
WHERE a.workspace_id = $1 AND a.status = 'pending' AND ($2::bigint IS NULL OR a.id = $2)
ORDER BY a.created_at, a.id
LIMIT $3
"""
PENDING_COUNT = """
SELECT count(*) FROM community_answer WHERE workspace_id = $1 AND status = 'pending'
"""
# An edit that changes nothing is an approval: the member's words were posted as they were.
REVIEW = """
UPDATE community_answer
SET status = CASE WHEN $3 = 'edited' AND $4 = body THEN 'approved' ELSE $3 END,
    posted_body = CASE WHEN $3 = 'edited' AND $4 <> body THEN $4 END,
    reviewed_by = $5, reviewed_at = $6, review_note = $7
WHERE workspace_id = $1 AND id = $2 AND status = 'pending'
RETURNING thread_id, member_id, status, coalesce(posted_body, body) AS text
"""
LINK_OUTBOX = """
UPDATE community_answer SET outbox_item_id = $3 WHERE workspace_id = $1 AND id = $2
"""
MOST_QUESTIONS = 50


def _messages(rows: list[Any]) -> dict[int, tuple[CustomerMessage, ...]]:
    by_thread: dict[int, list[CustomerMessage]] = defaultdict(list)
    for row in rows:
        by_thread[row["thread_id"]].append(
            CustomerMessage(row["author_handle"], row["body"], row["created_at"])
        )
    return {thread_id: tuple(messages) for thread_id, messages in by_thread.items()}


class PgCommunityAnswers:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def offered(
        self, workspace_id: int, member_id: int, thread_id: int | None = None
    ) -> list[OfferedQuestion]:
        """The questions waiting for the member (or only that thread, if it is one)."""
        async with self._db.connection() as conn:
            rows = await conn.fetch(OFFERED, workspace_id, member_id, thread_id, MOST_QUESTIONS)
            messages = _messages(
                await conn.fetch(MESSAGES, workspace_id, [row["id"] for row in rows])
            )
        return [
            OfferedQuestion(
                thread_id=row["id"],
                network=row["network"],
                asked_at=row["last_inbound_at"],
                messages=messages.get(row["id"], ()),
                pending_answer_id=row["pending_answer_id"],
            )
            for row in rows
        ]

    async def submit(
        self, workspace_id: int, member_id: int, thread_id: int, body: str
    ) -> int | None:
        """The answer's id; None when the thread is not offered to the member or an answer
        of theirs to it is already pending."""
        value = await self._db.fetchval(SUBMIT, workspace_id, member_id, thread_id, body)
        return None if value is None else int(value)

    async def answers_of(self, workspace_id: int, member_id: int, limit: int) -> list[MemberAnswer]:
        rows = await self._db.fetch(MEMBER_ANSWERS, workspace_id, member_id, limit)
        return [
            MemberAnswer(
                id=row["id"],
                thread_id=row["thread_id"],
                network=row["network"],
                question=row["question"],
                author_handle=row["author_handle"],
                body=row["body"],
                status=AnswerStatus(row["status"]),
                edited_body=row["posted_body"],
                note=row["review_note"],
                submitted_at=row["created_at"],
                reviewed_at=row["reviewed_at"],
                posted=row["posted"],
            )
            for row in rows
        ]

    async def credit(self, workspace_id: int, member_id: int, since: datetime) -> Credit:
        row = await self._db.fetchrow(CREDIT, workspace_id, member_id, since)
        assert row is not None  # an aggregate always answers one row
        return Credit(**{key: int(value) for key, value in row.items()})

    async def for_review(
        self, workspace_id: int, answer_id: int | None = None, limit: int = 200
    ) -> list[AnswerForReview]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(FOR_REVIEW, workspace_id, answer_id, limit)
            threads = sorted({row["thread_id"] for row in rows})
            messages = _messages(await conn.fetch(MESSAGES, workspace_id, threads))
        return [
            AnswerForReview(
                id=row["id"],
                thread_id=row["thread_id"],
                network=row["network"],
                member_id=row["member_id"],
                member=row["member"],
                body=row["body"],
                submitted_at=row["created_at"],
                messages=messages.get(row["thread_id"], ()),
            )
            for row in rows
        ]

    async def pending_count(self, workspace_id: int) -> int:
        async with self._db.connection() as conn:
            return int(await conn.fetchval(PENDING_COUNT, workspace_id))

    async def review(
        self, workspace_id: int, review: Review
    ) -> tuple[ReviewedAnswer, OutboxItem | None] | None:
        """The answer as reviewed and, unless rejected, its reply queued in the outbox (key
        `community:<id>`), in one transaction: an approved answer is never left unqueued.
        None when the answer is not pending (reviewed already, or no such answer)."""
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                REVIEW,
                workspace_id,
                review.answer_id,
                review.status.value,
                review.edited,
                review.reviewer_id,
                review.at,
                review.note,
            )
            if row is None:
                return None
            reviewed = ReviewedAnswer(
                thread_id=row["thread_id"],
                member_id=row["member_id"],
                status=AnswerStatus(row["status"]),
                posted_text=None if row["status"] == "rejected" else row["text"],
            )
            if reviewed.posted_text is None:
                return reviewed, None
            key = f"community:{review.answer_id}"
            item = await conn.fetchrow(
                ENQUEUE,
                workspace_id,
                reviewed.thread_id,
                OutboxKind.REPLY.value,
                key,
                reviewed.posted_text,
                None,
                None,
                None,
                review.reviewer_id,  # who let it through, named on the thread
            ) or await conn.fetchrow(BY_KEY, workspace_id, key)
            assert item is not None  # the thread is there: the answer's row names it
            await conn.execute(LINK_OUTBOX, workspace_id, review.answer_id, item["id"])
        return reviewed, OutboxItem.model_validate(dict(item))
