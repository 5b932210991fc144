"""The incident pages: the live list, one incident read at a glance, and the ops' actions.

An incident says what it is in words: a title from its topics and places, a sentence ("14
complaints in 10 minutes; usually about 1"), how unusual the detector found it; the
detector's own figures are on demand. Its chart (web/charts.py) shows the complaints from
hours before the burst to now against their usual level, the burst shaded.

Only ops, leads and admins reach them (the use cases check too); every form carries the
session's CSRF token. Keywords and places come from customers' messages: escaped like all
network text.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from markupsafe import Markup
from pydantic import BaseModel, field_validator

from inbox.domain.errors import PermissionDeniedError
from inbox.domain.incident_history import (
    IncidentFacts,
    IncidentHistory,
    incident_sentence,
    incident_title,
    strength_words,
)
from inbox.domain.incidents import BulkMessage
from inbox.domain.web import WebSession
from inbox.usecases.incidents import INCIDENT_ROLES
from web.charts import Series, column_chart
from web.inbox_rows import rows_html
from web.keys import now, services_of
from web.params import LARGEST_ID, page_id
from web.rendering import render
from web.session import checked_form, required_session
from web.templating import page_times
from web.timefmt import LocalTimes
from web.validation import validated_form

# Labels along the time axis of an incident's chart, about this many.
AXIS_LABELS = 6


def _width_words(width: timedelta) -> str:
    """A bucket's width: "1 minute", "5 minutes", "1 hour", "3 hours", "1 day"."""
    minutes = int(width.total_seconds() // 60)
    for unit, size in (("day", 1440), ("hour", 60)):
        if minutes >= size and minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def incident_chart(history: IncidentHistory, times: LocalTimes, *, is_open: bool) -> Markup:
    """Complaints per bucket (columns) against their usual level (a line), from hours
    before the burst to now, the burst shaded."""
    window = history.window
    count = window.buckets
    starts = [window.bucket_start(i) for i in range(count)]
    long = window.end - window.start > timedelta(days=1)

    def at(instant: datetime) -> str:
        return f"{times.local(instant):%a %H:%M}" if long else times.clock(instant)

    every = max(1, -(-count // AXIS_LABELS))
    labels: list[str | None] = [
        at(start) if (count - 1 - i) % every == 0 else None for i, start in enumerate(starts)
    ]
    if is_open:
        labels[-1] = "now"
    width = _width_words(window.width)
    observed = Series(
        "Complaints",
        history.observed,
        [f"{n} complaint{'s' if n != 1 else ''}" for n in history.observed],
        "1",
    )
    lines: tuple[Series, ...] = ()
    if history.usual is not None:
        lines = (
            Series(
                f"Usual at this time of day (last {history.days_known} days)",
                history.usual,
                [f"usually {u:.1f}" for u in history.usual],
                "muted",
            ),
        )
    first, last = window.burst
    return column_chart(
        "incident-history",
        title=f"Complaints per {width.removeprefix('1 ')}, against the usual level",
        summary=f"From {at(window.start)} to {'now' if is_open else at(window.end)}"
        f" {times.abbreviation()}, in buckets of {width}; the burst shaded, from"
        f" {at(window.bucket_start(first))}.",
        categories=[f"{at(s)}–{times.clock(s + window.width)}" for s in starts],
        labels=labels,
        bars=(observed,),
        lines=lines,
        y_label="complaints",
        highlight=(first, last),
        highlight_label="The burst",
        table_head=f"{width.capitalize()} from ({times.abbreviation()})",
        zero_marks=False,
        quiet_rows=lambda n: (
            f"Not listed: {n} period{'s' if n != 1 else ''} of {width} without a complaint."
        ),
    )


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
    services = services_of(request)
    incidents = await services.incidents.recent(session)
    facts = await services.incident_pages.facts(session, incidents)
    template = "incident_rows.html" if request.query.get("partial") == "1" else "incidents.html"
    notices = {"merged": "Merged.", "closed": "Closed."}
    return render(
        template,
        instant=now(request),
        session=session,
        incidents=incidents,
        titles={i.id: incident_title(i, facts.get(i.id)) for i in incidents},
        facts=facts,
        no_facts=IncidentFacts(),
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
    """One incident: its title and a sentence in plain words, its history as a chart, the
    places its complaints name, its linked threads with their SLA, and the actions."""
    session = await _ops_session(request)
    services = services_of(request)
    instant = now(request)
    detail = await services.incidents.detail(session, _incident_id(request))
    incident = detail.incident
    history = await services.incident_pages.history(session, incident, instant)
    facts = (await services.incident_pages.facts(session, [incident])).get(incident.id)
    linked = await services.incident_pages.linked(session, incident.id)
    others = []
    if incident.is_open:
        others = [
            i for i in await services.incidents.recent(session) if i.is_open and i.id != incident.id
        ]
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
    times = page_times(session, instant)
    still_open = [row for row in linked if row.status != "resolved"]
    return render(
        "incident.html",
        instant=instant,
        session=session,
        detail=detail,
        incident=incident,
        title=incident_title(incident, facts),
        sentence=incident_sentence(history),
        strength=strength_words(incident),
        facts=facts or IncidentFacts(),
        chart=incident_chart(history, times, is_open=incident.is_open),
        open_rows=rows_html(still_open, instant, zone=session.time_zone),
        open_count=len(still_open),
        resolved_rows=rows_html(
            [row for row in linked if row.status == "resolved"], instant, zone=session.time_zone
        ),
        resolved_count=len(linked) - len(still_open),
        shown=len(linked),
        others=others,
        notice=notice,
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
