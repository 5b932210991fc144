"""An in-memory customer-rights store: each customer's rows by section (as the store gives
them, JSON text), the erasures it was asked to make, and the audit entries it appended."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from inbox.domain.audit import AuditEntry
from inbox.domain.customer_rights import AlreadyErasedError, Erasure, Section
from inbox.domain.errors import NotFoundError


@dataclass
class FakeSnapshot:
    rows_of: dict[Section, list[dict[str, object]]]

    async def rows(self, section: Section) -> AsyncIterator[str]:
        for row in self.rows_of.get(section, []):
            yield json.dumps(row)


@dataclass
class FakeCustomerRights:
    # (workspace, customer) -> their rows by section
    held: dict[tuple[int, int], dict[Section, list[dict[str, object]]]] = field(
        default_factory=dict
    )
    erasures: dict[tuple[int, int], Erasure] = field(default_factory=dict)
    appended: list[AuditEntry] = field(default_factory=list)

    @asynccontextmanager
    async def snapshot(self, workspace_id: int, customer_id: int) -> AsyncIterator[FakeSnapshot]:
        if (workspace_id, customer_id) not in self.held:
            raise NotFoundError("customer", customer_id)
        yield FakeSnapshot(self.held[workspace_id, customer_id])

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
        if (workspace_id, customer_id) not in self.held:
            raise NotFoundError("customer", customer_id)
        if (workspace_id, customer_id) in self.erasures:
            raise AlreadyErasedError(
                customer_id, self.erasures[workspace_id, customer_id].pseudonym
            )
        counts = {s.value: len(rows) for s, rows in self.held[workspace_id, customer_id].items()}
        self.held[workspace_id, customer_id] = {Section.CUSTOMER: [{"display_name": pseudonym}]}
        erasure = Erasure(len(self.erasures) + 1, customer_id, pseudonym, erased_by, now, counts)
        self.erasures[workspace_id, customer_id] = erasure
        self.appended.append(audit)
        return erasure

    async def erasure_of(self, workspace_id: int, customer_id: int) -> Erasure | None:
        return self.erasures.get((workspace_id, customer_id))

    async def erasure_by_key(
        self, workspace_id: int, network: str, key_hash: bytes
    ) -> Erasure | None:
        return None
