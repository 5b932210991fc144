"""Which conversation each mention of a batch belongs to, as far as the batch alone can tell.

A mention that carries a conversation key (X `conversation_id`, a Bluesky reply root) belongs
to that conversation. Otherwise its in-reply-to chain is followed inside the batch: it ends at
a conversation key, at a root (a message that answers nothing, whose own id is the key), or at
a parent outside the batch, which the store looks up among the mentions it already holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inbox.domain.mention import Mention


@dataclass(frozen=True, slots=True)
class ThreadPlacement:
    """Exactly one of the two is set.

    `thread_key`: the conversation is decided. `parent_outside_batch`: the store resolves the
    key from that parent's own key, or uses the parent's id when it has never seen it (so the
    conversation re-joins when the parent arrives).
    """

    thread_key: str | None
    parent_outside_batch: str | None


def place_in_threads(mentions: Sequence[Mention]) -> list[ThreadPlacement]:
    by_id = {(m.network, m.external_id): m for m in mentions}
    placements: list[ThreadPlacement] = []
    for mention in mentions:
        current = mention
        seen: set[str] = set()
        while True:
            if current.conversation_key is not None:
                placements.append(ThreadPlacement(current.conversation_key, None))
                break
            parent_id = current.in_reply_to
            if parent_id is None or parent_id in seen:
                # A root, or a reply cycle (malformed data): the current message starts it.
                placements.append(ThreadPlacement(current.external_id, None))
                break
            seen.add(current.external_id)
            parent = by_id.get((current.network, parent_id))
            if parent is None:
                placements.append(ThreadPlacement(None, parent_id))
                break
            current = parent
    return placements
