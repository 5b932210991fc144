"""The adoption panel: people active per week by team, and the share of the brand's public
answers that went through the inbox, week by week since the workspace started.

For leads and admins. Figures per person are read only where the workspace turned
comparisons on; then each person sees their own, exactly as the lead sees them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inbox.domain.adoption import AdoptionReport, PersonWeeks, WeekSpan, week_of, weeks_between
from inbox.domain.errors import PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.domain.workspace_settings import WorkspacePreferences
from inbox.ports.pages import AdoptionQuery
from inbox.ports.people import WorkspacePreferencesStore

ADOPTION_ROLES = (Role.LEAD, Role.ADMIN)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


class Adoption:
    def __init__(self, query: AdoptionQuery, preferences: WorkspacePreferencesStore) -> None:
        self._query = query
        self._preferences = preferences

    async def _comparisons(self, workspace_id: int) -> bool:
        found = await self._preferences.load(workspace_id) or WorkspacePreferences()
        return found.agent_comparisons

    async def _weeks(
        self, session: WebSession, now: datetime
    ) -> tuple[tuple[date, ...], WeekSpan, bool]:
        """The reader's weeks since the workspace started (the last MOST_WEEKS), as local
        Mondays, the instants they span and whether older weeks were left out."""
        zone = _zone(session.time_zone)
        today = now.astimezone(zone).date()
        started = await self._query.started(session.workspace_id) or now
        first = min(started, now).astimezone(zone).date()
        weeks = weeks_between(first, today)
        capped = weeks[0] > week_of(first)
        since = _midnight(weeks[0], zone)
        until = _midnight(weeks[-1] + timedelta(days=7), zone)
        return weeks, WeekSpan(since, until, zone.key), capped

    async def report(self, session: WebSession, now: datetime) -> AdoptionReport:
        """By team; by person too where the workspace turned comparisons on."""
        if not session.has(*ADOPTION_ROLES):
            raise PermissionDeniedError("the adoption figures are for leads and admins")
        workspace_id = session.workspace_id
        weeks, span, capped = await self._weeks(session, now)
        people = None
        if await self._comparisons(workspace_id):
            people = tuple(await self._query.weeks_by_person(workspace_id, span))
        return AdoptionReport(
            weeks=weeks,
            teams=tuple(await self._query.teams(workspace_id)),
            active=tuple(await self._query.active_by_team(workspace_id, span)),
            answers=tuple(await self._query.answers(workspace_id, span)),
            people=people,
            capped=capped,
        )

    async def mine(
        self, session: WebSession, now: datetime
    ) -> tuple[tuple[date, ...], PersonWeeks] | None:
        """What the lead sees about this person (their active weeks), where the workspace
        turned comparisons on; None where it keeps them off."""
        if not await self._comparisons(session.workspace_id):
            return None
        weeks, span, _ = await self._weeks(session, now)
        found = await self._query.weeks_by_person(session.workspace_id, span, session.agent_id)
        mine = found[0] if found else PersonWeeks(session.agent_id, session.name, frozenset())
        return weeks, mine
