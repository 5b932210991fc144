"""The inbox's pages: a view of the queue, search, each person's own page and the lead's
SLA dashboard."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inbox.domain.errors import PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.sla import person_key
from inbox.usecases.web_pages import SNOOZES, VIEWS, snooze_words
from web.inbox_rows import rows_html
from web.keys import now, services_of
from web.notices import said
from web.rendering import html_response, render
from web.session import required_session
from web.templating import page_times
from web.view_params import thread_ids, view_filters


async def inbox_page(request: web.Request) -> web.Response:
    """The view; with `partial=1`, only its rows (what the page swaps in on a live update),
    and with `threads=1,2,3` too, only those of them the view holds (the page removes the
    others). `stream` names the page's event stream, which learns what the page shows."""
    session = await required_session(request)
    view = request.query.get("view", "mine")
    filters = view_filters(request)
    threads = thread_ids(request.query.get("threads"), most=MOST_ROWS_ASKED)
    pages = services_of(request).inbox_pages
    rows = await pages.inbox(session, view, filters=filters, threads=threads)
    view = view if view in VIEWS else "mine"
    if request.query.get("partial") == "1":
        stream = request.query.get("stream", "")
        if stream:
            shown = frozenset(row.thread_id for row in rows)
            services_of(request).live.showing(
                stream, session.workspace_id, session.agent_id, shown, threads
            )
        html = rows_html(rows, now(request), whole=threads is None, zone=session.time_zone)
        return html_response(str(html))
    instant = now(request)
    html = rows_html(rows, instant, zone=session.time_zone)
    services = services_of(request)
    # Who may act on threads gets the list's tools: Next, and the selection's toolbar.
    can_act = session.has(Role.AGENT, Role.LEAD, Role.ADMIN)
    colleagues, teams = await services.bulk.assignees(session) if can_act else ((), ())
    return render(
        "inbox.html",
        instant=instant,
        session=session,
        rows=html,
        count=len(rows),
        view=view,
        filters=filters,
        view_counts=pages.kept_counts(session),
        can_act=can_act,
        colleagues=colleagues,
        teams=teams,
        snoozes=[(key, snooze_words(hours)) for key, hours in SNOOZES.items()],
        said=said(request.query, session),
    )


# A live update asks for at most this many rows; the page reloads its view past it.
MOST_ROWS_ASKED = 100


def _share(part: int, whole: int) -> str:
    return "–" if whole == 0 else f"{100 * part / whole:.0f}%"


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.0f} min"


def _bar(part: int, whole: int) -> int:
    return 0 if whole == 0 else round(120 * part / whole)


async def dashboard(request: web.Request) -> web.Response:
    """The lead's view: the SLA now, and both clocks per day (or `?by=network|team`)."""
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
    since, until = page_times(session, instant).last_days(7)
    rows = await services.sla_report(
        session.workspace_id, by=by, since=since, until=until, time_zone=session.time_zone
    )
    gauges = await services.sla_now(session.workspace_id)
    return render(
        "dashboard.html",
        instant=instant,
        session=session,
        rows=rows,
        now=gauges,
        by=by,
        dimensions=dimensions,
        label=dimensions[by],
        # Asked for per person where the workspace keeps them off: said, not silently ignored.
        per_person_off=asked == "agent" and by != "agent",
        share=_share,
        minutes=_minutes,
        bar=_bar,
    )


async def search_page(request: web.Request) -> web.Response:
    session = await required_session(request)
    words = request.query.get("q", "")
    found = await services_of(request).inbox_pages.search(session, words)
    return render("search.html", instant=now(request), session=session, words=words, found=found)


async def my_dashboard(request: web.Request) -> web.Response:
    """Every agent's own page: their figures only, their threads nearest their deadline, and
    what colleagues told them (notes that name them)."""
    session = await required_session(request)
    instant = now(request)
    pages = services_of(request).inbox_pages
    figures = await pages.my_figures(session)
    # A community member has no queue of their own here: their answers are on the thread.
    staff = session.has(Role.AGENT, Role.LEAD, Role.OPS, Role.ADMIN)
    mine = await pages.inbox(session, "mine", limit=10) if staff else []
    told = await pages.notifications(session)
    services = services_of(request)
    preferences = await services.workspace_preferences.load(session.workspace_id)
    seen_by_lead: list[Any] = []
    if preferences.agent_comparisons:
        since, until = page_times(session, instant).last_days(7)
        everyone = await services.sla_report(
            session.workspace_id, by="agent", since=since, until=until
        )
        mine_key = person_key(session.name, session.agent_id)
        seen_by_lead = [row for row in everyone if row.key == mine_key]
    return render(
        "me.html",
        instant=instant,
        session=session,
        figures=figures,
        seen_by_lead=seen_by_lead,
        comparisons=preferences.agent_comparisons,
        share=_share,
        minutes=_minutes,
        bar=_bar,
        rows=rows_html(mine, instant, zone=session.time_zone),
        notifications=told,
        saved=request.query.get("saved", ""),
    )


def add_pages(app: web.Application) -> None:
    app.router.add_get("/inbox", inbox_page)
    app.router.add_get("/dashboard", dashboard)
    app.router.add_get("/me", my_dashboard)
    app.router.add_get("/search", search_page)
