"""In memory, the retention store: settings, what each removal was asked, and the runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from inbox.domain.retention import RetentionRun, RetentionSettings


@dataclass
class FakeRetentionStore:
    saved: dict[int, RetentionSettings] = field(default_factory=dict)
    runs: list[tuple[int, RetentionRun]] = field(default_factory=list)
    # (kind, before, dry_run) of each removal asked, in order.
    asked: list[tuple[str, datetime, bool]] = field(default_factory=list)
    forgotten_before: list[datetime] = field(default_factory=list)
    # What each removal answers.
    raw: int = 0
    closed: tuple[int, int] = (0, 0)
    quarantined: int = 0

    async def settings(self, workspace_id: int) -> RetentionSettings:
        return self.saved.get(workspace_id, RetentionSettings())

    async def save_settings(self, workspace_id: int, settings: RetentionSettings) -> None:
        self.saved[workspace_id] = settings

    async def remove_raw_payloads(
        self, workspace_id: int, before: datetime, now: datetime, *, dry_run: bool
    ) -> int:
        self.asked.append(("raw", before, dry_run))
        return self.raw

    async def remove_closed_texts(
        self, workspace_id: int, before: datetime, now: datetime, *, dry_run: bool
    ) -> tuple[int, int]:
        self.asked.append(("closed", before, dry_run))
        return self.closed

    async def remove_quarantined(
        self, workspace_id: int, before: datetime, *, dry_run: bool
    ) -> int:
        self.asked.append(("quarantine", before, dry_run))
        return self.quarantined

    async def forget_deletions(self, workspace_id: int, before: datetime) -> int:
        self.forgotten_before.append(before)
        return 0

    async def record_run(self, workspace_id: int, run: RetentionRun) -> None:
        self.runs.append((workspace_id, run))

    async def last_run(self, workspace_id: int) -> RetentionRun | None:
        mine = [run for ws, run in self.runs if ws == workspace_id]
        return mine[-1] if mine else None
