"""An in-memory customer store: records by id, the evidence a test plants, identities by
(network, handle or external id) for imports, and the merges it was asked to make."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from inbox.domain.customer_record import (
    CustomerChange,
    CustomerRecord,
    CustomerThread,
    Decide,
    Evidence,
    Patch,
    RecordFields,
)
from inbox.domain.errors import NotFoundError

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class FakeCustomers:
    fields: dict[int, RecordFields] = field(default_factory=dict)
    planted: list[Evidence] = field(default_factory=list)
    # (network, handle or external id) -> customer id
    identities: dict[tuple[str, str], int] = field(default_factory=dict)
    agents: dict[str, int] = field(default_factory=dict)
    accepted: list[str] | None = None
    merges: list[tuple[int, int, str]] = field(default_factory=list)
    merged_into: dict[int, int] = field(default_factory=dict)
    applied: list[list[tuple[int, RecordFields]]] = field(default_factory=list)
    judged_apart: set[tuple[int, int]] = field(default_factory=set)
    # The customer ids of each read of certain evidence: one read per ingested batch.
    evidence_reads: list[tuple[int, ...]] = field(default_factory=list)

    def _record(self, customer_id: int) -> CustomerRecord:
        return CustomerRecord(
            id=customer_id,
            display_name=f"customer {customer_id}",
            fields=self.fields[customer_id],
            owner_name=None,
            owner_email=None,
            identities=(),
            merged_into_id=self.merged_into.get(customer_id),
            created_at=AT,
        )

    async def records(self, workspace_id: int, ids: Sequence[int]) -> list[CustomerRecord]:
        return [self._record(i) for i in sorted(set(ids)) if i in self.fields]

    async def customer_of_thread(self, workspace_id: int, thread_id: int) -> int | None:
        return None

    async def search(
        self, workspace_id: int, words: str, after_id: int, limit: int
    ) -> list[CustomerRecord]:
        return [self._record(i) for i in sorted(self.fields) if i > after_id][:limit]

    async def change(
        self, workspace_id: int, customer_id: int, patched: Patch
    ) -> tuple[RecordFields, RecordFields]:
        if customer_id not in self.fields:
            raise NotFoundError("customer", customer_id)
        before = self.fields[customer_id]
        self.fields[customer_id] = patched(before)
        return before, self.fields[customer_id]

    async def agents_by_email(self, workspace_id: int, emails: Sequence[str]) -> dict[str, int]:
        return {e: self.agents[e] for e in emails if e in self.agents}

    async def owners(self, workspace_id: int) -> list[tuple[int, str]]:
        return [(i, e) for e, i in self.agents.items()]

    async def agent_exists(self, workspace_id: int, agent_id: int) -> bool:
        return agent_id in self.agents.values()

    async def threads(
        self, workspace_id: int, customer_id: int, limit: int
    ) -> list[CustomerThread]:
        return []

    async def evidence(
        self, workspace_id: int, customer_id: int | None, limit: int
    ) -> list[Evidence]:
        live = [
            e
            for e in self.planted
            if e.first not in self.merged_into and e.second not in self.merged_into
        ]
        return [e for e in live if customer_id in (None, e.first, e.second)][:limit]

    async def certain_evidence(
        self, workspace_id: int, customer_ids: Sequence[int], kinds: Sequence[str], limit: int
    ) -> list[Evidence]:
        self.evidence_reads.append(tuple(customer_ids))
        wanted = set(customer_ids)
        return [e for e in self.planted if e.kind.value in kinds and wanted & {e.first, e.second}][
            :limit
        ]

    async def apart(self, workspace_id: int) -> set[tuple[int, int]]:
        return set(self.judged_apart)

    async def auto_merge(self, workspace_id: int) -> list[str] | None:
        return self.accepted

    async def set_auto_merge(self, workspace_id: int, kinds: Sequence[str]) -> None:
        self.accepted = list(kinds)

    async def fields_of(self, workspace_id: int, ids: Sequence[int]) -> dict[int, RecordFields]:
        return {i: self.fields[i] for i in ids if i in self.fields and i not in self.merged_into}

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
    ) -> int:
        self.fields[kept_id] = decide(self.fields[kept_id], self.fields[other_id])
        self.merged_into[other_id] = kept_id
        self.merges.append((kept_id, other_id, done_by))
        return len(self.merges)

    async def split(
        self, workspace_id: int, customer_id: int, identity_id: int, *, done_by: str, reason: str
    ) -> tuple[int, int]:
        new_id = max(self.fields) + 1
        self.fields[new_id] = RecordFields()
        return new_id, len(self.merges) + 1

    async def undo_merge(self, workspace_id: int, change_id: int, done_by: str) -> CustomerChange:
        raise NotFoundError("change", change_id)

    async def changes(self, workspace_id: int, customer_id: int) -> list[CustomerChange]:
        return []

    async def resolve(
        self, workspace_id: int, keys: Sequence[tuple[int, str, str | None, str | None]]
    ) -> list[tuple[int, int | None]]:
        return [
            (line, self.identities.get((network, external or handle or "")))
            for line, network, handle, external in keys
        ]

    async def apply(self, workspace_id: int, updates: Sequence[tuple[int, RecordFields]]) -> None:
        self.applied.append(list(updates))
        for customer_id, fields in updates:
            self.fields[customer_id] = fields
