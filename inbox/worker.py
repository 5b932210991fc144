"""The worker: everything a process runs beside answering requests, until it is told to stop.

Two kinds of parts, both under the supervisor (a part that fails is shown as retrying on the
health board and started again after a backoff; it is never the end of the process):
- long-running parts keep their own pace: each connected account's runner, its stream, the
  SLA timer (which leads or follows, and reports itself);
- periodic passes are jobs of the worker's one APScheduler scheduler: the outbox, webhook
  deliveries, the incident watch, reassignment, learning, shifts, snoozes. The SLA timer's
  leader keeps its instants (the next deadline, the safety pass, the end-of-shift lists) on
  the same scheduler.

The worker knows what to run, not how it is built: the composition root hands it the parts.
Durable state (deadlines, cursors, the outbox) lives in PostgreSQL, never only in the
scheduler's memory, so a worker started again carries on where the last one stopped.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from inbox.supervise import Backoff, Run, Supervisor, new_scheduler
from inbox.usecases.health import HealthBoard


@dataclass(frozen=True, slots=True)
class LongRunning:
    """A part that runs until `stop` is set. `part` is its name on the health board."""

    part: str
    run: Callable[[asyncio.Event], Awaitable[object]]
    # The part says on the board how it is (the SLA timer: leading or following).
    reports_itself: bool = False


@dataclass(frozen=True, slots=True)
class Periodic:
    """A pass run now, then `seconds` after each pass ends."""

    part: str
    seconds: float
    run: Run


class Worker:
    def __init__(
        self, board: HealthBoard, stop: asyncio.Event, *, backoff: Backoff | None = None
    ) -> None:
        self._board = board
        self._stop = stop
        self._backoff = backoff
        # Parts that plan instants of their own (the SLA timer) are given it when built.
        self.scheduler: AsyncIOScheduler = new_scheduler()

    async def run(self, long_running: Iterable[LongRunning], periodic: Iterable[Periodic]) -> None:
        """Every part until `stop` is set; passes under way end before this returns."""
        supervisor = Supervisor(
            self._board, self._stop, backoff=self._backoff, scheduler=self.scheduler
        )
        self.scheduler.start()
        try:
            await asyncio.gather(
                *(
                    supervisor.keep_running(
                        part.part,
                        functools.partial(part.run, self._stop),
                        reports_itself=part.reports_itself,
                    )
                    for part in long_running
                ),
                *(supervisor.every(job.part, job.seconds, job.run) for job in periodic),
            )
        finally:
            self.scheduler.shutdown(wait=False)


def each_workspace(
    workspace_ids: Callable[[], Awaitable[list[int]]], action: Callable[[int], Awaitable[object]]
) -> Run:
    """A pass that does `action` for every workspace, one after the other."""

    async def each() -> None:
        for workspace_id in await workspace_ids():
            await action(workspace_id)

    return each


def started_once(start: Run, tick: Run) -> Run:
    """A pass that runs `start` first, at every pass until it succeeds, then `tick`."""
    started = False

    async def step() -> object:
        nonlocal started
        if not started:
            await start()
            started = True
        return await tick()

    return step
