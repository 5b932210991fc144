"""The SLA timer: warnings and breaches fired at their instants, once, across restarts.

One worker leads (a PostgreSQL advisory lock); the others wait to take over. The leader
keeps one APScheduler job at the nearest due instant (`next_due_at` of the running clocks)
and is woken early by NOTIFY when ingestion plans a nearer one. On start it fires at once
whatever fell due while no timer ran. Each event is recorded under a unique key, so even
two timers racing could not fire one twice. A slow safety pass runs too, in case a wake-up
was missed.

The lock lives on one connection: when that connection drops (the server restarts, the
session is terminated), the leader stops leading at once and tries for the lock again on a
new connection; whoever takes it fires what fell due in between. The timer says where it
stands through `report`: leading, following, or down while leadership is lost. Errors (the
database away) leave `run`; the supervisor that runs it starts it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from inbox.domain.clock import Clock
from inbox.domain.sla import SlaEvent
from inbox.ports.sla import Leadership, ShiftReports, SlaTimerStore
from inbox.usecases.sla import KeepClocks
from sla.calendar import is_always_open, is_open, next_closing

log = logging.getLogger(__name__)

END_OF_SHIFT_NOTICE = timedelta(minutes=15)

END_OF_SHIFT_CHECK_SECONDS = 30.0

SAFETY_JOB = "sla-safety"
END_OF_SHIFT_JOB = "sla-end-of-shift"
NEXT_JOB = "sla-next"
WAKE_JOB = "sla-wake"
# What a leader keeps on the scheduler, and removes when it stops leading.
LEADER_JOBS = (SAFETY_JOB, END_OF_SHIFT_JOB, NEXT_JOB, WAKE_JOB)
OnEvents = Callable[[Sequence[SlaEvent]], Awaitable[None]]
Dispatch = Callable[[], Awaitable[int]]
# (ok, detail): where the timer stands, for the process's health.
Report = Callable[[bool, str], None]


async def _ignore(events: Sequence[SlaEvent]) -> None:
    return None


async def _nothing_to_dispatch() -> int:
    return 0


def _unreported(ok: bool, detail: str) -> None:
    return None


class SlaTimer:
    def __init__(
        self,
        store: SlaTimerStore,
        *,
        clock: Clock,
        on_events: OnEvents = _ignore,
        safety_seconds: float = 60.0,
        leadership_retry_seconds: float = 10.0,
        shifts: ShiftReports | None = None,
        rules: KeepClocks | None = None,
        dispatch: Dispatch = _nothing_to_dispatch,
        report: Report = _unreported,
        scheduler: AsyncIOScheduler | None = None,
    ) -> None:
        """`scheduler` is the process's one scheduler, started by its owner: the leader's
        jobs are added to it and removed when leadership ends. Without it the timer runs a
        scheduler of its own while it leads."""
        self._store = store
        self._shifts = shifts
        self._rules = rules
        self._clock = clock
        self._on_events = on_events
        self._dispatch = dispatch
        self._report = report
        self._safety_seconds = safety_seconds
        self._retry_seconds = leadership_retry_seconds
        self._firing = asyncio.Lock()
        self._shared = scheduler
        self._scheduler: AsyncIOScheduler | None = None
        self.fired = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Lead or follow until `stop` is set; a lost leadership is sought again at once."""
        while not stop.is_set():
            async with self._store.leadership(self._wake) as held:
                if held.leader:
                    self._report(True, "leading")
                    if await self._lead(stop, held):
                        continue
                    return
                self._report(True, "following")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._retry_seconds)

    async def _lead(self, stop: asyncio.Event, held: Leadership) -> bool:
        """Fire on time until `stop` is set (False) or the lock's connection drops (True)."""
        owned = self._shared is None
        scheduler = self._shared or AsyncIOScheduler(
            timezone=UTC, job_defaults={"misfire_grace_time": None, "coalesce": True}
        )
        if owned:
            scheduler.start()
        self._scheduler = scheduler
        scheduler.add_job(self.fire, IntervalTrigger(seconds=self._safety_seconds), id=SAFETY_JOB)
        if self._shifts is not None:
            scheduler.add_job(
                self._end_of_shift_then_dispatch,
                IntervalTrigger(seconds=END_OF_SHIFT_CHECK_SECONDS),
                id=END_OF_SHIFT_JOB,
            )
        log.info("sla timer leading", extra={"action": "sla_timer_lead"})
        stopping = asyncio.ensure_future(stop.wait())
        losing = asyncio.ensure_future(held.lost())
        try:
            await self.fire()  # what fell due while no timer ran
            await asyncio.wait((stopping, losing), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            losing.cancel()
            self._scheduler = None
            if owned:
                scheduler.shutdown(wait=False)
            else:
                for job_id in LEADER_JOBS:
                    with contextlib.suppress(JobLookupError):
                        scheduler.remove_job(job_id)
        if stop.is_set():
            return False
        self._report(False, "leadership lost; taking it again")
        log.warning("sla timer lost its lock's connection", extra={"action": "sla_timer_lost"})
        return True

    def _wake(self) -> None:
        """A nearer deadline may exist: look again now (called from the LISTEN callback)."""
        if self._scheduler is not None:
            self._scheduler.add_job(self.fire, id=WAKE_JOB, replace_existing=True)

    async def _end_of_shift_then_dispatch(self) -> None:
        if await self.end_of_shift():
            await self._dispatch_safely()

    async def _dispatch_safely(self) -> None:
        """Alerts and webhooks after events were recorded; a failure here loses nothing (the
        events stay undispatched and the next pass takes them) and must not stop the timer."""
        try:
            await self._dispatch()
        except Exception as error:  # whatever it is, the timer must keep firing
            log.error(
                "sla dispatch failed; retried on the next pass",
                extra={"action": "sla_dispatch_error", "error": f"{type(error).__name__}: {error}"},
            )

    async def end_of_shift(self) -> int:
        """At closing minus 15 minutes, list each calendar's running clocks (once per
        closing): a mention at 18:30 on Friday must not wait the weekend unseen."""
        if self._shifts is None or self._rules is None:
            return 0
        now = self._clock()
        made = 0
        for workspace_id, settings in await self._shifts.all_settings():
            rules = self._rules.rules_for(workspace_id, settings)
            for name, calendar in rules.calendars.items():
                if is_always_open(calendar) or not is_open(calendar, now):
                    continue
                closes = next_closing(calendar, now)
                if closes - END_OF_SHIFT_NOTICE <= now:
                    count = await self._shifts.record(workspace_id, name, closes)
                    if count is not None:
                        made += 1
                        log.info(
                            "end of shift: running clocks listed",
                            extra={
                                "action": "sla_end_of_shift",
                                "workspace_id": workspace_id,
                                "calendar": name,
                                "running": count,
                            },
                        )
        return made

    async def fire(self) -> list[SlaEvent]:
        """Fire everything due, then sleep (one job) until the next instant."""
        fired: list[SlaEvent] = []
        async with self._firing:
            while batch := await self._store.fire_due(self._clock()):
                fired.extend(batch)
                await self._on_events(batch)
            await self._dispatch_safely()
            upcoming = await self._store.next_due()
            if upcoming is not None and self._scheduler is not None:
                self._scheduler.add_job(
                    self.fire, DateTrigger(run_date=upcoming), id=NEXT_JOB, replace_existing=True
                )
        if fired:
            self.fired += len(fired)
            log.info(
                "sla events fired",
                extra={
                    "action": "sla_fire",
                    "warnings": sum(1 for e in fired if e.kind == "warning"),
                    "breaches": sum(1 for e in fired if e.kind == "breach"),
                },
            )
        return fired
