-- The agent's flow: the status people set themselves, the shift their team's calendar keeps,
-- and the tags agents put on threads.

-- "Busy": the agent keeps their threads but is given no new ones. "Away" (0009) also takes
-- them out of routing; it wins over busy when both are set (an admin may set away).
ALTER TABLE agent ADD COLUMN busy boolean NOT NULL DEFAULT false;

-- Whether the team's calendar (its SLA policy's) is open now, kept by the worker's shift
-- pass: an agent is on shift when their own flag (agent.on_shift) says so and, if they
-- belong to teams, one of them is open.
ALTER TABLE team ADD COLUMN shift_open boolean NOT NULL DEFAULT true;

-- Tags live on the thread (thread.tags, 0009): set by routing rules and by agents. The
-- inbox filters on them (`?tag=`: `tags @> ARRAY[...]`).
CREATE INDEX thread_tags ON thread USING gin (tags);
