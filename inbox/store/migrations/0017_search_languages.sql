-- Search in French and English: each language's stemmer (rembourser finds "remboursement",
-- refunds finds "refund"), accents folded ("facture" finds "facturé", "cafe" finds "café").
-- A message is indexed under both stemmers and a query is read under both: most messages
-- are in one of the two, and a short message's language is often uncertain.
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TEXT SEARCH CONFIGURATION inbox_fr (COPY = pg_catalog.french);
ALTER TEXT SEARCH CONFIGURATION inbox_fr
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
CREATE TEXT SEARCH CONFIGURATION inbox_en (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION inbox_en
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
-- Names are not stemmed, only folded.
CREATE TEXT SEARCH CONFIGURATION inbox_names (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION inbox_names
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;

DROP INDEX mention_search;
CREATE INDEX mention_search ON mention USING gin (
    (to_tsvector('inbox_fr'::regconfig, body) || to_tsvector('inbox_en'::regconfig, body))
) WITH (fastupdate = on);
DROP INDEX customer_name_search;
CREATE INDEX customer_name_search ON customer
    USING gin (to_tsvector('inbox_names'::regconfig, coalesce(display_name, '')));
