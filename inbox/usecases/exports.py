"""CSV exports of conversations and SLA clocks, for leads and admins.

The role is checked here for the pages' sessions and by the API for its tokens; rows are
scoped to the caller's workspace by the query itself."""

from __future__ import annotations

from collections.abc import AsyncIterator

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
from inbox.ports.exports import ExportQuery

EXPORTERS = (Role.LEAD, Role.ADMIN)


class Exports:
    def __init__(self, query: ExportQuery, *, page: int = EXPORT_PAGE) -> None:
        self._query = query
        self._page = page

    def conversations(
        self, workspace_id: int, filters: ExportFilters
    ) -> tuple[tuple[str, ...], AsyncIterator[list[ExportRow]]]:
        """The columns, and the rows a page at a time."""
        return CONVERSATION_COLUMNS, self._query.conversations(workspace_id, filters, self._page)

    def sla_clocks(
        self, workspace_id: int, filters: ExportFilters
    ) -> tuple[tuple[str, ...], AsyncIterator[list[ExportRow]]]:
        return SLA_CLOCK_COLUMNS, self._query.sla_clocks(workspace_id, filters, self._page)

    @staticmethod
    def allowed(session: WebSession) -> None:
        if not session.has(*EXPORTERS):
            raise PermissionDeniedError("exports are for leads and admins")
