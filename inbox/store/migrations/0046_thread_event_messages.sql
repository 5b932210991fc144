-- A message's events found by the message itself: its text leaves every webhook delivery that
-- carried it, wherever the event sits (a customer writes in someone else's thread; a merged
-- thread's events stay under its old id).
CREATE INDEX thread_event_message
    ON thread_event (workspace_id, message_network, message_external_id)
    WHERE message_external_id IS NOT NULL;
