"""The audit trail: appended by the use cases that change settings, people and access; read
by admins."""

from __future__ import annotations

from typing import Protocol

from inbox.domain.audit import AuditEntry, AuditFilter, AuditRow


class AuditTrail(Protocol):
    async def record(self, entry: AuditEntry) -> None:
        """Append the entry in a transaction of its own (for changes that were not one
        transaction; stores that make a change in one append its entry in it)."""
        ...

    async def page(
        self, workspace_id: int, where: AuditFilter, *, before_id: int | None, size: int
    ) -> list[AuditRow]:
        """Newest first, only ids below `before_id` when given (the next page)."""
        ...

    async def first_broken(self, workspace_id: int) -> int | None:
        """The id of the first row whose chain does not hold (a row before it was removed or
        altered, or it was), or None when the whole trail is intact."""
        ...
