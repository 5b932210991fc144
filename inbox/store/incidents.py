"""The PostgreSQL side of incidents: detection, links, bulk messages and their announcements.
What an ingestion batch writes of them in its own transaction (its complaints, linked and
counted) is in `inbox.store.incident_ingest`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from inbox.domain.errors import ConflictError, NotFoundError
from inbox.domain.incidents import (
    DEFAULT_ACK_TEMPLATE,
    DEFAULT_FOLLOWUP_TEMPLATE,
    BulkMessage,
    Detection,
    Incident,
    IncidentBanner,
    IncidentDetail,
    IncidentPoint,
    IncidentSettings,
    LinkedThread,
    MajorPeriod,
    title_for,
)
from inbox.domain.sla import SlaSettings
from inbox.ports.incidents import ReplanClocks, SeriesCount
from inbox.store import incidents_sql as sql
from inbox.store.database import Connection, Database
from inbox.store.ingest_sql import LOCK_WORKSPACE
from inbox.store.sla_clocks import PgClockWriter
from inbox.store.sla_timer import PgLeadership
from routing.signals import SeriesKey

# Any constant of the inbox's own, apart from the SLA timer's: the detector's leader may be
# another process than the timer's.
DETECTOR_LOCK_KEY = 0x1B0C5_0003

# The classifier's urgency reasons that name a keyword group (see routing/classify.py): the
# slices the detector counts besides topics.
KEYWORD_GROUP_EFFECTS = {
    "outage words": "outage",
    "threat to leave": "churn",
    "legal or regulator": "legal",
    "safety: urgent": "safety",
}
_EFFECTS = list(KEYWORD_GROUP_EFFECTS)
# A declared incident also holds the complaints of the minutes before ops declared it.
DECLARED_LOOKBACK = timedelta(minutes=5)
# Bounds on the texts an incident's keywords are drawn from (its burst, its baseline).
MAX_BURST_TEXTS = 2000
MAX_BASELINE_TEXTS = 5000
_GROUPS = list(KEYWORD_GROUP_EFFECTS.values())


def _incident(row: Any) -> Incident:
    return Incident(
        workspace_id=row["workspace_id"],
        id=row["id"],
        status=row["status"],
        source=row["source"],
        major=row["major"],
        title=row["title"],
        topics=tuple(row["topics"]),
        keyword_groups=tuple(row["keyword_groups"]),
        series=tuple(row["series"]),
        keywords=tuple(row["keywords"]),
        places=tuple(row["places"]),
        started_at=row["started_at"],
        opened_at=row["opened_at"],
        closed_at=row["closed_at"],
        explanation=row["explanation"],
        peak_score=row["peak_score"],
        merged_into=row["merged_into"],
        linked=row["linked"],
        acknowledged=row["acknowledged"],
        followed_up=row["followed_up"],
    )


def _settings(row: Any) -> IncidentSettings:
    return IncidentSettings(
        threshold=row["threshold"],
        quiet=timedelta(seconds=row["quiet_seconds"]),
        status_url=row["status_url"],
        ack_template=row["ack_template"] or DEFAULT_ACK_TEMPLATE,
        followup_template=row["followup_template"] or DEFAULT_FOLLOWUP_TEMPLATE,
    )


class PgIncidentStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def complaint_counts(self, since: datetime, until: datetime) -> list[SeriesCount]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(sql.COMPLAINT_COUNTS, since, until)
        return [
            SeriesCount(
                SeriesKey(row["workspace_id"], row["kind"], row["value"]),
                row["bucket"],
                row["count"],
            )
            for row in rows
        ]

    @asynccontextmanager
    async def leadership(self) -> AsyncIterator[PgLeadership]:
        async with self._db.dedicated() as conn:
            leader = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", DETECTOR_LOCK_KEY))
            yield PgLeadership(conn, leader)

    async def all_settings(self) -> dict[int, IncidentSettings]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(sql.ALL_SETTINGS)
        return {row["workspace_id"]: _settings(row) for row in rows}

    async def settings(self, workspace_id: int) -> IncidentSettings:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(sql.SETTINGS, workspace_id)
        return IncidentSettings() if row is None else _settings(row)

    async def save_settings(self, workspace_id: int, settings: IncidentSettings) -> None:
        async with self._db.connection() as conn:
            await conn.execute(
                sql.SAVE_SETTINGS,
                workspace_id,
                settings.threshold,
                int(settings.quiet.total_seconds()),
                settings.status_url,
                settings.ack_template,
                settings.followup_template,
            )

    async def open_detected(
        self, workspace_id: int, detection: Detection, replan: ReplanClocks | None = None
    ) -> tuple[Incident, bool]:
        async with self._db.transaction() as conn:
            await _lock_clocks(conn, workspace_id, replan)
            incident_id = await conn.fetchval(
                sql.OPEN_DETECTED,
                workspace_id,
                detection.title,
                list(detection.topics),
                list(detection.keyword_groups),
                list(detection.series),
                detection.started_at,
                detection.opened_at,
                detection.explanation,
                detection.score,
                list(detection.regions),
            )
            created = incident_id is not None
            if not created:
                joined = await conn.fetchrow(
                    sql.JOIN_DETECTED,
                    workspace_id,
                    list(detection.topics),
                    list(detection.keyword_groups),
                    list(detection.series),
                    detection.score,
                    list(detection.regions),
                )
                if joined is None:  # closed between the two statements: try again later
                    raise ConflictError("the workspace's detector incident changed meanwhile")
                incident_id = joined["id"]
                title = title_for(tuple(joined["topics"]), tuple(joined["keyword_groups"]))
                await conn.execute(sql.RETITLE, workspace_id, incident_id, title)
            if created:
                await _add_points(conn, workspace_id, incident_id, detection.points)
            # Each slice's complaints from when it began to burst (a slice joining later
            # brings its own start: what came before in it was not this outage).
            await conn.execute(
                sql.LINK_SINCE_START,
                workspace_id,
                incident_id,
                detection.opened_at,
                _EFFECTS,
                _GROUPS,
                detection.started_at,
            )
            await _replan(conn, workspace_id, [incident_id], replan)
            incident = await _one(conn, workspace_id, incident_id)
            if created:
                await _announce(conn, incident, "incident.opened", detection.opened_at)
        return incident, created

    async def open_detected_incidents(self) -> list[Incident]:
        async with self._db.connection() as conn:
            return [_incident(row) for row in await conn.fetch(sql.OPEN_DETECTED_INCIDENTS)]

    async def add_points(
        self, workspace_id: int, incident_id: int, points: Sequence[IncidentPoint]
    ) -> None:
        async with self._db.transaction() as conn:
            await _add_points(conn, workspace_id, incident_id, points)

    async def set_normal(
        self, workspace_id: int, incident_id: int, normal: bool, now: datetime
    ) -> datetime | None:
        async with self._db.connection() as conn:
            since: datetime | None = await conn.fetchval(
                sql.SET_NORMAL, workspace_id, incident_id, normal, now
            )
        return since

    async def keyword_texts(
        self, workspace_id: int, incident_id: int, baseline: timedelta
    ) -> tuple[list[str], list[str]]:
        async with self._db.connection() as conn:
            burst = await conn.fetch(sql.BURST_TEXTS, workspace_id, incident_id, MAX_BURST_TEXTS)
            before = await conn.fetch(
                sql.BASELINE_TEXTS, workspace_id, incident_id, baseline, MAX_BASELINE_TEXTS
            )
        return [row["body"] for row in burst], [row["body"] for row in before]

    async def save_keywords(
        self, workspace_id: int, incident_id: int, keywords: Sequence[str]
    ) -> None:
        async with self._db.connection() as conn:
            await conn.execute(sql.SAVE_KEYWORDS, workspace_id, incident_id, list(keywords))

    async def open_manual(
        self,
        workspace_id: int,
        agent_id: int,
        *,
        title: str,
        topics: Sequence[str],
        keywords: Sequence[str],
        places: Sequence[str],
        major: bool,
        started_at: datetime,
        now: datetime,
        replan: ReplanClocks | None = None,
    ) -> Incident:
        async with self._db.transaction() as conn:
            await _lock_clocks(conn, workspace_id, replan)
            incident_id = await conn.fetchval(
                sql.OPEN_MANUAL,
                workspace_id,
                title,
                list(topics),
                list(keywords),
                list(places),
                major,
                started_at,
                now,
                agent_id,
            )
            # Opened as major: major from its opening, not from the outage's start.
            await conn.execute(sql.OPEN_MAJOR_PERIOD, workspace_id, [incident_id], now)
            # The complaints that made ops declare it came in the minutes before.
            await conn.execute(
                sql.LINK_SINCE_START,
                *(workspace_id, incident_id, now, _EFFECTS, _GROUPS),
                started_at - DECLARED_LOOKBACK,
            )
            await _replan(conn, workspace_id, [incident_id], replan)
            incident = await _one(conn, workspace_id, incident_id)
            await _announce(conn, incident, "incident.opened", now)
        return incident

    async def close(
        self,
        workspace_id: int,
        incident_id: int,
        now: datetime,
        agent_id: int | None,
        replan: ReplanClocks | None = None,
    ) -> Incident | None:
        async with self._db.transaction() as conn:
            await _lock_clocks(conn, workspace_id, replan)
            closed = await conn.fetchval(sql.CLOSE, workspace_id, incident_id, now, agent_id)
            if closed is None:
                return None
            await conn.execute(sql.END_MAJOR_PERIOD, workspace_id, [incident_id], now)
            await _replan(conn, workspace_id, [incident_id], replan)
            incident = await _one(conn, workspace_id, incident_id)
            await _announce(conn, incident, "incident.closed", now)
        return incident

    async def merge(
        self,
        workspace_id: int,
        incident_id: int,
        into_id: int,
        now: datetime,
        agent_id: int,
        replan: ReplanClocks | None = None,
    ) -> Incident:
        async with self._db.transaction() as conn:
            await _lock_clocks(conn, workspace_id, replan)
            locked = {
                row["id"]
                for row in await conn.fetch(sql.LOCK_OPEN, workspace_id, [incident_id, into_id])
            }
            for wanted in (incident_id, into_id):
                if wanted not in locked:
                    raise NotFoundError("open incident", wanted)
            await conn.execute(sql.MOVE_THREADS, workspace_id, incident_id, into_id)
            await conn.execute(sql.WIDEN_TARGET, workspace_id, incident_id, into_id)
            await conn.execute(sql.MARK_MERGED, workspace_id, incident_id, into_id, now, agent_id)
            # A major incident merged into another makes it major from now.
            await conn.execute(sql.END_MAJOR_PERIOD, workspace_id, [incident_id], now)
            await conn.execute(sql.OPEN_MAJOR_PERIOD, workspace_id, [into_id], now)
            await _replan(conn, workspace_id, [incident_id, into_id], replan)
            merged = await _one(conn, workspace_id, incident_id)
            await _announce(conn, merged, "incident.closed", now)
            return await _one(conn, workspace_id, into_id)

    async def set_major(
        self,
        workspace_id: int,
        incident_id: int,
        major: bool,
        now: datetime,
        replan: ReplanClocks | None = None,
    ) -> Incident | None:
        async with self._db.transaction() as conn:
            await _lock_clocks(conn, workspace_id, replan)
            if await conn.fetchval(sql.SET_MAJOR, workspace_id, incident_id, major) is None:
                return None
            period = sql.OPEN_MAJOR_PERIOD if major else sql.END_MAJOR_PERIOD
            await conn.execute(period, workspace_id, [incident_id], now)
            await _replan(conn, workspace_id, [incident_id], replan)
            notice = {"workspace_id": workspace_id, "incident_id": incident_id, "kind": "major"}
            await conn.execute(sql.NOTIFY_INCIDENTS, json.dumps(notice))
            return await _one(conn, workspace_id, incident_id)

    async def sla_settings(self, workspace_id: int) -> SlaSettings | None:
        async with self._db.connection() as conn:
            return await PgClockWriter(conn).sla_settings(workspace_id)

    async def recent(self, workspace_id: int, limit: int) -> list[Incident]:
        async with self._db.connection() as conn:
            return [_incident(r) for r in await conn.fetch(sql.RECENT, workspace_id, limit)]

    async def count_open(self, workspace_id: int) -> int:
        async with self._db.connection() as conn:
            return int(await conn.fetchval(sql.COUNT_OPEN, workspace_id))

    async def detail(self, workspace_id: int, incident_id: int) -> IncidentDetail | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(sql.ONE, workspace_id, incident_id)
            if row is None:
                return None
            points = await conn.fetch(sql.POINTS, workspace_id, incident_id)
            threads = await conn.fetch(sql.THREADS, workspace_id, incident_id)
            periods = await conn.fetch(sql.MAJOR_PERIODS, workspace_id, incident_id)
        return IncidentDetail(
            incident=_incident(row),
            points=tuple(IncidentPoint(**dict(p)) for p in points),
            threads=tuple(LinkedThread(**dict(t)) for t in threads),
            major_periods=tuple(MajorPeriod(**dict(p)) for p in periods),
        )

    async def for_thread(self, workspace_id: int, thread_id: int) -> list[IncidentBanner]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(sql.FOR_THREAD, workspace_id, thread_id)
        return [IncidentBanner(**dict(row)) for row in rows]

    async def enqueue_bulk(
        self, workspace_id: int, incident_id: int, message: BulkMessage, body: str, now: datetime
    ) -> int:
        mark = sql.MARK_ACKNOWLEDGED if message is BulkMessage.ACK else sql.MARK_FOLLOWED_UP
        async with self._db.transaction() as conn:
            queued = int(
                await conn.fetchval(
                    sql.ENQUEUE_BULK, workspace_id, incident_id, message.value, body, now
                )
            )
            await conn.execute(mark, workspace_id, incident_id, now)
        return queued


async def _lock_clocks(conn: Connection, workspace_id: int, replan: ReplanClocks | None) -> None:
    """Clocks are re-planned under the lock ingestion takes, so that a batch writing the same
    threads' clocks waits (taken first: the batch takes it before touching incidents)."""
    if replan is not None:
        await conn.execute(LOCK_WORKSPACE, workspace_id)


async def _replan(
    conn: Connection, workspace_id: int, incident_ids: Sequence[int], replan: ReplanClocks | None
) -> None:
    """Re-plan, in this transaction, the running clocks of the threads linked to incidents
    that are or were major: their pauses changed."""
    if replan is None:
        return
    rows = await conn.fetch(sql.REPLAN_THREADS, workspace_id, list(incident_ids))
    if rows:
        await replan(PgClockWriter(conn), workspace_id, [row["thread_id"] for row in rows])


async def _one(conn: Connection, workspace_id: int, incident_id: int) -> Incident:
    row = await conn.fetchrow(sql.ONE, workspace_id, incident_id)
    if row is None:
        raise NotFoundError("incident", incident_id)
    return _incident(row)


async def _add_points(
    conn: Connection, workspace_id: int, incident_id: int, points: Sequence[IncidentPoint]
) -> None:
    if not points:
        return
    await conn.execute(
        sql.ADD_POINTS,
        workspace_id,
        incident_id,
        [p.bucket for p in points],
        [p.observed for p in points],
        [p.expected for p in points],
        [p.score for p in points],
    )
    await conn.execute(sql.PEAK, workspace_id, incident_id, max(p.score for p in points))


async def _announce(conn: Connection, incident: Incident, kind: str, at: datetime) -> None:
    """Webhooks (signed and retried by the webhook sender) and the live pages, in the same
    transaction as the change: announced once, or not at all."""
    key = f"{kind}:{incident.workspace_id}:{incident.id}"
    payload = {
        "id": key,
        "kind": kind,
        "workspace_id": incident.workspace_id,
        "occurred_at": at.isoformat(),
        "data": {
            "incident_id": incident.id,
            "title": incident.title,
            "source": incident.source.value,
            "major": incident.major,
            "topics": list(incident.topics),
            "keyword_groups": list(incident.keyword_groups),
            "keywords": list(incident.keywords),
            "places": list(incident.places),
            "started_at": incident.started_at.isoformat(),
            "closed_at": incident.closed_at.isoformat() if incident.closed_at else None,
            "explanation": incident.explanation,
            "linked_threads": incident.linked,
            "merged_into": incident.merged_into,
        },
    }
    await conn.execute(
        sql.QUEUE_WEBHOOKS,
        incident.workspace_id,
        key,
        kind,
        json.dumps(payload, ensure_ascii=False),
    )
    await conn.execute(sql.NOTIFY_WEBHOOKS)
    notice = {"workspace_id": incident.workspace_id, "incident_id": incident.id, "kind": kind}
    await conn.execute(sql.NOTIFY_INCIDENTS, json.dumps(notice))
