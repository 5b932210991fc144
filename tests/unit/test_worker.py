"""The worker: long-running parts and periodic passes on one scheduler, under the supervisor,
until `stop`; a pass under way when `stop` is set ends before the worker returns."""

from __future__ import annotations

import asyncio

from inbox.supervise import Backoff
from inbox.usecases.health import HealthBoard, PartHealth
from inbox.worker import LongRunning, Periodic, Worker, each_workspace
from tests.waiting import until

QUICK = Backoff(first_seconds=0.001, max_seconds=0.01)


async def test_passes_repeat_and_parts_run_until_stop_then_nothing_is_left_scheduled() -> None:
    stop = asyncio.Event()
    board = HealthBoard()
    worker = Worker(board, stop, backoff=QUICK)
    passes: list[str] = []
    part_stopped = asyncio.Event()

    async def stream(stop: asyncio.Event) -> None:
        await stop.wait()
        part_stopped.set()

    async def send() -> None:
        passes.append("outbox")

    running = asyncio.create_task(
        worker.run([LongRunning("x:1:stream", stream)], [Periodic("outbox", 0.001, send)])
    )
    await until(lambda: len(passes) >= 3)
    assert board.parts()["outbox"] == PartHealth(True, "running")
    assert board.parts()["x:1:stream"] == PartHealth(True, "running")
    stop.set()
    await asyncio.wait_for(running, 30)
    assert part_stopped.is_set()
    assert not worker.scheduler.running


async def test_a_pass_under_way_when_stop_is_set_ends_before_the_worker_returns() -> None:
    stop = asyncio.Event()
    started = asyncio.Event()
    finish = asyncio.Event()
    finished: list[bool] = []

    async def slow_pass() -> None:
        started.set()
        await finish.wait()
        finished.append(True)

    worker = Worker(HealthBoard(), stop, backoff=QUICK)
    running = asyncio.create_task(worker.run([], [Periodic("learning", 3600, slow_pass)]))
    await asyncio.wait_for(started.wait(), 30)
    stop.set()
    await asyncio.sleep(0)
    assert not running.done()
    finish.set()
    await asyncio.wait_for(running, 30)
    assert finished == [True]


async def test_a_failing_pass_is_shown_as_retrying_then_running_again() -> None:
    stop = asyncio.Event()
    board = HealthBoard()
    calls = 0
    seen: list[PartHealth] = []

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls > 1:
            seen.append(board.parts()["webhooks"])
        if calls == 1:
            raise ConnectionResetError("database away")

    running = asyncio.create_task(
        Worker(board, stop, backoff=QUICK).run([], [Periodic("webhooks", 0.001, flaky)])
    )
    await until(lambda: calls >= 3)
    stop.set()
    await asyncio.wait_for(running, 30)
    assert seen[0] == PartHealth(True, "running")
    assert board.parts()["webhooks"].ok


async def test_while_a_failed_pass_waits_to_run_again_it_is_down_and_stop_ends_the_wait() -> None:
    stop = asyncio.Event()
    board = HealthBoard()

    async def failing() -> None:
        raise OSError("postgresql://user:secret@db/inbox refused")

    hour = Backoff(first_seconds=3600, max_seconds=3600)
    running = asyncio.create_task(
        Worker(board, stop, backoff=hour).run([], [Periodic("outbox", 1, failing)])
    )
    await until(lambda: not board.parts().get("outbox", PartHealth(True, "")).ok)
    assert board.parts()["outbox"] == PartHealth(False, "retrying after OSError")
    stop.set()
    await asyncio.wait_for(running, 30)


async def test_each_workspace_acts_on_every_workspace_in_turn() -> None:
    done: list[int] = []

    async def ids() -> list[int]:
        return [1, 2, 3]

    async def act(workspace_id: int) -> None:
        done.append(workspace_id)

    await each_workspace(ids, act)()
    assert done == [1, 2, 3]
