"""Whether this process can serve: the database answers, and every part it runs says it is well.

The parts a process runs depend on the process (`inbox serve` runs the connectors, the outbox
sender, the SLA timer...; a web-only app none of them): each reports into the process's one
`HealthBoard` when its state changes, or is watched through a callable the board asks at each
check. `/healthz` reads the board through `CheckHealth`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from inbox.domain.errors import DatabaseUnavailableError
from inbox.ports.connectors import HealthCheck

DATABASE = "database"

# A watched part's status, asked at each check: (ok, detail), or None where the part does
# not run in this process (the live listener of a process that serves no pages).
Status = Callable[[], tuple[bool, str] | None]


@dataclass(frozen=True, slots=True)
class PartHealth:
    """`detail` is short and free of secrets (`/healthz` shows it without a login): a state
    ("running", "leading") or, when down, what it waits for and the error's class name."""

    ok: bool
    detail: str


class HealthBoard:
    """What each part of this process last said of itself. In-memory and per process: the
    parts run on the process's event loop, so reports need no lock."""

    def __init__(self) -> None:
        self._reported: dict[str, PartHealth] = {}
        self._watched: dict[str, Status] = {}

    def report(self, part: str, ok: bool, detail: str) -> None:
        self._reported[part] = PartHealth(ok, detail)

    def forget(self, part: str) -> None:
        """A part this process no longer runs (an account now run by another worker)."""
        self._reported.pop(part, None)

    def watch(self, part: str, status: Status) -> None:
        """A part whose state is kept elsewhere (the live listener's connection): asked at
        each check rather than told."""
        self._watched[part] = status

    def parts(self) -> dict[str, PartHealth]:
        seen = dict(self._reported)
        for part, status in self._watched.items():
            try:
                said = status()
            except Exception as error:  # a status that cannot say is a part that is not well
                said = False, f"status unknown ({type(error).__name__})"
            if said is not None:
                seen[part] = PartHealth(*said)
        return dict(sorted(seen.items()))


@dataclass(frozen=True, slots=True)
class HealthReport:
    parts: Mapping[str, PartHealth]

    @property
    def ok(self) -> bool:
        return all(part.ok for part in self.parts.values())

    @property
    def down(self) -> list[str]:
        return [name for name, part in self.parts.items() if not part.ok]


class CheckHealth:
    """The database asked now (a cheap round trip), the other parts read from the board."""

    def __init__(self, check: HealthCheck, board: HealthBoard | None = None) -> None:
        self._check = check
        self.board = board or HealthBoard()

    async def __call__(self) -> HealthReport:
        try:
            await self._check.ping()
            database = PartHealth(True, "ok")
        except DatabaseUnavailableError:
            database = PartHealth(False, "not answering")
        return HealthReport({DATABASE: database, **self.board.parts()})
