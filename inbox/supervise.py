"""Keeps the process's long-running parts alive: one failing part never ends the process.

Every part a worker runs runs under `Supervisor`: long-running parts (a connector's account,
its stream, the SLA timer) by `keep_running`; periodic passes (the outbox sender, the webhook
deliveries, the incident watch, reassignment) by `every`, as jobs of the worker's scheduler.
When a part raises anything but a cancellation, or ends while the process is not stopping, it
is logged (the error's class, never its text: a driver's message may carry an address), shown
on the health board as retrying, and started again after an exponential backoff with jitter:
a database outage is ridden out, then the part picks up from its durable state in PostgreSQL.
Setting `stop` ends every part promptly, backoff waits included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from inbox.domain.errors import InboxError
from inbox.usecases.health import HealthBoard

log = logging.getLogger(__name__)

Run = Callable[[], Awaitable[object]]

RUNNING = "running"


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays between restarts: doubling from `first_seconds` up to `max_seconds`, each drawn
    in its upper half so that parts failing together (a database outage) do not all come
    back at the same instant."""

    first_seconds: float = 1.0
    max_seconds: float = 30.0

    def delay(self, failures: int) -> float:
        ceiling = min(self.max_seconds, self.first_seconds * 2.0 ** min(failures - 1, 32))
        return ceiling * random.uniform(0.5, 1.0)


class PartEndedError(InboxError):
    """A part returned although the process is not stopping (a stream whose client gave up)."""


class _Restarts:
    """One part's failures: counted, shown on the board, logged, and turned into the wait
    before its next start. A part that ran longer than the longest backoff before failing
    starts the count again: one failure a day waits the first delay, not the last."""

    def __init__(self, part: str, board: HealthBoard, backoff: Backoff) -> None:
        self._part = part
        self._board = board
        self._backoff = backoff
        self._failures = 0
        self._started = 0.0

    def started(self, *, reports_itself: bool = False) -> None:
        self._started = asyncio.get_running_loop().time()
        if not reports_itself:
            self._board.report(self._part, True, RUNNING)

    def failed(self, error: Exception) -> float:
        """The seconds to wait before starting the part again."""
        if asyncio.get_running_loop().time() - self._started > self._backoff.max_seconds:
            self._failures = 0
        self._failures += 1
        delay = self._backoff.delay(self._failures)
        self._board.report(self._part, False, f"retrying after {type(error).__name__}")
        log.warning(
            "part failed; starting it again",
            extra={"action": "part_retry", "part": self._part, "error": type(error).__name__,
                   "failures": self._failures, "retry_in_seconds": round(delay, 1)},
            exc_info=log.isEnabledFor(logging.DEBUG),
        )  # fmt: skip
        return delay

    def stopping(self, error: Exception) -> None:
        log.info(
            "part ended with an error while stopping",
            extra={"action": "part_stop_error", "part": self._part,
                   "error": type(error).__name__},
        )  # fmt: skip


class Supervisor:
    """`scheduler` runs the periodic passes of `every`: the process's one scheduler, started
    and shut down by its owner. Without it, each `every` runs a scheduler of its own."""

    def __init__(
        self,
        board: HealthBoard,
        stop: asyncio.Event,
        *,
        backoff: Backoff | None = None,
        scheduler: AsyncIOScheduler | None = None,
    ) -> None:
        self._board = board
        self._stop = stop
        self._backoff = backoff or Backoff()
        self._scheduler = scheduler

    async def keep_running(self, part: str, run: Run, *, reports_itself: bool = False) -> None:
        """`run()` until `stop` is set, started again after every failure. With
        `reports_itself` the part says on the board when it is well (the SLA timer: leading
        or following); otherwise it is "running" from each start."""
        restarts = _Restarts(part, self._board, self._backoff)
        while not self._stop.is_set():
            restarts.started(reports_itself=reports_itself)
            try:
                await run()
                if self._stop.is_set():
                    return
                raise PartEndedError(part)
            except Exception as error:
                if self._stop.is_set():
                    restarts.stopping(error)
                    return
                delay = restarts.failed(error)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=delay)

    async def every(self, part: str, seconds: float, do: Run) -> None:
        """`do()` now and then `seconds` after each pass ends, until `stop` is set; a pass
        that fails is retried after the backoff, then the rhythm resumes. A pass under way
        when `stop` is set ends before this returns."""
        restarts = _Restarts(part, self._board, self._backoff)
        if self._scheduler is not None:
            await _Passes(part, seconds, do, self._scheduler, restarts, self._stop).run()
            return
        scheduler = new_scheduler()
        scheduler.start()
        try:
            await _Passes(part, seconds, do, scheduler, restarts, self._stop).run()
        finally:
            scheduler.shutdown(wait=False)


def new_scheduler() -> AsyncIOScheduler:
    """A scheduler that runs a late job however late (a busy loop must not lose a pass) and
    runs it once for all the instants it missed."""
    return AsyncIOScheduler(
        timezone=UTC, job_defaults={"misfire_grace_time": None, "coalesce": True}
    )


class _Passes:
    """A periodic part as a job of the scheduler. Each pass plans the next when it ends, so
    passes never overlap and a slow one (the database away) delays the next instead of
    piling up behind it."""

    def __init__(
        self,
        part: str,
        seconds: float,
        do: Run,
        scheduler: AsyncIOScheduler,
        restarts: _Restarts,
        stop: asyncio.Event,
    ) -> None:
        self._job_id = f"every:{part}"
        self._seconds = seconds
        self._do = do
        self._scheduler = scheduler
        self._restarts = restarts
        self._stop = stop
        self._idle = asyncio.Event()
        self._idle.set()
        self._fresh = True

    async def run(self) -> None:
        self._plan(0.0)
        try:
            await self._stop.wait()
        finally:
            with contextlib.suppress(JobLookupError):
                self._scheduler.remove_job(self._job_id)
            await self._idle.wait()

    def _plan(self, seconds: float) -> None:
        at = datetime.now(UTC) + timedelta(seconds=seconds)
        # Two instances: the pass that plans the next still counts as running until it has
        # returned, and the next (at once after a failure with a short backoff) must not be
        # skipped for it. Passes never overlap: each is planned only when the last ends.
        self._scheduler.add_job(
            self._pass,
            DateTrigger(run_date=at),
            id=self._job_id,
            replace_existing=True,
            max_instances=2,
        )

    async def _pass(self) -> None:
        if self._stop.is_set():
            return
        self._idle.clear()
        try:
            if self._fresh:  # the first pass, or the first after a failure: a (re)start
                self._restarts.started()
                self._fresh = False
            await self._do()
        except Exception as error:
            if self._stop.is_set():
                self._restarts.stopping(error)
                return
            self._fresh = True
            self._plan(self._restarts.failed(error))
            return
        finally:
            self._idle.set()
        if not self._stop.is_set():
            self._plan(self._seconds)
