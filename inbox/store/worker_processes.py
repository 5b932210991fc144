"""The WorkerProcesses port: a bounded pool of processes started once, from a fork server.

Processes come from the 'forkserver' context: forking the event loop's own process, with its
threads and open connections, is unsafe, and 'spawn' would import the whole application again
for each process. The fork server imports `preload` once; each process then runs `warm_up`
as it starts (loading what its work needs), so that the first call does not pay for it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from multiprocessing.process import BaseProcess
from typing import TypeVar, TypeVarTuple

from inbox.domain.errors import WorkerLostError

log = logging.getLogger(__name__)

Args = TypeVarTuple("Args")
Result = TypeVar("Result")


class ProcessPool:
    """Open it with `open_worker_processes`, which stops its processes (waiting for each) as
    it ends. The processes start with the first call (or `warm`): a command that never
    calls pays nothing for them."""

    def __init__(
        self, size: int, *, warm_up: Callable[[], None], preload: Sequence[str] = ()
    ) -> None:
        if size < 1:
            raise ValueError("a pool of worker processes has at least one process")
        self._size = size
        self._warm_up = warm_up
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(list(preload))
        self._executor = self._start()

    @property
    def size(self) -> int:
        return self._size

    async def run(self, function: Callable[[*Args], Result], *args: *Args) -> Result:
        executor = self._executor
        try:
            return await asyncio.get_running_loop().run_in_executor(
                executor, functools.partial(function, *args)
            )
        except BrokenProcessPool as error:
            # Every call waiting on that pool fails alike; the first replaces it.
            if executor is self._executor:
                log.error(
                    "a worker process ended before answering: pool started again",
                    extra={"action": "worker_process_lost", "processes": self._size},
                )
                executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._start()
            raise WorkerLostError(f"worker process lost: {error}") from error

    async def warm(self) -> None:
        """Start the processes now rather than at the first call, and wait until they answer
        (each runs `warm_up` before its first call)."""
        await asyncio.gather(*(self.run(_pause) for _ in range(self._size)))

    def close(self) -> None:
        """Stop the processes, waiting for each: none is left behind."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self._size, mp_context=self._context, initializer=_begin, initargs=(self._warm_up,)
        )


@asynccontextmanager
async def open_worker_processes(
    size: int, *, warm_up: Callable[[], None], preload: Sequence[str] = ()
) -> AsyncIterator[ProcessPool]:
    pool = ProcessPool(size, warm_up=warm_up, preload=preload)
    try:
        yield pool
    finally:
        await asyncio.to_thread(pool.close)


def _begin(warm_up: Callable[[], None]) -> None:
    """In each process as it starts. A process whose parent was killed (no `close`) would
    wait for work forever, holding its memory: it ends when its parent does."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent,), daemon=True).start()
    warm_up()


def _end_with(parent: BaseProcess) -> None:
    multiprocessing.connection.wait([parent.sentinel])
    os._exit(0)


def _pause() -> None:
    """A call that returns at once: each process, started, has run its warm-up before."""
