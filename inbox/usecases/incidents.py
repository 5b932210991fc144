"""Incidents: opened by the outage detector or by ops, threads linked, authors acknowledged.

Two entry points here (the detector, `IncidentTimer`, is in `inbox.usecases.incident_detector`):
- `WatchComplaints`, an after-ingest hook run by every ingestion path of every process:
  links each batch's new complaints to the open incidents they match and adds their counts
  per series and minute to the shared complaint counts, both in the batch's transaction (a
  batch rolled back counts nothing; one retried counts only the mentions it added);
- `Incidents`, for the pages: list, detail, open/merge/close by hand, declare major, bulk
  messages, banners.

While an incident is major, SLA policies that say so suspend the business clocks of its linked
threads: declaring it major, linking threads to it, standing it down, merging or closing it
re-plan their running clocks (KeepClocks) in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from inbox.domain.clock import Clock
from inbox.domain.errors import ConfigurationError, NotFoundError, PermissionDeniedError
from inbox.domain.incidents import (
    BulkMessage,
    Incident,
    IncidentBanner,
    IncidentDetail,
    IncidentSettings,
    fill_template,
)
from inbox.domain.ingestion import IngestResult
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.ports.incidents import IncidentStore
from inbox.ports.ingest import AfterCommit, IngestUnitOfWork
from inbox.usecases.incidents_watch import ComplaintWatcher, series_counts
from inbox.usecases.sla import KeepClocks

log = logging.getLogger(__name__)

INCIDENT_ROLES = (Role.OPS, Role.LEAD, Role.ADMIN)
MAX_TEXT = 200
MAX_ITEMS = 20


class WatchComplaints:
    """After-ingest hook: the batch's complaints are linked to open incidents, and their counts
    added to the shared complaint counts, in its transaction (a batch rolled back, then
    retried or split, is counted once, for what was stored: only the mentions it added are
    its complaints)."""

    async def __call__(
        self, uow: IngestUnitOfWork, workspace_id: int, result: IngestResult
    ) -> AfterCommit | None:
        if not result.mentions_added or not result.changed_thread_ids:
            return None
        writer = uow.incidents
        thread_ids = sorted(result.changed_thread_ids)
        complaints = await writer.new_complaints(workspace_id, thread_ids)
        if not complaints:
            return None
        await writer.link_new(workspace_id, thread_ids)
        await writer.count_complaints(series_counts(complaints))
        return None


def _require_ops(session: WebSession) -> None:
    if not session.has(*INCIDENT_ROLES):
        raise PermissionDeniedError("incidents are for ops, leads and admins")


def _words(values: Sequence[str]) -> list[str]:
    cleaned = [v.strip()[:MAX_TEXT] for v in values if v.strip()]
    return list(dict.fromkeys(cleaned))[:MAX_ITEMS]


class Incidents:
    """What the pages ask of incidents. Every call checks the caller's role."""

    def __init__(
        self,
        store: IncidentStore,
        watcher: ComplaintWatcher,
        *,
        clock: Clock,
        clocks: KeepClocks | None = None,
    ) -> None:
        self._store = store
        self._watcher = watcher
        self._clock = clock
        self._clocks = clocks or KeepClocks(clock=clock)

    async def recent(self, session: WebSession, limit: int = 50) -> list[Incident]:
        _require_ops(session)
        return await self._store.recent(session.workspace_id, limit)

    async def detail(self, session: WebSession, incident_id: int) -> IncidentDetail:
        _require_ops(session)
        found = await self._store.detail(session.workspace_id, incident_id)
        if found is None:
            raise NotFoundError("incident", incident_id)
        if found.major_periods:
            settings = await self._store.sla_settings(session.workspace_id)
            rules = self._clocks.rules_for(session.workspace_id, settings)
            found = found.model_copy(update={"suspends_clocks": rules.suspends})
        return found

    async def banners(self, session: WebSession, thread_id: int) -> list[IncidentBanner]:
        """The open incidents a thread is linked to (any staff member sees them)."""
        return await self._store.for_thread(session.workspace_id, thread_id)

    async def open(
        self,
        session: WebSession,
        *,
        title: str,
        topics: Sequence[str] = (),
        keywords: Sequence[str] = (),
        places: Sequence[str] = (),
        major: bool = False,
        started_at: datetime | None = None,
    ) -> Incident:
        _require_ops(session)
        title = title.strip()[:MAX_TEXT]
        if not title:
            raise ConfigurationError("title", "an incident needs a title")
        now = self._clock()
        return await self._store.open_manual(
            session.workspace_id,
            session.agent_id,
            title=title,
            topics=_words(topics),
            keywords=_words(keywords),
            places=_words(places),
            major=major,
            started_at=min(started_at or now, now),
            now=now,
            replan=self._clocks.keep,
        )

    async def close(self, session: WebSession, incident_id: int) -> Incident:
        _require_ops(session)
        closed = await self._store.close(
            session.workspace_id, incident_id, self._clock(), session.agent_id, self._clocks.keep
        )
        if closed is None:
            raise NotFoundError("open incident", incident_id)
        return closed

    async def declare_major(
        self, session: WebSession, incident_id: int, major: bool = True
    ) -> Incident:
        """Major from now (or no longer): policies that suspend clocks during major incidents
        pause the linked threads' business clocks for as long as it lasts."""
        _require_ops(session)
        changed = await self._store.set_major(
            session.workspace_id, incident_id, major, self._clock(), self._clocks.keep
        )
        if changed is None:
            raise NotFoundError("open incident", incident_id)
        log.info(
            "incident declared major" if major else "incident no longer major",
            extra={"action": "incident_major", "workspace_id": session.workspace_id,
                   "incident_id": incident_id, "major": major},
        )  # fmt: skip
        return changed

    async def merge(self, session: WebSession, incident_id: int, into_id: int) -> Incident:
        _require_ops(session)
        if incident_id == into_id:
            raise ConfigurationError("into", "an incident cannot be merged into itself")
        return await self._store.merge(
            session.workspace_id,
            incident_id,
            into_id,
            self._clock(),
            session.agent_id,
            self._clocks.keep,
        )

    async def send_bulk(self, session: WebSession, incident_id: int, message: BulkMessage) -> int:
        """Queue the acknowledgement (or the follow-up) to every linked author once; the
        answer is how many were queued by this call (0 when all had it already)."""
        _require_ops(session)
        detail = await self.detail(session, incident_id)
        settings = await self._store.settings(session.workspace_id)
        if message is BulkMessage.FOLLOWUP and detail.incident.is_open:
            raise ConfigurationError("follow-up", "close the incident before following up")
        template = (
            settings.ack_template if message is BulkMessage.ACK else settings.followup_template
        )
        body = fill_template(template, settings.status_url)
        queued = await self._store.enqueue_bulk(
            session.workspace_id, incident_id, message, body, self._clock()
        )
        log.info(
            "incident bulk message queued",
            extra={"action": f"incident_{message.value}", "workspace_id": session.workspace_id,
                   "incident_id": incident_id, "queued": queued},
        )  # fmt: skip
        return queued

    async def settings(self, session: WebSession) -> IncidentSettings:
        _require_ops(session)
        return await self._store.settings(session.workspace_id)

    async def save_settings(self, session: WebSession, settings: IncidentSettings) -> None:
        if not session.has(Role.ADMIN, Role.OPS):
            raise PermissionDeniedError("incident settings are for ops and admins")
        await self._store.save_settings(session.workspace_id, settings)

    async def open_count(self, workspace_id: int) -> int:
        return await self._store.count_open(workspace_id)

    def latest_scores(self, workspace_id: int) -> dict[tuple[str, str, timedelta], float]:
        return self._watcher.latest_scores(workspace_id)

    @property
    def watcher(self) -> ComplaintWatcher:
        """This process's watcher: the worker's timer job runs over the same one."""
        return self._watcher
