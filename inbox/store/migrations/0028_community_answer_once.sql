-- One answer of a member waiting for review per question: a form sent twice (a double click,
-- a page sent again) adds no second draft for an agent to review. Drafts already waiting
-- twice keep their latest; the older ones are marked replaced, with a note saying so.
UPDATE community_answer a
SET status = 'rejected', reviewed_at = now(),
    review_note = 'replaced by a later answer to the same question'
WHERE a.status = 'pending'
  AND EXISTS (SELECT 1 FROM community_answer later
              WHERE later.workspace_id = a.workspace_id AND later.thread_id = a.thread_id
                AND later.member_id = a.member_id AND later.status = 'pending'
                AND later.id > a.id);

CREATE UNIQUE INDEX community_answer_one_pending
    ON community_answer (workspace_id, thread_id, member_id) WHERE status = 'pending';
