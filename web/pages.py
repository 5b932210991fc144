"""The agent's pages: log in, the inbox, a thread with its reply box.

Server-rendered with Jinja2, every value escaped (network text is untrusted). Sessions live in
an HttpOnly cookie; every form that changes something carries the session's CSRF token, and
the login form is refused from another origin. No inline script: the Content-Security-Policy
allows only this site's files.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import ipaddress
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import SecretStr

from inbox.domain.errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from inbox.domain.live import LivePage, PageUpdate
from inbox.domain.people import Role
from inbox.domain.sla import person_key
from inbox.domain.web import InboxFilters, WebSession
from inbox.usecases.services import Services
from inbox.usecases.web_auth import LoginRefusedError, TooManyAttemptsError
from inbox.usecases.web_pages import VIEWS
from web.assets import add_assets
from web.inbox_rows import row_html, rows_html
from web.keys import SERVICES, WORKSPACE
from web.templating import environment, page_times

log = logging.getLogger(__name__)

COOKIE = "inbox_session"
TEMPLATES = environment()
CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"


def render(template: str, status: int = 200, **context: Any) -> web.Response:
    context.setdefault("session", None)
    context.setdefault("times", page_times(context["session"]))
    return html_response(TEMPLATES.get_template(template).render(**context), status)


def html_response(html: str, status: int = 200) -> web.Response:
    response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = CSP
    # Not "no-referrer": with it, browsers send `Origin: null` on this site's own forms,
    # and the login's origin check could not tell them from another site's.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _services(request: web.Request) -> Services:
    return request.app[SERVICES]


async def current_session(request: web.Request) -> WebSession | None:
    token = request.cookies.get(COOKIE, "")
    return await _services(request).web_logins.session(token) if token else None


async def _required_session(request: web.Request) -> WebSession:
    session = await current_session(request)
    if session is None:
        raise web.HTTPSeeOther("/login")
    return session


async def _checked_form(request: web.Request, session: WebSession) -> Any:
    form = await request.post()
    sent = str(form.get("csrf", ""))
    if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise web.HTTPForbidden(text="the form has expired or came from elsewhere; reload it")
    return form


def _loopback(request: web.Request) -> bool:
    host = (request.host or "").rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return origin.split("://", 1)[-1] == request.host


async def login_page(request: web.Request) -> web.Response:
    return render("login.html", error=None, email="")


async def login(request: web.Request) -> web.StreamResponse:
    if not _same_origin(request):
        raise web.HTTPForbidden(text="log in from this site's own page")
    form = await request.post()
    email = str(form.get("email", ""))[:254]
    password = SecretStr(str(form.get("password", ""))[:1024])
    address = request.remote or "unknown"
    try:
        token, _ = await _services(request).web_logins.login(
            request.app[WORKSPACE], email, password, address
        )
    except LoginRefusedError as exc:
        return render("login.html", status=401, error=str(exc), email=email)
    except TooManyAttemptsError as exc:
        refused = render("login.html", status=429, error=str(exc), email=email)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    response = web.HTTPSeeOther("/inbox")
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=request.secure or not _loopback(request),
        path="/",
        max_age=12 * 3600,
    )
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    session = await _required_session(request)
    await _checked_form(request, session)
    await _services(request).web_logins.logout(request.cookies.get(COOKIE, ""))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/inbox")


async def inbox_page(request: web.Request) -> web.Response:
    """The view; with `partial=1`, only its rows (what the page swaps in on a live update),
    and with `threads=1,2,3` too, only those of them the view holds (the page removes the
    others). `stream` names the page's event stream, which learns what the page shows."""
    session = await _required_session(request)
    view = request.query.get("view", "mine")
    filters = _filters(request)
    threads = _ids(request.query.get("threads"), most=MOST_ROWS_ASKED)
    pages = _services(request).inbox_pages
    rows = await pages.inbox(session, view, filters=filters, threads=threads)
    view = view if view in VIEWS else "mine"
    if request.query.get("partial") == "1":
        stream = request.query.get("stream", "")
        if stream:
            shown = frozenset(row.thread_id for row in rows)
            _services(request).live.showing(
                stream, session.workspace_id, session.agent_id, shown, threads
            )
        html = rows_html(rows, datetime.now(UTC), whole=threads is None, zone=session.time_zone)
        return html_response(str(html))
    html = rows_html(rows, datetime.now(UTC), zone=session.time_zone)
    return render(
        "inbox.html", session=session, rows=html, count=len(rows), view=view, filters=filters
    )


# A live update asks for at most this many rows; the page reloads its view past it.
MOST_ROWS_ASKED = 100


def _filters(request: web.Request) -> InboxFilters:
    return InboxFilters(
        **{
            name: (request.query.get(name, "")[:64] or None)
            for name in ("network", "kind", "priority", "language", "topic", "sla")
        }
    )


def _ids(listed: str | None, most: int) -> frozenset[int] | None:
    """Thread ids from `1,2,3` (at most `most` of them, the rest ignored); None if absent."""
    if listed is None:
        return None
    return frozenset(int(part) for part in listed.split(",")[:most] if part.isdigit())


def _share(part: int, whole: int) -> str:
    return "–" if whole == 0 else f"{100 * part / whole:.0f}%"


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.0f} min"


def _bar(part: int, whole: int) -> int:
    return 0 if whole == 0 else round(120 * part / whole)


async def dashboard(request: web.Request) -> web.Response:
    """The lead's view: the SLA now, and both clocks per day (or `?by=network|team`)."""
    session = await _required_session(request)
    if not session.has(Role.LEAD, Role.OPS, Role.ADMIN):
        raise web.HTTPForbidden(text="the SLA dashboard is for leads, ops and admins")
    services = _services(request)
    preferences = await services.workspace_preferences.load(session.workspace_id)
    # Per-person figures only where the workspace chose them (and then everyone sees their own).
    dimensions = {"day": "Day", "network": "Network", "team": "Team"}
    if preferences.agent_comparisons:
        dimensions["agent"] = "Person"
    by = request.query.get("by", "day")
    by = by if by in dimensions else "day"
    since, until = page_times(session).last_days(7)
    rows = await services.sla_report(
        session.workspace_id, by=by, since=since, until=until, time_zone=session.time_zone
    )
    now = await services.sla_now(session.workspace_id)
    return render(
        "dashboard.html",
        session=session,
        rows=rows,
        now=now,
        by=by,
        dimensions=dimensions,
        label=dimensions[by],
        share=_share,
        minutes=_minutes,
        bar=_bar,
    )


async def search_page(request: web.Request) -> web.Response:
    session = await _required_session(request)
    words = request.query.get("q", "")
    found = await _services(request).inbox_pages.search(session, words)
    return render("search.html", session=session, words=words, found=found)


async def my_dashboard(request: web.Request) -> web.Response:
    """Every agent's own page: their figures only, their threads nearest their deadline, and
    what colleagues told them (notes that name them)."""
    session = await _required_session(request)
    pages = _services(request).inbox_pages
    figures = await pages.my_figures(session)
    # A community member has no queue of their own here: their answers are on the thread.
    staff = session.has(Role.AGENT, Role.LEAD, Role.OPS, Role.ADMIN)
    mine = await pages.inbox(session, "mine", limit=10) if staff else []
    told = await pages.notifications(session)
    services = _services(request)
    preferences = await services.workspace_preferences.load(session.workspace_id)
    seen_by_lead: list[Any] = []
    if preferences.agent_comparisons:
        since, until = page_times(session).last_days(7)
        everyone = await services.sla_report(
            session.workspace_id, by="agent", since=since, until=until
        )
        mine_key = person_key(session.name, session.agent_id)
        seen_by_lead = [row for row in everyone if row.key == mine_key]
    return render(
        "me.html",
        session=session,
        figures=figures,
        seen_by_lead=seen_by_lead,
        comparisons=preferences.agent_comparisons,
        share=_share,
        minutes=_minutes,
        bar=_bar,
        rows=rows_html(mine, datetime.now(UTC), zone=session.time_zone),
        notifications=told,
        saved=request.query.get("saved", ""),
    )


KEEPALIVE_SECONDS = 15.0
LIVE_STREAMS = web.AppKey("live_streams", set[asyncio.Task[Any]])
STOPPING = web.AppKey("stopping", asyncio.Event)
# The threads a page says it shows when it opens its stream: a view's rows, and some slack.
MOST_SHOWN_AT_OPEN = 200


async def live_events(request: web.Request) -> web.StreamResponse:
    """Server-sent events for one open page, which names what it shows: an inbox view
    (`view` and its filters, `shown` the threads on it), a thread (`thread`), the incident
    list (`page=incidents`) or another page (`page=notices`). It hears only what concerns
    it, at most one event a second (docs/live-updates.md); naming nothing, every change of
    the session's workspace."""
    session = await _required_session(request)
    thread = request.query.get("thread", "")
    page = await _services(request).inbox_pages.live_page(
        session,
        view=request.query.get("view"),
        filters=_filters(request),
        thread_id=int(thread) if thread.isdigit() else None,
        page=request.query.get("page"),
    )
    shown = _ids(request.query.get("shown"), most=MOST_SHOWN_AT_OPEN) or frozenset()
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    streams = request.app[LIVE_STREAMS]
    task = asyncio.current_task()
    assert task is not None
    streams.add(task)
    try:
        await response.prepare(request)
        await _stream(request, response, session, page, shown)
    except ConnectionResetError:
        pass  # the page was closed or went away: nothing to report
    except asyncio.CancelledError:
        if not request.app[STOPPING].is_set() and not _gone(request):
            raise
    finally:
        streams.discard(task)
    return response


def _gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def _stream(
    request: web.Request,
    response: web.StreamResponse,
    session: WebSession,
    page: LivePage,
    shown: frozenset[int],
) -> None:
    live = _services(request).live
    async with live.subscribe(session.workspace_id, page, shown) as subscription:
        hello = _event("hello", {"stream": subscription.token})
        await response.write(b"retry: 3000\n\n" + hello)
        while True:
            update = await subscription.next(quiet_seconds=KEEPALIVE_SECONDS)
            if update is None:
                await response.write(b": keepalive\n\n")
            else:
                await response.write(_events(update))


def _events(update: PageUpdate) -> bytes:
    """One flush: what was told to the person, then one change (or one resync). A change
    names every thread that changed (`threads`); of those, the rows it carries (`rows`, by
    thread) are put in place and the threads `gone` taken out; the page fetches the rest."""
    told = [_event("notice", notice) for notice in update.notices]
    told += [_event("alert", alert) for alert in update.alerts]
    if update.reload:
        told.append(_event("resync", {}))
    elif (threads := update.changed()) or update.incidents:
        change: dict[str, object] = {}
        if threads:
            change["threads"] = sorted(threads)
        if update.rows:
            change["rows"] = {str(thread_id): row for thread_id, row in update.rows.items()}
        if update.gone:
            change["gone"] = sorted(update.gone)
        if update.incidents:
            change["incidents"] = sorted(update.incidents)
        told.append(_event("change", change))
    return b"".join(told)


def _event(name: str, data: object) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def _end_streams(app: web.Application) -> None:
    """On shutdown, open event streams end at once: the server does not wait on pages."""
    app[STOPPING].set()
    streams: set[asyncio.Task[Any]] = app[LIVE_STREAMS]
    for task in tuple(streams):
        task.cancel()


async def _live_listener(app: web.Application) -> AsyncIterator[None]:
    """The process's one listener, listening again after every loss while the app runs;
    the pages work without it meanwhile."""
    async with app[SERVICES].live.running(render_row=row_html):
        yield


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def translated(handler: Handler) -> Handler:
    """A page handler whose domain errors become their HTTP answers (the JSON API has its
    own middleware for this)."""

    @functools.wraps(handler)
    async def answer(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except NotFoundError as exc:
            raise web.HTTPNotFound(text=str(exc)) from exc
        except PermissionDeniedError as exc:
            raise web.HTTPForbidden(text=str(exc)) from exc
        except ConfigurationError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from exc
        except ConflictError as exc:
            raise web.HTTPConflict(text=str(exc)) from exc

    return answer


def add_pages(app: web.Application, default_workspace: int) -> None:
    app[WORKSPACE] = default_workspace
    app.router.add_get("/", home)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/inbox", translated(inbox_page))
    # Here, not at the top: these modules build on this one.
    from web.incidents import add_incident_pages
    from web.profile import add_profile_pages
    from web.thread_pages import add_thread_pages

    add_thread_pages(app)
    app.router.add_get("/events", live_events)
    app[LIVE_STREAMS] = set()
    app[STOPPING] = asyncio.Event()
    app.on_shutdown.append(_end_streams)
    app.router.add_get("/dashboard", dashboard)
    app.router.add_get("/me", translated(my_dashboard))
    add_profile_pages(app)
    app.router.add_get("/search", translated(search_page))
    add_incident_pages(app)
    app.cleanup_ctx.append(_live_listener)
    add_assets(app)
