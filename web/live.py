"""Live updates: server-sent events for each open page, and the process's one listener.

A page opens `/events` naming what it shows; it hears only what concerns it, at most one
event a second (docs/live-updates.md). The listener renders a changed row once for every
page that shows it (`web.inbox_rows`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from inbox.domain.live import LivePage, PageUpdate
from inbox.domain.web import WebSession
from web.inbox_rows import row_html
from web.keys import SERVICES, services_of
from web.session import required_session
from web.view_params import thread_ids, view_filters

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
    session = await required_session(request)
    thread = request.query.get("thread", "")
    page = await services_of(request).inbox_pages.live_page(
        session,
        view=request.query.get("view"),
        filters=view_filters(request),
        thread_id=int(thread) if thread.isdigit() else None,
        page=request.query.get("page"),
    )
    shown = thread_ids(request.query.get("shown"), most=MOST_SHOWN_AT_OPEN) or frozenset()
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
    live = services_of(request).live
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


def add_live_events(app: web.Application) -> None:
    app.router.add_get("/events", live_events)
    app[LIVE_STREAMS] = set()
    app[STOPPING] = asyncio.Event()
    app.on_shutdown.append(_end_streams)
    app.cleanup_ctx.append(_live_listener)
