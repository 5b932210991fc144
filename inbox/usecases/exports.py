"""CSV exports of conversations and SLA clocks, for leads and admins.

The role is checked here for the pages' sessions and by the API for its tokens; rows are
scoped to the caller's workspace by the query itself. Each export is kept in the audit trail
(who, which file, which days, team and network) as it starts."""

from __future__ import annotations

from collections.abc import AsyncIterator

from inbox.domain.audit import Actor
from inbox.domain.errors import PermissionDeniedError
from inbox.domain.exports import (
    CONVERSATION_COLUMNS,
    EXPORT_PAGE,
    SLA_CLOCK_COLUMNS,
    ExportFilters,
    ExportRow,
)
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.ports.audit import AuditTrail
from inbox.ports.exports import ExportQuery
from inbox.usecases.audit import entry_as

EXPORTERS = (Role.LEAD, Role.ADMIN)


class Exports:
    def __init__(self, query: ExportQuery, audit: AuditTrail, *, page: int = EXPORT_PAGE) -> None:
        self._query = query
        self._audit = audit
        self._page = page

    async def conversations(
        self, workspace_id: int, filters: ExportFilters, by: Actor
    ) -> tuple[tuple[str, ...], AsyncIterator[list[ExportRow]]]:
        """The columns, and the rows a page at a time."""
        await self._audited(workspace_id, "conversations", filters, by)
        return CONVERSATION_COLUMNS, self._query.conversations(workspace_id, filters, self._page)

    async def sla_clocks(
        self, workspace_id: int, filters: ExportFilters, by: Actor
    ) -> tuple[tuple[str, ...], AsyncIterator[list[ExportRow]]]:
        await self._audited(workspace_id, "sla_clocks", filters, by)
        return SLA_CLOCK_COLUMNS, self._query.sla_clocks(workspace_id, filters, self._page)

    async def _audited(
        self, workspace_id: int, what: str, filters: ExportFilters, by: Actor
    ) -> None:
        entry = entry_as(
            workspace_id, by, "exported", "export", what,
            since=filters.since.isoformat(), until=filters.until.isoformat(),
            team_id=filters.team_id, network=filters.network,
        )  # fmt: skip
        await self._audit.record(entry)

    @staticmethod
    def allowed(session: WebSession) -> None:
        if not session.has(*EXPORTERS):
            raise PermissionDeniedError("exports are for leads and admins")
