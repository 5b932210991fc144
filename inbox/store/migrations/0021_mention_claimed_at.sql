-- The creation time a network claimed for a message when ingestion did not believe it (far
-- ahead of the message's arrival, or older than the network): `created_at` then holds the
-- arrival time, which SLA clocks, threads and the outage detector run on. NULL when the
-- network's time was believed (then it is `created_at`).
ALTER TABLE mention ADD COLUMN claimed_at timestamptz;
