"""A customer's rights: what the access export reads (one consistent snapshot, section by
section) and what the erasure changes (everything in one transaction, with its record)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from inbox.domain.audit import AuditEntry
from inbox.domain.customer_rights import Erasure, Section


class CustomerSnapshot(Protocol):
    def rows(self, section: Section) -> AsyncIterator[str]:
        """The section's rows, each a JSON object as text, streamed (never all in memory)."""
        ...


class CustomerRightsStore(Protocol):
    def snapshot(
        self, workspace_id: int, customer_id: int
    ) -> AbstractAsyncContextManager[CustomerSnapshot]:
        """Everything held about the customer as it is at one instant; NotFoundError, or
        MergedCustomerError naming the customer that holds their data now."""
        ...

    async def erase(
        self,
        workspace_id: int,
        customer_id: int,
        *,
        pseudonym: str,
        erased_by: str,
        now: datetime,
        audit: AuditEntry,
    ) -> Erasure:
        """Empty or remove every personal datum of the customer, keep the rest under
        `pseudonym`, record the erasure and append `audit` (with the counts) in the same
        transaction. NotFoundError, MergedCustomerError, or AlreadyErasedError."""
        ...

    async def erasure_of(self, workspace_id: int, customer_id: int) -> Erasure | None: ...

    async def erasure_by_key(
        self, workspace_id: int, network: str, key_hash: bytes
    ) -> Erasure | None:
        """The erasure whose tombstone is `key_hash` (identity_key_hash) on `network`."""
        ...
