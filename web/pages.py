"""The inbox's pages: a view of the queue, search, each person's own page and the lead's
SLA dashboard."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web

from inbox.domain.errors import PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.sla import person_key
from inbox.domain.web import WebSession
from inbox.usecases.adoption import ADOPTION_ROLES
from inbox.usecases.web_pages import STAFF
from web import figures
from web.desk import DeskPlace, desk_page, thread_pane
from web.inbox_rows import rows_html
from web.keys import now, services_of
from web.rendering import html_response, render
from web.session import required_session, session_token, signed_in
from web.templating import page_times
from web.timefmt import LocalTimes
from web.view_params import thread_ids


async def inbox_page(request: web.Request) -> web.Response:
    """The desk: the view's list and, with `thread=ID`, that thread open beside it. With
    `partial=1`, only the list's rows (what the page swaps in on a live update), and with
    `threads=1,2,3` too, only those of them the view holds (the page removes the others).
    `stream` names the page's event stream, which learns what the page shows."""
    place = DeskPlace.of(request.query)
    if place.thread_id is None and request.query.get("partial") != "1":
        return await _desk(request, place)
    session = await required_session(request)
    if request.query.get("partial") == "1":
        return await _rows(request, session, place)
    pane = None
    if place.thread_id is not None:
        pane = await thread_pane(
            request,
            session,
            place.thread_id,
            place=place,
            notice=request.query.get("notice", ""),
            told=request.query.get("told", ""),
        )
    return await desk_page(request, session, place, pane)


async def _desk(request: web.Request, place: DeskPlace) -> web.Response:
    """The list alone, the page agents load most: the session, the view's rows and the
    toolbar's names read in one statement."""
    token = session_token(request)
    try:
        read = await services_of(request).inbox_pages.desk(token, place.view, filters=place.filters)
    except PermissionDeniedError:
        await required_session(request)  # the refusal's page offers the person a way out
        raise
    if read is None:
        raise web.HTTPSeeOther("/login")
    return await desk_page(request, signed_in(request, read.session), place, None, read=read)


async def _rows(request: web.Request, session: WebSession, place: DeskPlace) -> web.Response:
    threads = thread_ids(request.query.get("threads"), most=MOST_ROWS_ASKED)
    services = services_of(request)
    rows = await services.inbox_pages.inbox(
        session, place.view, filters=place.filters, threads=threads
    )
    stream = request.query.get("stream", "")
    if stream:
        shown = frozenset(row.thread_id for row in rows)
        services.live.showing(stream, session.workspace_id, session.agent_id, shown, threads)
    html = rows_html(
        rows,
        now(request),
        whole=threads is None,
        zone=session.time_zone,
        link=place.thread_link,
        opened=place.thread_id,
    )
    return html_response(str(html))


# A live update asks for at most this many rows; the page reloads its view past it.
MOST_ROWS_ASKED = 100


def _share(part: int, whole: int) -> str:
    return "–" if whole == 0 else f"{100 * part / whole:.0f}%"


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.0f} min"


def _bar(part: int, whole: int) -> int:
    return 0 if whole == 0 else round(120 * part / whole)


# The days the SLA figures cover, the reader's own (today the last).
REPORT_DAYS = 7


def _days(times: LocalTimes) -> tuple[datetime, datetime, list[date]]:
    since, until = times.last_days(REPORT_DAYS)
    first = times.local(since).date()
    return since, until, [first + timedelta(days=n) for n in range(REPORT_DAYS)]


async def dashboard(request: web.Request) -> web.Response:
    """The lead's view: the SLA now, both clocks per day and the queue by age as charts in
    the reader's zone, adoption by team (leads and admins), and the figures as a table by
    day, network or team (`?by=`)."""
    session = await required_session(request)
    if not session.has(Role.LEAD, Role.OPS, Role.ADMIN):
        raise PermissionDeniedError("the SLA dashboard is for leads, ops and admins")
    services = services_of(request)
    preferences = await services.workspace_preferences.load(session.workspace_id)
    # Per-person figures only where the workspace chose them (and then everyone sees their own).
    dimensions = {"day": "Day", "network": "Network", "team": "Team"}
    if preferences.agent_comparisons:
        dimensions["agent"] = "Person"
    asked = request.query.get("by", "day")
    by = asked if asked in dimensions else "day"
    instant = now(request)
    times = page_times(session, instant)
    since, until, days = _days(times)
    zone = session.time_zone
    per_day = await services.sla_report(
        session.workspace_id, by="day", since=since, until=until, time_zone=zone
    )
    rows = per_day
    if by != "day":
        rows = await services.sla_report(
            session.workspace_id, by=by, since=since, until=until, time_zone=zone
        )
    gauges = await services.sla_now(session.workspace_id)
    adoption = None
    if session.has(*ADOPTION_ROLES):
        adoption = await services.adoption.report(session, instant)
    return render(
        "dashboard.html",
        instant=instant,
        session=session,
        rows=rows,
        now=gauges,
        totals=figures.ClockTotals.of(per_day),
        clocks_chart=figures.clocks_per_day("clocks-per-day", per_day, days),
        queue_chart=figures.waiting_by_age("waiting-by-age", gauges),
        adoption=adoption,
        active_chart=figures.active_people("active-people", adoption) if adoption else None,
        # No public answer at all yet: an empty state says so rather than an empty chart.
        answers_chart=figures.answers_through_inbox("answers-through-inbox", adoption)
        if adoption and adoption.answers_on()[1]
        else None,
        by=by,
        dimensions=dimensions,
        label=dimensions[by],
        # Asked for per person where the workspace keeps them off: said, not silently ignored.
        per_person_off=asked == "agent" and by != "agent",
        share=_share,
        share_words=figures.share_words,
        day_label=figures.day_label,
        minutes=_minutes,
        bar=_bar,
    )


async def search_page(request: web.Request) -> web.Response:
    session = await required_session(request)
    words = request.query.get("q", "")
    found = await services_of(request).inbox_pages.search(session, words)
    return render("search.html", instant=now(request), session=session, words=words, found=found)


async def my_dashboard(request: web.Request) -> web.Response:
    """Every agent's own page: their figures only (their threads' clocks per day and their
    customers waiting, as charts), their threads nearest their deadline, and what
    colleagues told them (notes that name them). Where the workspace turned comparisons on,
    exactly what the lead sees about them."""
    session = await required_session(request)
    if not session.has(*STAFF):
        raise web.HTTPSeeOther("/community")  # a community member's own page is theirs
    instant = now(request)
    services = services_of(request)
    pages = services.inbox_pages
    figures_now = await pages.my_figures(session)
    mine = await pages.inbox(session, "mine", limit=10)
    told = await pages.notifications(session)
    preferences = await services.workspace_preferences.load(session.workspace_id)
    since, until, days = _days(page_times(session, instant))
    my_days = await services.sla_report(
        session.workspace_id,
        by="day",
        since=since,
        until=until,
        time_zone=session.time_zone,
        assignee_id=session.agent_id,
    )
    totals = figures.ClockTotals.of(my_days)
    clocks_chart = figures.clocks_per_day(
        "my-clocks-per-day", my_days, days, whose=", on my threads"
    )
    waiting = await services.sla_now.waiting_on(session.workspace_id, session.agent_id, instant)
    queue_chart = figures.waiting_by_age("my-waiting-by-age", waiting, whose=" on my threads")
    seen_by_lead: list[Any] = []
    if preferences.agent_comparisons:
        everyone = await services.sla_report(
            session.workspace_id, by="agent", since=since, until=until
        )
        mine_key = person_key(session.name, session.agent_id)
        seen_by_lead = [row for row in everyone if row.key == mine_key]
    my_weeks = await services.adoption.mine(session, instant)
    return render(
        "me.html",
        instant=instant,
        session=session,
        figures=figures_now,
        totals=totals,
        clocks_chart=clocks_chart,
        queue_chart=queue_chart,
        seen_by_lead=seen_by_lead,
        my_weeks=my_weeks,
        comparisons=preferences.agent_comparisons,
        share=_share,
        day_label=figures.day_label,
        minutes=_minutes,
        bar=_bar,
        rows=rows_html(mine, instant, zone=session.time_zone),
        notifications=told,
        saved=request.query.get("saved", ""),
        two_factor=await services.two_factor.status(session),
    )


def add_pages(app: web.Application) -> None:
    app.router.add_get("/inbox", inbox_page)
    app.router.add_get("/dashboard", dashboard)
    app.router.add_get("/me", my_dashboard)
    app.router.add_get("/search", search_page)
