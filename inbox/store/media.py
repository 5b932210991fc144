"""The image proxy's one read: an attachment of a stored message, by its index."""

from __future__ import annotations

import json

from pydantic import ValidationError

from inbox.domain.media import MediaAttachment
from inbox.store.database import Database

# `media` is a JSON array (migration 0027); `->` with an index out of range gives NULL.
ATTACHMENT = """
SELECT m.media -> $4::integer AS attachment
FROM mention m
WHERE m.workspace_id = $1 AND m.network = $2 AND m.external_id = $3
"""


class PgMediaLookup:
    """Implements the MediaLookup port."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def attachment(
        self, workspace_id: int, network: str, external_id: str, index: int
    ) -> MediaAttachment | None:
        async with self._db.connection() as conn:
            stored = await conn.fetchval(ATTACHMENT, workspace_id, network, external_id, index)
        if stored is None:
            return None
        try:
            return MediaAttachment.model_validate(json.loads(stored))
        except ValidationError:
            return None
