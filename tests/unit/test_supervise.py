"""The supervisor: a part that fails is logged, shown as retrying and started again; `stop`
ends everything, backoff waits included."""

from __future__ import annotations

import asyncio
import logging

import pytest

from inbox.supervise import Backoff, Supervisor
from inbox.usecases.health import HealthBoard, PartHealth
from tests.waiting import until

QUICK = Backoff(first_seconds=0.001, max_seconds=0.01)


class FlakyPart:
    """Fails `failures` times with `error`, then runs until told to stop."""

    def __init__(self, failures: int, error: Exception, stop: asyncio.Event) -> None:
        self.failures = failures
        self.error = error
        self.stop = stop
        self.starts = 0
        self.running = asyncio.Event()

    async def run(self) -> None:
        self.starts += 1
        if self.starts <= self.failures:
            raise self.error
        self.running.set()
        await self.stop.wait()


async def test_a_failing_part_is_started_again_until_it_runs() -> None:
    stop = asyncio.Event()
    board = HealthBoard()
    part = FlakyPart(3, ConnectionResetError("gone"), stop)
    supervised = asyncio.create_task(
        Supervisor(board, stop, backoff=QUICK).keep_running("p", part.run)
    )
    await asyncio.wait_for(part.running.wait(), 30)
    assert part.starts == 4
    assert board.parts()["p"] == PartHealth(True, "running")
    stop.set()
    await asyncio.wait_for(supervised, 30)


async def test_while_it_waits_to_start_again_a_part_is_down_with_the_error_class(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = asyncio.Event()
    board = HealthBoard()
    part = FlakyPart(1, OSError("postgresql://user:secret@db/inbox refused"), stop)
    slow = Backoff(first_seconds=3600, max_seconds=3600)
    with caplog.at_level(logging.WARNING, logger="inbox.supervise"):
        supervised = asyncio.create_task(
            Supervisor(board, stop, backoff=slow).keep_running("x:7", part.run)
        )
        await until(lambda: board.parts().get("x:7", PartHealth(True, "")).ok is False)
    assert board.parts()["x:7"] == PartHealth(False, "retrying after OSError")
    (line,) = [r for r in caplog.records if getattr(r, "action", None) == "part_retry"]
    assert line.__dict__["part"] == "x:7"
    assert line.__dict__["error"] == "OSError"
    assert "secret" not in caplog.text
    stop.set()  # ends the hour-long wait at once
    await asyncio.wait_for(supervised, 30)
    assert part.starts == 1


async def test_a_part_that_returns_before_stop_is_started_again() -> None:
    stop = asyncio.Event()
    board = HealthBoard()
    starts = 0
    again = asyncio.Event()

    async def gives_up() -> None:
        nonlocal starts
        starts += 1
        if starts == 3:
            again.set()
            await stop.wait()

    supervised = asyncio.create_task(
        Supervisor(board, stop, backoff=QUICK).keep_running("s", gives_up)
    )
    await asyncio.wait_for(again.wait(), 30)
    stop.set()
    await asyncio.wait_for(supervised, 30)
    assert starts == 3


async def test_cancellation_is_not_a_failure_to_retry() -> None:
    stop = asyncio.Event()
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    supervised = asyncio.create_task(
        Supervisor(HealthBoard(), stop, backoff=QUICK).keep_running("p", forever)
    )
    await started.wait()
    supervised.cancel()
    with pytest.raises(asyncio.CancelledError):
        await supervised


async def test_a_part_that_reports_itself_is_not_marked_running_by_the_supervisor() -> None:
    stop = asyncio.Event()
    board = HealthBoard()

    async def timer() -> None:
        board.report("timer", True, "following")
        await stop.wait()

    supervised = asyncio.create_task(
        Supervisor(board, stop, backoff=QUICK).keep_running("timer", timer, reports_itself=True)
    )
    await until(lambda: "timer" in board.parts())
    stop.set()
    await asyncio.wait_for(supervised, 30)
    assert board.parts()["timer"] == PartHealth(True, "following")


async def test_a_periodic_pass_that_fails_is_retried_and_the_rhythm_resumes() -> None:
    stop = asyncio.Event()
    board = HealthBoard()
    outcomes: list[str] = []
    done = asyncio.Event()

    async def send_pass() -> None:
        if len(outcomes) in (1, 2):
            outcomes.append("failed")
            raise RuntimeError("database down")
        outcomes.append("sent")
        if len(outcomes) == 5:
            done.set()

    supervised = asyncio.create_task(
        Supervisor(board, stop, backoff=QUICK).every("outbox", 0.001, send_pass)
    )
    await asyncio.wait_for(done.wait(), 30)
    stop.set()
    await asyncio.wait_for(supervised, 30)
    assert outcomes[:5] == ["sent", "failed", "failed", "sent", "sent"]
    assert board.parts()["outbox"].ok


def test_backoff_grows_to_its_ceiling_and_never_beyond() -> None:
    backoff = Backoff(first_seconds=1, max_seconds=30)
    for failures, ceiling in [(1, 1), (2, 2), (3, 4), (5, 16), (6, 30), (60, 30)]:
        delays = [backoff.delay(failures) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
