-- Each thread's nearest running deadline (the queue's order, `thread.sla_due_at`), kept by
-- ingestion and by every change of clocks, read from this index alone: one probe a thread.
-- Without it, with statistics that lag a workspace being filled, the planner read it through
-- sla_clock_running, every running clock of the workspace for each thread of a batch.
CREATE INDEX sla_clock_running_thread ON sla_clock (workspace_id, thread_id, deadline)
    WHERE stopped_at IS NULL;
