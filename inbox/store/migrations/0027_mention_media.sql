-- The pictures, videos and links a message carries, as the connectors normalised them
-- (inbox/domain/media.py): a JSON array of {kind, url, preview_url, alt_text, width, height},
-- at most ten, in the network's order. NULL when the message carries none, which is most:
-- the row stays as light as before. The thread page reads it with the message; the image
-- proxy reads one attachment by its index, by the mention's key.
ALTER TABLE mention ADD COLUMN media jsonb;
