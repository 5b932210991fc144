"""An in-memory audit trail: the entries recorded, in order; it reads back nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from inbox.domain.audit import AuditEntry, AuditFilter, AuditRow


@dataclass
class FakeAuditTrail:
    entries: list[AuditEntry] = field(default_factory=list)

    async def record(self, entry: AuditEntry) -> None:
        self.entries.append(entry)

    async def page(
        self, workspace_id: int, where: AuditFilter, *, before_id: int | None, size: int
    ) -> list[AuditRow]:
        return []

    async def first_broken(self, workspace_id: int) -> int | None:
        return None

    def actions(self) -> list[tuple[str, str | None]]:
        """(action, object id) of each entry, in the order recorded."""
        return [(e.action, e.object_id) for e in self.entries]
