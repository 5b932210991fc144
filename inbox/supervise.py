"""Keeps the process's long-running parts alive: one failing part never ends the process.

Every loop a worker runs (a connector's account, its stream, the outbox sender, the webhook
deliveries, the SLA timer, the incident watch, reassignment) runs under `Supervisor`. When a
part raises anything but a cancellation, or ends while the process is not stopping, it is
logged (the error's class, never its text: a driver's message may carry an address), shown on
the health board as retrying, and started again after an exponential backoff with jitter: a
database outage is ridden out, then the part picks up from its durable state in PostgreSQL.
Setting `stop` ends every part promptly, backoff waits included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

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


class Supervisor:
    def __init__(
        self, board: HealthBoard, stop: asyncio.Event, *, backoff: Backoff | None = None
    ) -> None:
        self._board = board
        self._stop = stop
        self._backoff = backoff or Backoff()

    async def keep_running(self, part: str, run: Run, *, reports_itself: bool = False) -> None:
        """`run()` until `stop` is set, started again after every failure.

        A part that ran longer than the longest backoff before failing starts the count of
        failures again: one failure a day waits the first delay, not the last. With
        `reports_itself` the part says on the board when it is well (the SLA timer: leading
        or following); otherwise it is "running" from each start."""
        loop = asyncio.get_running_loop()
        failures = 0
        while not self._stop.is_set():
            if not reports_itself:
                self._board.report(part, True, RUNNING)
            started = loop.time()
            try:
                await run()
                if self._stop.is_set():
                    return
                raise PartEndedError(part)
            except Exception as error:
                if self._stop.is_set():
                    log.info(
                        "part ended with an error while stopping",
                        extra={"action": "part_stop_error", "part": part,
                               "error": type(error).__name__},
                    )  # fmt: skip
                    return
                if loop.time() - started > self._backoff.max_seconds:
                    failures = 0
                failures += 1
                delay = self._backoff.delay(failures)
                self._board.report(part, False, f"retrying after {type(error).__name__}")
                log.warning(
                    "part failed; starting it again",
                    extra={"action": "part_retry", "part": part, "error": type(error).__name__,
                           "failures": failures, "retry_in_seconds": round(delay, 1)},
                    exc_info=log.isEnabledFor(logging.DEBUG),
                )  # fmt: skip
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=delay)

    async def every(self, part: str, seconds: float, do: Run) -> None:
        """`do()` now and then every `seconds` until `stop` is set; a pass that fails is
        retried with backoff before the rhythm resumes."""

        async def passes() -> None:
            while not self._stop.is_set():
                await do()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=seconds)

        await self.keep_running(part, passes)
