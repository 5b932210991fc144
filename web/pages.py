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
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from pydantic import SecretStr

from inbox.domain.errors import (
    ConfigurationError,
    DatabaseUnavailableError,
    NotFoundError,
    PermissionDeniedError,
)
from inbox.domain.people import Role
from inbox.domain.web import InboxFilters, WebSession
from inbox.usecases.replies import ReplyCollisionError
from inbox.usecases.services import Services
from inbox.usecases.web_auth import LoginRefusedError, TooManyAttemptsError
from inbox.usecases.web_pages import VIEWS
from web.keys import SERVICES, WORKSPACE

log = logging.getLogger(__name__)

COOKIE = "inbox_session"
TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
STATIC = Path(__file__).resolve().parent / "static"
CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"


def render(template: str, status: int = 200, **context: Any) -> web.Response:
    context.setdefault("session", None)
    html = TEMPLATES.get_template(template).render(**context)
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
        return render("login.html", status=429, error=str(exc), email=email)
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
    """The view; with `partial=1`, only its rows (what the page swaps in on a live update)."""
    session = await _required_session(request)
    view = request.query.get("view", "mine")
    filters = InboxFilters(
        **{
            name: (request.query.get(name) or None)
            for name in ("network", "kind", "priority", "language")
        }
    )
    rows = await _services(request).inbox_pages.inbox(session, view, filters=filters)
    view = view if view in VIEWS else "mine"
    template = "inbox_rows.html" if request.query.get("partial") == "1" else "inbox.html"
    return render(template, session=session, rows=rows, view=view)


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
    by = request.query.get("by", "day")
    by = by if by in ("day", "network", "team") else "day"
    services = _services(request)
    today = datetime.now(UTC).date()
    since = datetime.combine(today - timedelta(days=6), time(), tzinfo=UTC)
    until = datetime.combine(today + timedelta(days=1), time(), tzinfo=UTC)
    rows = await services.sla_report(session.workspace_id, by=by, since=since, until=until)
    now = await services.sla_now(session.workspace_id)
    return render(
        "dashboard.html",
        session=session,
        rows=rows,
        now=now,
        label={"day": "Day", "network": "Network", "team": "Team"}[by],
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
    """Every agent's own page: their figures only, and their threads nearest their deadline."""
    session = await _required_session(request)
    pages = _services(request).inbox_pages
    figures = await pages.my_figures(session)
    mine = await pages.inbox(session, "mine", limit=10)
    return render("me.html", session=session, figures=figures, rows=mine)


# What a post may hold on each network; the reply box counts down from it.
CHARACTER_LIMITS = {"x": 280, "mastodon": 500, "bluesky": 300}
KEEPALIVE_SECONDS = 15.0
LIVE_STREAMS = web.AppKey("live_streams", set[asyncio.Task[Any]])
STOPPING = web.AppKey("stopping", asyncio.Event)


async def live_events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: a line per change of the session's workspace (threads written,
    SLA events, alerts), fed by LISTEN/NOTIFY through one listener per process."""
    session = await _required_session(request)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    streams = request.app[LIVE_STREAMS]
    task = asyncio.current_task()
    assert task is not None
    streams.add(task)
    try:
        await _stream(request, response, session)
    except asyncio.CancelledError:
        if not request.app[STOPPING].is_set():
            raise
    finally:
        streams.discard(task)
    return response


async def _stream(request: web.Request, response: web.StreamResponse, session: WebSession) -> None:
    async with _services(request).live.subscribe(session.workspace_id) as queue:
        await response.write(b"retry: 3000\n\n")
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
            except TimeoutError:
                await response.write(b": keepalive\n\n")
                continue
            data = json.dumps(event, separators=(",", ":"))
            await response.write(f"event: change\ndata: {data}\n\n".encode())


async def _end_streams(app: web.Application) -> None:
    """On shutdown, open event streams end at once: the server does not wait on pages."""
    app[STOPPING].set()
    streams: set[asyncio.Task[Any]] = app[LIVE_STREAMS]
    for task in tuple(streams):
        task.cancel()


async def _live_listener(app: web.Application) -> AsyncIterator[None]:
    """The process's one listener, for as long as the app runs; pages work without it."""
    try:
        async with app[SERVICES].live.running():
            yield
    except DatabaseUnavailableError as exc:
        log.warning("live updates off", extra={"action": "live_off", "error": str(exc)})
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

    return answer


def _thread_id(request: web.Request) -> int:
    try:
        return int(request.match_info["thread_id"])
    except ValueError as exc:
        raise web.HTTPNotFound() from exc


async def thread_page(request: web.Request, notice: str | None = None) -> web.Response:
    session = await _required_session(request)
    page = await _services(request).inbox_pages.thread(session, _thread_id(request))
    notices = {
        "sent": "Reply queued: it leaves through the connected account.",
        "collision": "A colleague is replying to this thread: tick the box to send anyway.",
        "taken": "The thread is yours.",
        "closed": "Closed: no reply needed. A new message from the customer reopens it.",
        "noted": "Note added (colleagues only).",
    }
    customer = next((m.author for m in reversed(page.messages) if m.inbound), "")
    canned = [
        (r.name, r.filled(customer=f"@{customer}" if customer else "", agent=session.name,
                          thread=page.thread_id))
        for r in await _services(request).canned.all(session.workspace_id)
    ]  # fmt: skip
    return render(
        "thread.html",
        session=session,
        page=page,
        canned=canned,
        limit=CHARACTER_LIMITS.get(page.network, 5000),
        reply_key=secrets.token_urlsafe(16),
        notice=notices.get(request.query.get("notice", "")),
    )


async def reply(request: web.Request) -> web.StreamResponse:
    session = await _required_session(request)
    form = await _checked_form(request, session)
    thread_id = _thread_id(request)
    try:
        await _services(request).replies.send(
            session.workspace_id,
            thread_id,
            session.agent_id,
            str(form.get("body", "")),
            key=str(form.get("key", ""))[:100] or secrets.token_urlsafe(16),
            override=form.get("override") == "1",
        )
    except ReplyCollisionError:
        raise web.HTTPSeeOther(f"/threads/{thread_id}?notice=collision") from None
    raise web.HTTPSeeOther(f"/threads/{thread_id}?notice=sent")


async def take_thread(request: web.Request) -> web.StreamResponse:
    session = await _required_session(request)
    await _checked_form(request, session)
    thread_id = _thread_id(request)
    await _services(request).inbox_pages.take(session, thread_id)
    raise web.HTTPSeeOther(f"/threads/{thread_id}?notice=taken")


async def close_thread(request: web.Request) -> web.StreamResponse:
    """No reply needed: resolved, its waiting clock excluded from the figures."""
    session = await _required_session(request)
    await _checked_form(request, session)
    thread_id = _thread_id(request)
    if not session.has(Role.AGENT, Role.LEAD, Role.ADMIN):
        raise web.HTTPForbidden(text="closing a thread is for agents, leads and admins")
    await _services(request).close_without_reply(
        session.workspace_id, thread_id, "no_reply_needed", f"agent:{session.agent_id}"
    )
    raise web.HTTPSeeOther(f"/threads/{thread_id}?notice=closed")


async def add_note(request: web.Request) -> web.StreamResponse:
    session = await _required_session(request)
    form = await _checked_form(request, session)
    thread_id = _thread_id(request)
    await _services(request).inbox_pages.add_note(session, thread_id, str(form.get("body", "")))
    raise web.HTTPSeeOther(f"/threads/{thread_id}?notice=noted")


def add_pages(app: web.Application, default_workspace: int) -> None:
    app[WORKSPACE] = default_workspace
    app.router.add_get("/", home)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/inbox", translated(inbox_page))
    app.router.add_get("/threads/{thread_id}", translated(thread_page))
    app.router.add_post("/threads/{thread_id}/reply", translated(reply))
    app.router.add_post("/threads/{thread_id}/take", translated(take_thread))
    app.router.add_post("/threads/{thread_id}/close", translated(close_thread))
    app.router.add_post("/threads/{thread_id}/notes", translated(add_note))
    app.router.add_get("/events", live_events)
    app[LIVE_STREAMS] = set()
    app[STOPPING] = asyncio.Event()
    app.on_shutdown.append(_end_streams)
    app.router.add_get("/dashboard", dashboard)
    app.router.add_get("/me", translated(my_dashboard))
    app.router.add_get("/search", translated(search_page))
    app.cleanup_ctx.append(_live_listener)
    app.router.add_static("/static", str(STATIC), show_index=False)
