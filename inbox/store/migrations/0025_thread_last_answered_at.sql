-- The last time a person answered the thread: the latest outbound message that is not
-- automated. An out-of-hours acknowledgement is outbound but answers nothing (it never stops
-- an SLA clock), so the pages decide "answered" and "waiting on the customer" on this column,
-- not on `last_outbound_at` (any brand message). Kept by ingestion with the thread's other
-- figures.
ALTER TABLE thread ADD COLUMN last_answered_at timestamptz;

UPDATE thread t SET last_answered_at = a.last_answer
FROM (SELECT workspace_id, thread_id, max(created_at) AS last_answer
      FROM mention
      WHERE thread_id IS NOT NULL AND direction = 'outbound' AND NOT automated
      GROUP BY workspace_id, thread_id) a
WHERE t.workspace_id = a.workspace_id AND t.id = a.thread_id;
