"""What every fake network's server shares: an aiohttp application on 127.0.0.1, started
and stopped around an `async with` block so that a failing test never leaves it listening."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Any, NamedTuple, Self

from aiohttp import web

LOOPBACK = "127.0.0.1"


class LoopbackServer(ABC):
    """`async with Server(...) as server:` serves until the block ends, however it ends."""

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()


async def serve(
    app: web.Application, port: int = 0, host: str = LOOPBACK, **options: Any
) -> tuple[web.AppRunner, int]:
    """`app` listening on `host` (an ephemeral port unless one is given): its runner, to
    clean up, and the port it listens on. `options` go to the `AppRunner`."""
    runner = web.AppRunner(app, access_log=None, **options)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner, int(runner.addresses[0][1])


class TimedRequest(NamedTuple):
    """A request a fake network answered: its endpoint, the client's port (which of several
    processes asked, for a run of several) and when it began and ended (monotonic seconds)."""

    endpoint: str
    client_port: int
    started: float
    finished: float


def timed(endpoint: str, request: web.Request, started: float) -> TimedRequest:
    """The request, begun at `started` (`time.monotonic()`), as it ends now."""
    peer = request.transport.get_extra_info("peername") if request.transport else None
    port = int(peer[1]) if isinstance(peer, tuple) and len(peer) >= 2 else 0
    return TimedRequest(endpoint, port, started, time.monotonic())
