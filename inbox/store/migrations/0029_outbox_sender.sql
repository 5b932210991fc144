-- Who queued an outbox item: the agent whose reply or direct message it is, or who approved
-- a community answer (NULL: an acknowledgement, an incident's message to everyone affected).
-- The thread page says who sent each brand message from it.
ALTER TABLE outbox_item ADD COLUMN agent_id bigint;

-- Replies queued before: their idempotency key names the agent ("reply:<agent id>:<key>").
UPDATE outbox_item SET agent_id = split_part(idempotency_key, ':', 2)::bigint
WHERE kind = 'reply' AND idempotency_key ~ '^reply:[0-9]{1,18}:';
UPDATE outbox_item o SET agent_id = a.reviewed_by
FROM community_answer a
WHERE a.workspace_id = o.workspace_id AND a.outbox_item_id = o.id AND o.agent_id IS NULL;

-- A brand message finds the item that sent it; a thread lists what is still queued on it.
CREATE INDEX outbox_item_sent ON outbox_item (workspace_id, network, sent_external_id)
    WHERE sent_external_id IS NOT NULL;
CREATE INDEX outbox_item_thread ON outbox_item (workspace_id, thread_id);
CREATE INDEX community_answer_outbox ON community_answer (workspace_id, outbox_item_id)
    WHERE outbox_item_id IS NOT NULL;
