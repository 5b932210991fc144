-- Webhook URLs are sealed like the other secrets: receivers often keep one in the path or the
-- query. `url_sealed` holds the URL, opened only to post a delivery; `url_shown` its scheme,
-- host and port, all a listing shows (and needs no key for).
--
-- SQL cannot seal without the instance's key, which the database never sees, so rows stored
-- before this migration keep their URL in clear in `url` until the first `inbox serve` or
-- `inbox worker` holding the key seals it and empties `url` (PgWebhookStore.seal_clear_urls);
-- until then they are delivered and listed from `url` as before. New rows are only ever
-- written sealed.
ALTER TABLE webhook ADD COLUMN url_sealed bytea;
ALTER TABLE webhook ADD COLUMN url_shown text;
ALTER TABLE webhook ALTER COLUMN url DROP NOT NULL;
ALTER TABLE webhook ADD CONSTRAINT webhook_url_kept
    CHECK (url IS NOT NULL OR (url_sealed IS NOT NULL AND url_shown IS NOT NULL));
COMMENT ON COLUMN webhook.url IS
    'the URL in clear, for rows stored before URLs were sealed and only until they are';
