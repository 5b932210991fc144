"""The statements of merges and splits of customers, and of their history: what moves (the
identities, notes and messages; threads move with `inbox.store.thread_sql`), the record of
each change with what it moved, and what an undo moves back. Run by `PgCustomers`."""

MOVE_IDENTITIES = """
UPDATE identity SET customer_id = $3
WHERE workspace_id = $1 AND customer_id = $2
RETURNING id
"""

MOVE_NOTES = """
UPDATE customer_note SET customer_id = $3
WHERE workspace_id = $1 AND customer_id = $2
RETURNING id
"""

# Messages carry the customer they were written as; through the thread index.
MOVE_MENTIONS = """
UPDATE mention SET customer_id = $3
WHERE workspace_id = $1 AND thread_id = ANY($4::bigint[]) AND customer_id = $2
"""

FOLD = """
UPDATE customer SET merged_into_id = $3, updated_at = now()
WHERE workspace_id = $1 AND id = $2
"""

RECORD_CHANGE = """
INSERT INTO customer_change (workspace_id, kind, customer_id, other_customer_id,
                             identity_ids, thread_ids, note_ids, before, evidence, done_by,
                             reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11)
RETURNING id
"""

CHANGE = """
SELECT id, kind, customer_id, other_customer_id, identity_ids, thread_ids, note_ids, before,
       evidence, done_by, reason, created_at, undone_at
FROM customer_change WHERE workspace_id = $1 AND id = $2
FOR UPDATE
"""

CHANGES = """
SELECT id, kind, customer_id, other_customer_id, identity_ids, thread_ids, note_ids, before,
       evidence, done_by, reason, created_at, undone_at
FROM customer_change
WHERE workspace_id = $1 AND (customer_id = $2 OR other_customer_id = $2)
ORDER BY created_at DESC, id DESC
LIMIT 50
"""

MOVE_BACK = """
UPDATE {table} SET customer_id = $3
WHERE workspace_id = $1 AND customer_id = $2 AND id = ANY($4::bigint[])
RETURNING id
"""

UNFOLD = """
UPDATE customer SET merged_into_id = NULL, updated_at = now()
WHERE workspace_id = $1 AND id = $2
"""

MARK_UNDONE = """
UPDATE customer_change SET undone_by = $3, undone_at = now()
WHERE workspace_id = $1 AND id = $2
"""

IDENTITY = """
SELECT id, network, external_user_id, handle, display_name, customer_id
FROM identity WHERE workspace_id = $1 AND id = $2
"""

NEW_CUSTOMER = """
INSERT INTO customer (workspace_id, display_name) VALUES ($1, $2) RETURNING id
"""

# The threads an identity opened (its first customer message is theirs).
MOVE_IDENTITY_MENTIONS = """
UPDATE mention SET customer_id = $3
WHERE workspace_id = $1 AND thread_id = ANY($4::bigint[]) AND author_external_id = $5
  AND customer_id = $2
"""

MOVE_ONE_IDENTITY = "UPDATE identity SET customer_id = $3 WHERE workspace_id = $1 AND id = $2"

COUNT_IDENTITIES = "SELECT count(*) FROM identity WHERE workspace_id = $1 AND customer_id = $2"
