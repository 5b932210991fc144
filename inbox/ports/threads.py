"""Threads: reading them, editing them, the corrections of their classification."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Protocol

from inbox.domain.routing import StoredCorrection
from inbox.domain.thread import Thread, ThreadStatus

if TYPE_CHECKING:
    from inbox.ports.sla import (
        ClockWriter,
    )


class ThreadQuery(Protocol):
    async def list_threads(
        self,
        workspace_id: int,
        *,
        statuses: Sequence[ThreadStatus],
        limit: int,
        before_id: int | None,
    ) -> list[Thread]: ...


class CorrectionStore(Protocol):
    """What the worker reads and writes to learn each workspace's classifier adjustment."""

    async def workspaces_to_learn(self) -> list[int]:
        """Workspaces with a kind or urgency correction newer than their adjustment."""
        ...

    async def corrections(self, workspace_id: int) -> list[StoredCorrection]:
        """The workspace's latest correction per thread and field, oldest first."""
        ...

    async def save_adjustment(
        self, workspace_id: int, document: dict[str, object], last_correction: int
    ) -> None: ...


class ThreadEditor(Protocol):
    @property
    def clocks(self) -> ClockWriter: ...

    async def correct(
        self, workspace_id: int, thread_id: int, field: str, value: object, corrected_by: str
    ) -> object:
        """Set the field, record the correction; the old value. NotFoundError if no thread."""
        ...


class ThreadEditStore(Protocol):
    def edit(self) -> AbstractAsyncContextManager[ThreadEditor]: ...
