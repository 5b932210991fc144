"""The statements that find the evidence two customers are one person, and the pairs a
person judged to be two: the workspace's pass (the review list) and one customer's (the
sidebar), set-based, read by `PgCustomers.evidence` and `PgCustomers.apart`; the certain
evidence about the customers an ingested batch created (`PgCustomers.certain_evidence`); and the
workspace's setting of which kinds of evidence merge customers without review."""

# The evidence that two customers are one person, set-based, as (lower id, higher id, kind,
# what matched). Two statements share their pieces: the workspace's pass (the review list),
# and one customer's (the sidebar, on every thread shown), which starts from that customer's
# identities and reaches the others through indexes only.

# A handle as a person would say it: no Mastodon instance, no bsky.social suffix (indexed
# as `identity_person_name`).
PERSON_NAME = r"lower(regexp_replace(split_part({0}.handle, '@', 1), '\.bsky\.social$', ''))"
EMAIL = r"'([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})'"
PHONE = r"'(\+?[0-9][0-9 .()-]{6,}[0-9])'"
# The latest payload of each identity in `scope` (its profile is there), reached through its
# threads (the thread index, not a scan of every message); then the links its profile shows:
# Mastodon's profile fields (verified or not), X's website and description links, expanded.
PROFILE_LINKS = r"""
payloads AS (
    SELECT DISTINCT ON (i.id) i.customer_id, m.raw
    FROM scope i
    JOIN thread t ON t.workspace_id = $1 AND t.customer_id = i.customer_id
                 AND t.network = i.network
    JOIN mention m ON m.workspace_id = t.workspace_id AND m.thread_id = t.id
                  AND m.author_external_id = i.external_user_id AND m.direction = 'inbound'
    WHERE i.network IN ('x', 'mastodon')
    ORDER BY i.id, m.created_at DESC
), profile_urls AS (
    SELECT p.customer_id, x[1] AS url
    FROM payloads p,
         jsonb_array_elements(CASE WHEN jsonb_typeof(coalesce(
             p.raw -> 'account' -> 'fields',
             p.raw -> 'notification' -> 'status' -> 'account' -> 'fields')) = 'array'
           THEN coalesce(p.raw -> 'account' -> 'fields',
                         p.raw -> 'notification' -> 'status' -> 'account' -> 'fields')
           ELSE '[]'::jsonb END) f,
         regexp_matches(coalesce(f ->> 'value', ''), '(https?://[^\s"<>]+)', 'g') x
    UNION ALL
    SELECT p.customer_id, u ->> 'expanded_url'
    FROM payloads p,
         jsonb_array_elements(CASE WHEN jsonb_typeof(p.raw -> 'includes' -> 'users') = 'array'
                              THEN p.raw -> 'includes' -> 'users' ELSE '[]'::jsonb END) usr,
         jsonb_array_elements(
             CASE WHEN jsonb_typeof(usr -> 'entities' -> 'url' -> 'urls') = 'array'
                  THEN usr -> 'entities' -> 'url' -> 'urls' ELSE '[]'::jsonb END
             || CASE WHEN jsonb_typeof(usr -> 'entities' -> 'description' -> 'urls') = 'array'
                     THEN usr -> 'entities' -> 'description' -> 'urls' ELSE '[]'::jsonb END) u
), links AS (
    SELECT DISTINCT customer_id,
           lower(regexp_replace(url, '^https?://(www\.)?|/+$', '', 'g')) AS link
    FROM profile_urls WHERE url IS NOT NULL
), pointed AS (
    -- whose profile each link is: x.com/NAME, bsky.app/profile/NAME, HOST/@USER (Mastodon),
    -- or a bare domain, which a Bluesky handle can be
    SELECT customer_id, link,
           CASE WHEN link ~ '^(x|twitter)\.com/[a-z0-9_]+$' THEN 'x'
                WHEN link ~ '^bsky\.app/profile/[^/]+$' THEN 'bluesky'
                WHEN link ~ '^[^/]+/@[^/]+$' THEN 'mastodon'
                WHEN link ~ '^[a-z0-9.-]+\.[a-z]{2,}$' THEN 'bluesky' END AS network,
           CASE WHEN link ~ '^(x|twitter)\.com/' THEN split_part(link, '/', 2)
                WHEN link ~ '^bsky\.app/profile/' THEN split_part(link, '/', 3)
                WHEN link ~ '^[^/]+/@[^/]+$'
                    THEN split_part(link, '/@', 2) || '@' || split_part(link, '/', 1)
                ELSE link END AS handle
    FROM links
), profile_link AS (
    SELECT DISTINCT least(p.customer_id, i.customer_id) AS first,
           greatest(p.customer_id, i.customer_id) AS second, 'profile_link' AS kind,
           p.link AS detail
    FROM pointed p
    JOIN identity i ON i.workspace_id = $1 AND i.network = p.network
                   AND lower(i.handle) = p.handle AND i.customer_id <> p.customer_id
    WHERE p.network IS NOT NULL
)"""
CONTACTS = f"""
contacts AS (
    SELECT DISTINCT p.customer_id, 'same_email' AS kind, lower(x[1]) AS value
    FROM private_texts p, regexp_matches(p.body, {EMAIL}, 'g') x
    UNION
    SELECT DISTINCT p.customer_id, 'same_phone', regexp_replace(x[1], '[^0-9+]', '', 'g')
    FROM private_texts p, regexp_matches(p.body, {PHONE}, 'g') x
    WHERE length(regexp_replace(x[1], '[^0-9]', '', 'g')) BETWEEN 8 AND 15
)"""  # noqa: S608 (constants, not input)
# Who wrote a private message now: its identity's customer (a merge moves identities).
PRIVATE_TEXTS = """
private_texts AS (
    SELECT i.customer_id, m.body
    FROM {identities} i
    JOIN mention m ON m.workspace_id = $1 AND m.network = i.network
                  AND m.author_external_id = i.external_user_id
                  AND m.private AND m.direction = 'inbound'
)"""
EVIDENCE_ALL = f"""
WITH scope AS (
    SELECT id, customer_id, network, external_user_id, handle
    FROM identity WHERE workspace_id = $1
), same_handle AS (
    SELECT DISTINCT least(a.customer_id, b.customer_id) AS first,
           greatest(a.customer_id, b.customer_id) AS second, 'same_handle' AS kind,
           {PERSON_NAME.format("a")} AS detail
    FROM identity a
    JOIN identity b ON b.workspace_id = a.workspace_id
                   AND {PERSON_NAME.format("b")} = {PERSON_NAME.format("a")}
                   AND b.network > a.network AND b.customer_id <> a.customer_id
    WHERE a.workspace_id = $1 AND length({PERSON_NAME.format("a")}) >= 3
), same_crm AS (
    SELECT a.id AS first, b.id AS second, 'same_crm_id' AS kind, a.crm_external_id AS detail
    FROM customer a
    JOIN customer b ON b.workspace_id = a.workspace_id AND b.crm_external_id = a.crm_external_id
                   AND b.id > a.id AND b.merged_into_id IS NULL
    WHERE a.workspace_id = $1 AND a.merged_into_id IS NULL AND a.crm_external_id IS NOT NULL
), {PRIVATE_TEXTS.format(identities="scope")}, {CONTACTS}, same_contact AS (
    SELECT DISTINCT least(a.customer_id, b.customer_id) AS first,
           greatest(a.customer_id, b.customer_id) AS second, a.kind, a.value AS detail
    FROM contacts a
    JOIN contacts b ON b.kind = a.kind AND b.value = a.value AND b.customer_id > a.customer_id
), {PROFILE_LINKS}
SELECT first, second, kind, detail FROM same_handle
UNION ALL SELECT first, second, kind, detail FROM same_crm
UNION ALL SELECT first, second, kind, detail FROM same_contact
UNION ALL SELECT first, second, kind, detail FROM profile_link
LIMIT $2
"""  # noqa: S608 (constants, not input)
# One customer's: their handles against the others' (index), their CRM id, the e-mail
# addresses of their private messages found in the others' through the search index (phone
# numbers, written many ways, are left to the workspace's pass), and their profile's links.
EVIDENCE_OF = f"""
WITH scope AS (
    SELECT id, customer_id, network, external_user_id, handle
    FROM identity WHERE workspace_id = $1 AND customer_id = $2
), same_handle AS (
    SELECT DISTINCT least(a.customer_id, b.customer_id) AS first,
           greatest(a.customer_id, b.customer_id) AS second, 'same_handle' AS kind,
           {PERSON_NAME.format("a")} AS detail
    FROM scope a
    JOIN identity b ON b.workspace_id = $1
                   AND {PERSON_NAME.format("b")} = {PERSON_NAME.format("a")}
                   AND b.network <> a.network AND b.customer_id <> a.customer_id
    WHERE length({PERSON_NAME.format("a")}) >= 3
), same_crm AS (
    SELECT least(a.id, b.id) AS first, greatest(a.id, b.id) AS second, 'same_crm_id' AS kind,
           a.crm_external_id AS detail
    FROM customer a
    JOIN customer b ON b.workspace_id = a.workspace_id AND b.crm_external_id = a.crm_external_id
                   AND b.id <> a.id AND b.merged_into_id IS NULL
    WHERE a.workspace_id = $1 AND a.id = $2 AND a.crm_external_id IS NOT NULL
), {PRIVATE_TEXTS.format(identities="scope")}, my_emails AS (
    SELECT DISTINCT lower(x[1]) AS value
    FROM private_texts p, regexp_matches(p.body, {EMAIL}, 'g') x
), same_contact AS (
    SELECT DISTINCT least($2, i.customer_id) AS first, greatest($2, i.customer_id) AS second,
           'same_email' AS kind, e.value AS detail
    FROM my_emails e
    JOIN mention m
      ON m.workspace_id = $1
     AND (to_tsvector('inbox_fr'::regconfig, m.body)
          || to_tsvector('inbox_en'::regconfig, m.body)) @@ plainto_tsquery('simple', e.value)
     AND m.private AND m.direction = 'inbound' AND strpos(lower(m.body), e.value) > 0
    JOIN identity i ON i.workspace_id = m.workspace_id AND i.network = m.network
                   AND i.external_user_id = m.author_external_id AND i.customer_id <> $2
), {PROFILE_LINKS}
SELECT first, second, kind, detail FROM same_handle
UNION ALL SELECT first, second, kind, detail FROM same_crm
UNION ALL SELECT first, second, kind, detail FROM same_contact
UNION ALL SELECT first, second, kind, detail FROM profile_link
LIMIT $3
"""  # noqa: S608 (constants, not input)

# The certain evidence (of the kinds in $3, never a handle) between the customers in $2 (just
# created by ingestion) and any other, for merging without a person: their CRM ids; the
# e-mail addresses of their private messages, found in the others' through the search index;
# the phone numbers of their private messages against every private message's (few); their
# profiles' links. A branch whose kind is not accepted is not run (a one-time filter).
CERTAIN_AMONG = f"""
WITH scope AS (
    SELECT id, customer_id, network, external_user_id, handle
    FROM identity WHERE workspace_id = $1 AND customer_id = ANY($2::bigint[])
), same_crm AS (
    SELECT least(a.id, b.id) AS first, greatest(a.id, b.id) AS second, 'same_crm_id' AS kind,
           a.crm_external_id AS detail
    FROM customer a
    JOIN customer b ON b.workspace_id = a.workspace_id AND b.crm_external_id = a.crm_external_id
                   AND b.id <> a.id AND b.merged_into_id IS NULL
    WHERE 'same_crm_id' = ANY($3::text[]) AND a.workspace_id = $1 AND a.id = ANY($2::bigint[])
      AND a.crm_external_id IS NOT NULL AND a.merged_into_id IS NULL
), {PRIVATE_TEXTS.format(identities="scope")}, my_emails AS (
    SELECT DISTINCT p.customer_id, lower(x[1]) AS value
    FROM private_texts p, regexp_matches(p.body, {EMAIL}, 'g') x
    WHERE 'same_email' = ANY($3::text[])
), same_email AS (
    SELECT DISTINCT least(e.customer_id, i.customer_id) AS first,
           greatest(e.customer_id, i.customer_id) AS second, 'same_email' AS kind,
           e.value AS detail
    FROM my_emails e
    JOIN mention m
      ON m.workspace_id = $1
     AND (to_tsvector('inbox_fr'::regconfig, m.body)
          || to_tsvector('inbox_en'::regconfig, m.body)) @@ plainto_tsquery('simple', e.value)
     AND m.private AND m.direction = 'inbound' AND strpos(lower(m.body), e.value) > 0
    JOIN identity i ON i.workspace_id = m.workspace_id AND i.network = m.network
                   AND i.external_user_id = m.author_external_id
                   AND i.customer_id <> e.customer_id
), my_phones AS (
    SELECT DISTINCT p.customer_id, regexp_replace(x[1], '[^0-9+]', '', 'g') AS value
    FROM private_texts p, regexp_matches(p.body, {PHONE}, 'g') x
    WHERE 'same_phone' = ANY($3::text[])
      AND length(regexp_replace(x[1], '[^0-9]', '', 'g')) BETWEEN 8 AND 15
), their_phones AS (
    SELECT DISTINCT i.customer_id, regexp_replace(x[1], '[^0-9+]', '', 'g') AS value
    FROM mention m
    JOIN identity i ON i.workspace_id = m.workspace_id AND i.network = m.network
                   AND i.external_user_id = m.author_external_id,
         regexp_matches(m.body, {PHONE}, 'g') x
    WHERE m.workspace_id = $1 AND m.private AND m.direction = 'inbound'
      AND EXISTS (SELECT 1 FROM my_phones)
), same_phone AS (
    SELECT DISTINCT least(a.customer_id, b.customer_id) AS first,
           greatest(a.customer_id, b.customer_id) AS second, 'same_phone' AS kind,
           a.value AS detail
    FROM my_phones a
    JOIN their_phones b ON b.value = a.value AND b.customer_id <> a.customer_id
), {PROFILE_LINKS}
SELECT first, second, kind, detail FROM same_crm
UNION ALL SELECT first, second, kind, detail FROM same_email
UNION ALL SELECT first, second, kind, detail FROM same_phone
UNION ALL SELECT first, second, kind, detail FROM profile_link
          WHERE 'profile_link' = ANY($3::text[])
LIMIT $4
"""  # noqa: S608 (constants, not input)

# Pairs a person judged to be two people: split apart, or a merge undone.
APART = """
SELECT DISTINCT least(customer_id, other_customer_id) AS first,
       greatest(customer_id, other_customer_id) AS second
FROM customer_change
WHERE workspace_id = $1 AND (kind = 'split' OR undone_at IS NOT NULL)
"""
# The kinds of evidence that merge two customers without review (none stored: the default).
AUTO_MERGE = "SELECT auto_merge FROM customer_settings WHERE workspace_id = $1"
SET_AUTO_MERGE = """
INSERT INTO customer_settings (workspace_id, auto_merge) VALUES ($1, $2)
ON CONFLICT (workspace_id) DO UPDATE SET auto_merge = excluded.auto_merge
"""
