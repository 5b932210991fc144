-- A customer's messages found by the customer: an export or an erasure reads every message
-- they wrote, on any thread; without this index it read the whole mention table while the
-- workspace's ingestion waited on the erasure's lock. Ingestion pays one entry a message.
CREATE INDEX mention_customer ON mention (workspace_id, customer_id)
    WHERE customer_id IS NOT NULL;

-- A message erased at its author's request says so on the thread page, as one removed by
-- retention or deleted on its network does. Every row met the narrower check: the wider one
-- need not read the table again (NOT VALID still holds every row written from now on).
ALTER TABLE mention DROP CONSTRAINT mention_text_removed_reason_check;
ALTER TABLE mention ADD CONSTRAINT mention_text_removed_reason_check
    CHECK (text_removed_reason IN ('retention', 'deleted_on_network', 'erased')) NOT VALID;
