"""Retention: each workspace's periods, read and set by its admins, and the pass that removes
what is due (every day in the worker, or by hand with `inbox retention run`).

What is due is decided from the clock and the settings alone; the store removes it in
batches. Each pass is recorded with what it removed (the admin page shows the last one) and
said in one structured log line, never with a text.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from inbox.domain.audit import Actor, AuditEntry, summary_of
from inbox.domain.clock import Clock
from inbox.domain.retention import RetentionReport, RetentionRun, RetentionSettings
from inbox.ports.audit import AuditTrail
from inbox.ports.retention import RetentionStore

log = logging.getLogger(__name__)

DAILY_JOB = "daily job"
COMMAND_LINE = "command line"
# A deletion seen on a network is kept this long after its text went: longer than any poll
# can take between reading a post and committing it.
KEEP_DELETIONS = timedelta(days=7)
# The daily pass skips a workspace whose last pass is more recent than this: several workers,
# or one restarted, start the pass each time they start, and once a day is enough.
DAILY_GAP = timedelta(hours=20)


@dataclass(frozen=True, slots=True)
class RetentionOverview:
    """What the admin page and `inbox retention show` say."""

    settings: RetentionSettings
    last_run: RetentionRun | None


class ManageRetention:
    def __init__(self, store: RetentionStore, audit: AuditTrail, *, clock: Clock) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock

    async def overview(self, workspace_id: int) -> RetentionOverview:
        return RetentionOverview(
            await self._store.settings(workspace_id), await self._store.last_run(workspace_id)
        )

    async def set(
        self, workspace_id: int, values: Mapping[str, object], *, by: Actor
    ) -> RetentionSettings:
        """Checked whole (a bad value is refused naming its field, and nothing changes);
        fields not given keep their current value. Recorded in the audit trail."""
        current = (await self._store.settings(workspace_id)).as_dict()
        settings = RetentionSettings.checked({**current, **values})
        await self._store.save_settings(workspace_id, settings)
        await self._audit.record(
            AuditEntry(
                workspace_id,
                by,
                "retention_set",
                "retention",
                None,
                summary_of(**settings.as_dict()),
            )
        )
        log.info(
            "retention settings saved",
            extra={"action": "retention_settings", "workspace_id": workspace_id,
                   **settings.as_dict()},
        )  # fmt: skip
        return settings

    async def run(
        self, workspace_id: int, *, dry_run: bool = False, run_by: str = COMMAND_LINE
    ) -> RetentionReport:
        """Remove (dry: count) what the workspace's periods say is due now."""
        started = self._clock()
        cutoffs = (await self._store.settings(workspace_id)).cutoffs(started)
        report = RetentionReport()
        if cutoffs.raw_payloads is not None:
            raw = await self._store.remove_raw_payloads(
                workspace_id, cutoffs.raw_payloads, started, dry_run=dry_run
            )
            report += RetentionReport(raw_payloads=raw)
        if cutoffs.closed_threads is not None:
            threads, messages = await self._store.remove_closed_texts(
                workspace_id, cutoffs.closed_threads, started, dry_run=dry_run
            )
            report += RetentionReport(closed_threads=threads, closed_messages=messages)
        if cutoffs.quarantined is not None:
            quarantined = await self._store.remove_quarantined(
                workspace_id, cutoffs.quarantined, dry_run=dry_run
            )
            report += RetentionReport(quarantined=quarantined)
        if dry_run:
            return report
        await self._store.forget_deletions(workspace_id, started - KEEP_DELETIONS)
        finished = self._clock()
        await self._store.record_run(workspace_id, RetentionRun(started, finished, run_by, report))
        log.info(
            "retention applied",
            extra={"action": "retention_run", "workspace_id": workspace_id, "run_by": run_by,
                   "seconds": round((finished - started).total_seconds(), 3),
                   **report.as_dict()},
        )  # fmt: skip
        return report

    def daily(
        self, workspace_ids: Callable[[], Awaitable[list[int]]]
    ) -> Callable[[], Awaitable[None]]:
        """The worker's pass: every workspace, one after the other, unless a pass ran there
        within `DAILY_GAP`."""

        async def every_workspace() -> None:
            for workspace_id in await workspace_ids():
                last = await self._store.last_run(workspace_id)
                if last is not None and self._clock() - last.finished_at < DAILY_GAP:
                    continue
                await self.run(workspace_id, run_by=DAILY_JOB)

        return every_workspace
