-- Reads that still grew with the whole history (bench/growth.py; docs/growth.md).

-- Search reads the newest messages first, in widening windows of date: this index gives a
-- window's messages, intersected with the full-text index's matches, so that a common word
-- costs the page it fills, not every message that holds it.
CREATE INDEX mention_recent ON mention (workspace_id, created_at);

-- The adoption panel's roll-ups: a year of acts and answers was read at every view of the
-- dashboard. A periodic pass rolls up what is settled; the panel reads the roll-ups and
-- whatever came after their marks, as it is (inbox/store/adoption.py).
CREATE TABLE adoption_rollup (
    workspace_id  bigint PRIMARY KEY,
    acts_until    timestamptz,   -- a UTC midnight: acts before it are in adoption_act_day
    answers_until timestamptz,   -- answers that arrived before it are in adoption_answer_slot
    rolled_at     timestamptz
);
-- Who acted on a thread on a UTC day, with the day's first and last act: a day holds one
-- boundary of the reader's weeks at most, so these two give every week it counts in.
CREATE TABLE adoption_act_day (
    workspace_id bigint NOT NULL,
    day          date NOT NULL,
    agent_id     bigint NOT NULL,
    first_at     timestamptz NOT NULL,
    last_at      timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, day, agent_id)
);
-- The brand's public answers per quarter hour (by the time they were posted) and network,
-- and how many of them the inbox sent.
CREATE TABLE adoption_answer_slot (
    workspace_id  bigint NOT NULL,
    slot          timestamptz NOT NULL,
    network       text NOT NULL,
    answers       bigint NOT NULL,
    through_inbox bigint NOT NULL,
    PRIMARY KEY (workspace_id, slot, network)
);
-- The answers are now read by arrival (rolled up, then those since the mark), not by date.
DROP INDEX mention_answers;
CREATE INDEX mention_answers_arrived ON mention (workspace_id, ingested_at)
    INCLUDE (created_at, network, external_id)
    WHERE direction = 'outbound' AND in_reply_to IS NOT NULL AND NOT automated AND NOT private;

-- The metrics' count of SLA warnings and breaches fired, kept by the timer's statement that
-- fires them (it counted every event ever fired at each scrape).
CREATE TABLE sla_event_count (
    workspace_id bigint NOT NULL,
    kind         text NOT NULL,
    fired        bigint NOT NULL,
    PRIMARY KEY (workspace_id, kind)
);
INSERT INTO sla_event_count (workspace_id, kind, fired)
SELECT workspace_id, kind, count(*) FROM sla_event GROUP BY workspace_id, kind;
