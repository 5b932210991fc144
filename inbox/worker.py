"""The worker: everything a process runs beside answering requests, until it is told to stop.

Two kinds of parts, both under the supervisor (a part that fails is shown as retrying on the
health board and started again after a backoff; it is never the end of the process):
- long-running parts keep their own pace: each connected account's runner, its stream, the
  SLA timer and the incident detector (each leads or follows, and reports itself);
- periodic passes are jobs of the worker's one APScheduler scheduler: the outbox, webhook
  deliveries, reassignment, learning, shifts, snoozes. The SLA timer's
  leader keeps its instants (the next deadline, the safety pass, the end-of-shift lists) on
  the same scheduler.

The worker knows what to run, not how it is built: the composition root hands it the parts.
Durable state (deadlines, cursors, the outbox) lives in PostgreSQL, never only in the
scheduler's memory, so a worker started again carries on where the last one stopped.

Connected accounts are not a fixed list: `RunningAccounts` starts, restarts and stops their
runners as the account leases decide (`inbox.usecases.account_leases`), each under a
supervisor of its own so that one account can be stopped without touching the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from inbox.ports.connectors import OutboundChannel
from inbox.ports.leases import AccountKey
from inbox.supervise import Backoff, Run, Supervisor, new_scheduler
from inbox.usecases.account_leases import KeepAccountLeases
from inbox.usecases.health import HealthBoard

log = logging.getLogger(__name__)


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


class AccountCatalog(Protocol):
    """Every connected account's parts, built by the composition root."""

    async def follow(self, accounts: Mapping[AccountKey, str]) -> None:
        """Build the parts of accounts new or changed (by version); forget those gone."""
        ...

    def parts(self, account: AccountKey) -> list[LongRunning]:
        """The account's runner and stream as last built; empty when it cannot run (no
        secrets yet, an address refused: said in the log when it was built)."""
        ...


@dataclass(slots=True)
class _Running:
    version: str
    stop: asyncio.Event
    parts: list[str]
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class RunningAccounts:
    """The account runners of this process (implements the AccountRunners port), each
    account's parts under a supervisor of its own: a part that fails is started again as
    any other; stopping one account leaves the rest alone.

    `close` ends them all: the worker's accounts part calls it when it ends, whether the
    worker stops or its task is cancelled (as a crash would), so nothing outlives it."""

    def __init__(
        self,
        board: HealthBoard,
        catalog: AccountCatalog,
        *,
        backoff: Backoff | None = None,
        stop_grace_seconds: float = 5.0,
    ) -> None:
        self._board = board
        self._catalog = catalog
        self._backoff = backoff
        self._grace = stop_grace_seconds
        self._accounts: dict[AccountKey, _Running] = {}
        self._closed = False

    def running(self) -> Mapping[AccountKey, str]:
        return {account: running.version for account, running in self._accounts.items()}

    async def follow(self, accounts: Mapping[AccountKey, str]) -> None:
        await self._catalog.follow(accounts)

    async def start(self, account: AccountKey, version: str) -> None:
        await self.stop(account)
        if self._closed:
            return
        parts = self._catalog.parts(account)
        stop = asyncio.Event()
        running = _Running(version, stop, [part.part for part in parts])
        supervisor = Supervisor(self._board, stop, backoff=self._backoff)
        running.tasks = [
            asyncio.create_task(
                supervisor.keep_running(
                    part.part,
                    functools.partial(part.run, stop),
                    reports_itself=part.reports_itself,
                ),
                name=part.part,
            )
            for part in parts
        ]
        # Kept even with no part: the account is not built again until its version changes.
        self._accounts[account] = running
        log.info(
            "account started",
            extra={"action": "account_started", "workspace_id": account[0],
                   "account_id": account[1], "parts": running.parts},
        )  # fmt: skip

    async def stop(self, account: AccountKey) -> None:
        running = self._accounts.pop(account, None)
        if running is None:
            return
        running.stop.set()
        if running.tasks:
            # A poll under way finishes (its batch and cursor commit together) within the
            # grace; past it, the poll is cancelled: its transaction rolls back whole.
            _, late = await asyncio.wait(running.tasks, timeout=self._grace)
            await _cancel(late)
        for part in running.parts:
            self._board.forget(part)
        log.info(
            "account stopped",
            extra={"action": "account_stopped", "workspace_id": account[0],
                   "account_id": account[1]},
        )  # fmt: skip

    async def close(self) -> None:
        """Cancel whatever still runs, at once; nothing starts afterwards."""
        self._closed = True
        accounts, self._accounts = self._accounts, {}
        await _cancel([task for running in accounts.values() for task in running.tasks])


async def _cancel(tasks: Iterable[asyncio.Task[None]]) -> None:
    pending = list(tasks)
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError):
            await task


WAKE_JOB = "accounts:changed"


@dataclass(frozen=True, slots=True)
class AccountOwnership:
    """The parts that run this worker's share of the connected accounts: the runners' parent,
    the lease heartbeat (a periodic pass that also reconciles), and the listener that wakes
    it when an account changes."""

    keep: KeepAccountLeases
    runners: RunningAccounts
    listen: Callable[[Callable[[], object], asyncio.Event], Awaitable[None]]
    scheduler: AsyncIOScheduler
    # Every connected account's channel, whoever runs it: the outbox posts on them.
    channels: Mapping[AccountKey, OutboundChannel]

    def long_running(self) -> list[LongRunning]:
        return [
            LongRunning("accounts", self._own),
            LongRunning("accounts:listener", functools.partial(self.listen, self._wake)),
        ]

    def periodic(self) -> Periodic:
        return Periodic("accounts:leases", self.keep.heartbeat_seconds, self.keep.reconcile)

    async def _own(self, stop: asyncio.Event) -> None:
        try:
            await stop.wait()
            # A clean stop: the runners end their polls, then the accounts are handed over
            # at once rather than when the leases expire.
            await self.keep.leave()
        finally:
            await self.runners.close()

    def _wake(self) -> None:
        # A pass of its own, now, unless one that has not yet read the accounts is waiting
        # or planned already: a burst of changes (an import) makes one or two passes.
        if self.keep.waiting or self.scheduler.get_job(WAKE_JOB) is not None:
            return
        # Two instances: one under way, one waiting for it (passes never overlap).
        self.scheduler.add_job(self.keep.reconcile, id=WAKE_JOB, max_instances=2)
