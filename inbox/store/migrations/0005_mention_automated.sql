-- Outbound posts made by automation (out-of-hours acknowledgements): shown on the thread,
-- never counted as an answer by the SLA clocks.
ALTER TABLE mention ADD COLUMN automated boolean NOT NULL DEFAULT false;
