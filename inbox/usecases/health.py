"""Whether this process can serve: the database answers."""

from __future__ import annotations

from inbox.ports import HealthCheck


class CheckHealth:
    def __init__(self, check: HealthCheck) -> None:
        self._check = check

    async def __call__(self) -> None:
        await self._check.ping()
