-- What happens to a thread, as events for the tools outside (a CRM, a data warehouse): an
-- outbox written in the same transaction as the change itself, so an event exists exactly when
-- its change committed, and delivered to webhooks in order, thread by thread.

-- Each thread numbers its events: the update of this counter locks the thread's row, so two
-- transactions writing events of one thread commit them in the order of their numbers.
ALTER TABLE thread ADD COLUMN event_seq bigint NOT NULL DEFAULT 0;

CREATE TABLE thread_event (
    workspace_id   bigint NOT NULL,
    thread_id      bigint NOT NULL,      -- no foreign key: an event outlives a merged thread
    seq            bigint NOT NULL,      -- 1, 2, 3 ... per thread, in the order of the changes
    kind           text NOT NULL,        -- message.received, thread.assigned ...
    occurred_at    timestamptz NOT NULL,
    data           jsonb NOT NULL DEFAULT '{}',  -- ids and facts only: never a text, never a secret
    -- The message a message event is about, for the webhooks that take its text: the text is
    -- read at dispatch, not copied here, so an erased message is not kept in the outbox.
    message_network     text,
    message_external_id text,
    outbox_id           bigint,
    dispatched_at  timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, thread_id, seq)
);
CREATE INDEX thread_event_undispatched ON thread_event (workspace_id, thread_id, seq)
    WHERE dispatched_at IS NULL;

-- A webhook receives the text of message events only if it asked for it.
ALTER TABLE webhook ADD COLUMN include_text boolean NOT NULL DEFAULT false;

-- Deliveries of one sequence (a thread's events: `thread:<id>`) to one webhook go one after
-- another: the next is claimed only once the one before was delivered or given up.
ALTER TABLE webhook_delivery ADD COLUMN sequence_key text;
ALTER TABLE webhook_delivery ADD COLUMN sequence_no bigint;
CREATE INDEX webhook_delivery_sequence
    ON webhook_delivery (workspace_id, webhook_id, sequence_key, sequence_no)
    WHERE sequence_key IS NOT NULL AND status IN ('pending', 'sending');
