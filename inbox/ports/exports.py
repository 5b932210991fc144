"""Exports: rows read a page at a time, for a file written as it is read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from inbox.domain.exports import ExportFilters, ExportRow


class ExportQuery(Protocol):
    def conversations(
        self, workspace_id: int, filters: ExportFilters, page: int
    ) -> AsyncIterator[list[ExportRow]]:
        """Pages of CONVERSATION_COLUMNS rows, oldest conversation first."""
        ...

    def sla_clocks(
        self, workspace_id: int, filters: ExportFilters, page: int
    ) -> AsyncIterator[list[ExportRow]]:
        """Pages of SLA_CLOCK_COLUMNS rows, oldest clock first."""
        ...
