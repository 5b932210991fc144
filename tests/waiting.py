"""How tests wait: polling with a generous deadline for what another task or process does
(never a bare sleep), and `Sleeps`, which records the waits code asks for without waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


async def eventually(
    check: Callable[[], Awaitable[bool]], what: str = "the condition", seconds: float = 60
) -> None:
    """Return once `check` is true; fail, naming `what`, when `seconds` pass before."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def until(condition: Callable[[], bool], seconds: float = 30) -> None:
    """`eventually` for a condition read without awaiting."""

    async def check() -> bool:
        return condition()

    await eventually(check, seconds=seconds)


@dataclass
class Sleeps:
    """Records the waits asked for and yields without waiting: tests stay fast."""

    seconds: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        await asyncio.sleep(0)
