"""The customer record: what the use case reads and writes of customers, their identities,
threads, the evidence that two are one person, and merges and splits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from inbox.domain.customer_record import (
    CustomerChange,
    CustomerRecord,
    CustomerThread,
    Decide,
    Evidence,
    Patch,
    RecordFields,
)


class CustomerStore(Protocol):
    async def records(self, workspace_id: int, ids: Sequence[int]) -> list[CustomerRecord]: ...

    async def customer_of_thread(self, workspace_id: int, thread_id: int) -> int | None: ...

    async def search(
        self, workspace_id: int, words: str, after_id: int, limit: int
    ) -> list[CustomerRecord]: ...

    async def change(
        self, workspace_id: int, customer_id: int, patched: Patch
    ) -> tuple[RecordFields, RecordFields]:
        """The record before and after `patched`, applied to it locked; NotFoundError, or
        ConflictError once merged into another."""
        ...

    async def agents_by_email(self, workspace_id: int, emails: Sequence[str]) -> dict[str, int]: ...

    async def owners(self, workspace_id: int) -> list[tuple[int, str]]: ...

    async def agent_exists(self, workspace_id: int, agent_id: int) -> bool: ...

    async def threads(
        self, workspace_id: int, customer_id: int, limit: int
    ) -> list[CustomerThread]: ...

    async def evidence(
        self, workspace_id: int, customer_id: int | None, limit: int
    ) -> list[Evidence]: ...

    async def certain_evidence(
        self, workspace_id: int, customer_ids: Sequence[int], kinds: Sequence[str], limit: int
    ) -> list[Evidence]:
        """Evidence of the `kinds` given (never a handle) between `customer_ids` and any
        customer: one statement for the set."""
        ...

    async def apart(self, workspace_id: int) -> set[tuple[int, int]]:
        """Pairs (lower id, higher id) a person judged to be two people."""
        ...

    async def auto_merge(self, workspace_id: int) -> list[str] | None: ...

    async def set_auto_merge(self, workspace_id: int, kinds: Sequence[str]) -> None: ...

    async def fields_of(self, workspace_id: int, ids: Sequence[int]) -> dict[int, RecordFields]: ...

    async def merge(
        self,
        workspace_id: int,
        kept_id: int,
        other_id: int,
        decide: Decide,
        *,
        evidence: str,
        done_by: str,
        reason: str,
    ) -> int: ...

    async def split(
        self, workspace_id: int, customer_id: int, identity_id: int, *, done_by: str, reason: str
    ) -> tuple[int, int]: ...

    async def undo_merge(
        self, workspace_id: int, change_id: int, done_by: str
    ) -> CustomerChange: ...

    async def changes(self, workspace_id: int, customer_id: int) -> list[CustomerChange]: ...

    async def resolve(
        self, workspace_id: int, keys: Sequence[tuple[int, str, str | None, str | None]]
    ) -> list[tuple[int, int | None]]: ...

    async def apply(
        self, workspace_id: int, updates: Sequence[tuple[int, RecordFields]]
    ) -> None: ...
