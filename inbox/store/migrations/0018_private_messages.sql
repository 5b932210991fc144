-- Direct (private) messages: marked on the message and on its thread. A private thread is
-- never offered to the community, and the inbox shows it as private.
ALTER TABLE mention ADD COLUMN private boolean NOT NULL DEFAULT false;
ALTER TABLE thread ADD COLUMN private boolean NOT NULL DEFAULT false;
