"""What the incident pages read beyond the incident itself: its history from the database
(complaints per bucket against their usual level, hours before the burst to now), what its
linked complaints share (for its title and its places with their counts), and its linked
threads as the inbox's rows. Read-only; for ops, leads and admins like every incident page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from inbox.domain.errors import PermissionDeniedError
from inbox.domain.incident_history import (
    USUAL_DAYS,
    IncidentFacts,
    IncidentHistory,
    chart_window,
    history,
)
from inbox.domain.incidents import Incident
from inbox.domain.web import InboxRow, WebSession
from inbox.ports.pages import IncidentHistoryQuery
from inbox.usecases.incidents import INCIDENT_ROLES

# An incident page lists at most this many linked threads (the count says how many more).
MOST_LINKED_ROWS = 200


def _require(session: WebSession) -> None:
    if not session.has(*INCIDENT_ROLES):
        raise PermissionDeniedError("incidents are for ops, leads and admins")


class IncidentPages:
    def __init__(self, query: IncidentHistoryQuery) -> None:
        self._query = query

    async def history(
        self, session: WebSession, incident: Incident, now: datetime
    ) -> IncidentHistory:
        _require(session)
        window = chart_window(incident.started_at, incident.closed_at, now)
        counts = await self._query.complaint_counts(
            session.workspace_id, incident.id, window, USUAL_DAYS
        )
        known_since = await self._query.known_since(session.workspace_id)
        return history(window, counts, known_since)

    async def facts(
        self, session: WebSession, incidents: Sequence[Incident]
    ) -> dict[int, IncidentFacts]:
        _require(session)
        return await self._query.facts(session.workspace_id, [i.id for i in incidents])

    async def linked(self, session: WebSession, incident_id: int) -> list[InboxRow]:
        _require(session)
        return await self._query.linked_rows(session.workspace_id, incident_id, MOST_LINKED_ROWS)
