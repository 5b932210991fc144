-- What happens to a customer record (an edit, an import, a merge, a split), as events for a
-- CRM: written in the same transaction as the change, delivered to webhooks in order,
-- customer by customer, as thread events are (0037).

-- Each customer numbers its events: the update of this counter locks the customer's row, so
-- two transactions writing events of one customer commit them in the order of their numbers.
ALTER TABLE customer ADD COLUMN event_seq bigint NOT NULL DEFAULT 0;

CREATE TABLE customer_event (
    workspace_id   bigint NOT NULL,
    customer_id    bigint NOT NULL,      -- no foreign key: an event outlives an erased customer
    seq            bigint NOT NULL,      -- 1, 2, 3 ... per customer, in the order of the changes
    kind           text NOT NULL,        -- customer.updated, customer.merged, customer.split
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    data           jsonb NOT NULL DEFAULT '{}',  -- ids and the kept fields: never a name or a text
    dispatched_at  timestamptz,
    PRIMARY KEY (workspace_id, customer_id, seq)
);
CREATE INDEX customer_event_undispatched ON customer_event (workspace_id, customer_id, seq)
    WHERE dispatched_at IS NULL;
