"""The incident pages: the live list, one incident with its chart, and the ops' actions.

Only ops, leads and admins reach them (the use case checks too); every form carries the
session's CSRF token. Keywords and places come from customers' messages: escaped like all
network text. The chart is SVG drawn here, no script.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, field_validator

from inbox.domain.errors import PermissionDeniedError
from inbox.domain.incidents import BulkMessage, IncidentPoint
from inbox.domain.web import WebSession
from inbox.usecases.incidents import INCIDENT_ROLES
from web.keys import now, services_of
from web.params import LARGEST_ID, page_id
from web.rendering import render
from web.session import checked_form, required_session
from web.validation import validated_form

CHART_WIDTH = 640
CHART_HEIGHT = 160
CHART_MARGIN = 24


@dataclass(frozen=True, slots=True)
class Chart:
    """Polylines in the SVG's own units: observed counts, the baseline, and the axis labels."""

    observed: str
    expected: str
    peak: float
    first: datetime | None
    last: datetime | None
    bars: tuple[tuple[float, float, float, float], ...]  # x, y, width, height per bucket


def chart(points: Sequence[IncidentPoint]) -> Chart:
    if not points:
        return Chart("", "", 0.0, None, None, ())
    peak = max(max(p.observed, p.expected) for p in points) or 1.0
    inner_w = CHART_WIDTH - 2 * CHART_MARGIN
    inner_h = CHART_HEIGHT - 2 * CHART_MARGIN
    step = inner_w / max(len(points), 1)

    def x(index: int) -> float:
        return round(CHART_MARGIN + step * (index + 0.5), 1)

    def y(value: float) -> float:
        return round(CHART_HEIGHT - CHART_MARGIN - inner_h * value / peak, 1)

    observed = " ".join(f"{x(i)},{y(p.observed)}" for i, p in enumerate(points))
    expected = " ".join(f"{x(i)},{y(p.expected)}" for i, p in enumerate(points))
    bars = tuple(
        (
            round(CHART_MARGIN + step * i, 1),
            y(p.observed),
            round(max(step - 1, 1), 1),
            round(CHART_HEIGHT - CHART_MARGIN - y(p.observed), 1),
        )
        for i, p in enumerate(points)
    )
    return Chart(observed, expected, peak, points[0].bucket, points[-1].bucket, bars)


async def _ops_session(request: web.Request) -> WebSession:
    session = await required_session(request)
    if not session.has(*INCIDENT_ROLES):
        raise PermissionDeniedError("incidents are for ops, leads and admins")
    return session


def _incident_id(request: web.Request) -> int:
    return page_id(request, "incident_id", "incident")


def _words(raw: Any) -> list[str]:
    return [w for w in str(raw or "")[:2000].split(",") if w.strip()]


async def incidents_page(request: web.Request) -> web.Response:
    """Open and recent incidents; with `partial=1` only the rows (the live refresh)."""
    session = await _ops_session(request)
    incidents = await services_of(request).incidents.recent(session)
    template = "incident_rows.html" if request.query.get("partial") == "1" else "incidents.html"
    notices = {"merged": "Merged.", "closed": "Closed."}
    return render(
        template,
        instant=now(request),
        session=session,
        incidents=incidents,
        notice=notices.get(request.query.get("notice", "")),
    )


async def open_incident(request: web.Request) -> web.StreamResponse:
    session = await _ops_session(request)
    form = await checked_form(request, session)
    incident = await services_of(request).incidents.open(
        session,
        title=str(form.get("title", "")),
        topics=_words(form.get("topics")),
        keywords=_words(form.get("keywords")),
        places=_words(form.get("places")),
        major=form.get("major") == "1",
    )
    raise web.HTTPSeeOther(f"/incidents/{incident.id}?notice=opened")


async def incident_page(request: web.Request) -> web.Response:
    session = await _ops_session(request)
    detail = await services_of(request).incidents.detail(session, _incident_id(request))
    notices = {
        "opened": "Incident opened.",
        "closed": "Closed: incident.closed sent to the webhooks.",
        "merged": "Merged into this incident: its threads are linked here.",
        "major": "Declared major.",
        "not-major": "No longer major.",
    }
    notice = notices.get(request.query.get("notice", ""))
    queued = request.query.get("queued")
    if queued is not None and queued.isdigit():
        notice = f"{int(queued)} message(s) queued; authors who had it already are skipped."
    return render(
        "incident.html",
        instant=now(request),
        session=session,
        detail=detail,
        incident=detail.incident,
        chart=chart(detail.points),
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        margin=CHART_MARGIN,
        notice=notice,
        now=now(request),
    )


async def close_incident(request: web.Request) -> web.StreamResponse:
    session = await _ops_session(request)
    await checked_form(request, session)
    incident_id = _incident_id(request)
    await services_of(request).incidents.close(session, incident_id)
    raise web.HTTPSeeOther(f"/incidents/{incident_id}?notice=closed")


async def declare_major(request: web.Request) -> web.StreamResponse:
    """Major from now (`major=1`), or no longer (`major=0`)."""
    session = await _ops_session(request)
    form = await checked_form(request, session)
    incident_id = _incident_id(request)
    major = form.get("major", "1") != "0"
    await services_of(request).incidents.declare_major(session, incident_id, major)
    raise web.HTTPSeeOther(f"/incidents/{incident_id}?notice={'major' if major else 'not-major'}")


class MergeForm(BaseModel):
    into: int

    @field_validator("into", mode="before")
    @classmethod
    def _number(cls, typed: object) -> int:
        """An incident's number as people write it: `12` or `#12`."""
        raw = str(typed).strip().lstrip("#")
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= LARGEST_ID:
            raise ValueError("the number of an open incident")
        return int(raw)


async def merge_incident(request: web.Request) -> web.StreamResponse:
    session = await _ops_session(request)
    into = validated_form(MergeForm, await checked_form(request, session)).into
    target = await services_of(request).incidents.merge(session, _incident_id(request), into)
    raise web.HTTPSeeOther(f"/incidents/{target.id}?notice=merged")


async def _bulk(request: web.Request, message: BulkMessage) -> web.StreamResponse:
    session = await _ops_session(request)
    await checked_form(request, session)
    incident_id = _incident_id(request)
    queued = await services_of(request).incidents.send_bulk(session, incident_id, message)
    raise web.HTTPSeeOther(f"/incidents/{incident_id}?queued={queued}")


async def acknowledge(request: web.Request) -> web.StreamResponse:
    return await _bulk(request, BulkMessage.ACK)


async def follow_up(request: web.Request) -> web.StreamResponse:
    return await _bulk(request, BulkMessage.FOLLOWUP)


def add_incident_pages(app: web.Application) -> None:
    app.router.add_get("/incidents", incidents_page)
    app.router.add_post("/incidents", open_incident)
    app.router.add_get("/incidents/{incident_id}", incident_page)
    app.router.add_post("/incidents/{incident_id}/close", close_incident)
    app.router.add_post("/incidents/{incident_id}/merge", merge_incident)
    app.router.add_post("/incidents/{incident_id}/major", declare_major)
    app.router.add_post("/incidents/{incident_id}/acknowledge", acknowledge)
    app.router.add_post("/incidents/{incident_id}/follow-up", follow_up)
