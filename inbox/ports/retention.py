"""Retention and deletions on the networks: what the retention pass reads and removes, and
what a batch's transaction does with the posts its connector saw deleted."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from inbox.domain.ingestion import NetworkDeletion
from inbox.domain.retention import RetentionRun, RetentionSettings


class RetentionStore(Protocol):
    async def settings(self, workspace_id: int) -> RetentionSettings:
        """The workspace's periods; the defaults when an admin never set them."""
        ...

    async def save_settings(self, workspace_id: int, settings: RetentionSettings) -> None: ...

    async def remove_raw_payloads(
        self, workspace_id: int, before: datetime, now: datetime, *, dry_run: bool
    ) -> int:
        """Empty the raw payload of every message ingested before `before` (the message, its
        text and its place stay); how many. Dry: only counted."""
        ...

    async def remove_closed_texts(
        self, workspace_id: int, before: datetime, now: datetime, *, dry_run: bool
    ) -> tuple[int, int]:
        """Remove the texts of threads resolved before `before` and not reopened since: their
        messages' texts, raw payloads and attachments, the classifier's reasons, notes,
        replies sent, community answers and the texts kept with corrections. The rows, the
        counts and the timings stay. How many (threads, messages)."""
        ...

    async def remove_quarantined(
        self, workspace_id: int, before: datetime, *, dry_run: bool
    ) -> int:
        """Delete the quarantined payloads received before `before`; how many."""
        ...

    async def forget_deletions(self, workspace_id: int, before: datetime) -> int:
        """Drop the network deletions recorded before `before` (their texts are long gone:
        no late poll can still bring them back)."""
        ...

    async def record_run(self, workspace_id: int, run: RetentionRun) -> None: ...

    async def last_run(self, workspace_id: int) -> RetentionRun | None: ...


class DeletionWriter(Protocol):
    """In a batch's transaction: the posts its connector saw deleted on their network."""

    async def remove_deleted(
        self,
        workspace_id: int,
        deletions: Sequence[NetworkDeletion],
        added: Collection[tuple[str, str]],
    ) -> frozenset[int]:
        """Record `deletions`, then remove the text, raw payload and attachments (and what
        was derived from the text) of every message among them or among `added` (the
        batch's new messages, keyed (network, external id)) that the network deleted; the
        rows stay. Returns the threads whose messages lost their text."""
        ...


class HeldMessages(Protocol):
    """What a connector checks is still on its network."""

    async def recent_with_text(
        self, workspace_id: int, network: str, since: datetime, *, limit: int, sole_account: bool
    ) -> list[str]:
        """The external ids of the customers' messages of `network` ingested since `since`
        that still hold their text, newest first, at most `limit`. With `sole_account`, none
        unless the workspace has only ever connected one account of that network (its ids
        are the account's server's own: another server would not know them)."""
        ...
