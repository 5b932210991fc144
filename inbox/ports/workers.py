"""Worker processes: pure CPU work run beside the event loop's process, out of its
interpreter lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar, TypeVarTuple

Args = TypeVarTuple("Args")
Result = TypeVar("Result")


class WorkerProcesses(Protocol):
    """A bounded pool of processes started once. `function` and its arguments cross to the
    process and the answer back by pickling: a module-level function, plain values."""

    @property
    def size(self) -> int:
        """How many processes work at once (each call takes one of them)."""
        ...

    async def run(self, function: Callable[[*Args], Result], *args: *Args) -> Result:
        """The function's answer, computed in one of the processes. `WorkerLostError` when
        that process ended before answering: the pool is started again for the next call."""
        ...
