"""Which time zone a person reads times in: the one they chose, checked against the IANA
database, else their team's calendar's (see sla.team_zone)."""

from __future__ import annotations

import functools
import zoneinfo

from inbox.domain.errors import ConfigurationError
from inbox.ports.sla import SlaQuery
from inbox.usecases.sla import KeepClocks
from sla.team_zone import team_time_zone

LONGEST_ZONE_NAME = 64


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    """Every IANA zone this machine knows, sorted: the choices a person is offered."""
    return tuple(sorted(zoneinfo.available_timezones()))


def checked_time_zone(name: str) -> str:
    """The zone's name as given, or a ConfigurationError naming the field and the reason."""
    zone = name.strip()
    if len(zone) > LONGEST_ZONE_NAME or zone not in time_zone_names():
        raise ConfigurationError(
            "time_zone", f"{zone[:LONGEST_ZONE_NAME]!r} is not an IANA time zone"
        )
    return zone


class TeamTimeZones:
    """The zone of a team's calendar under the SLA settings in force (UTC without any)."""

    def __init__(self, query: SlaQuery, clocks: KeepClocks) -> None:
        self._query = query
        self._clocks = clocks

    async def of_team(self, workspace_id: int, team_id: int | None) -> str:
        settings = await self._query.sla_settings(workspace_id)
        rules = self._clocks.rules_for(workspace_id, settings)
        return team_time_zone(rules.book, rules.calendars, team_id)
