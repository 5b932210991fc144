"""The export page for leads and admins, and its CSV files (the API serves the same ones to
tokens): conversations and SLA clocks by days, team and network, streamed as they are read."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from inbox.domain.network import Network
from inbox.usecases.audit import actor_of
from inbox.usecases.exports import Exports
from web.components import NETWORK_NAMES
from web.csv_export import DEFAULT_DAYS, export_filters, stream_csv
from web.keys import now, services_of
from web.rendering import render
from web.session import required_session


async def exports_page(request: web.Request) -> web.Response:
    session = await required_session(request)
    Exports.allowed(session)
    today = now(request).date()
    _, teams = await services_of(request).bulk.assignees(session)
    return render(
        "exports.html",
        instant=now(request),
        session=session,
        since=(today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        until=today.isoformat(),
        teams=teams,
        networks=[(n.value, NETWORK_NAMES.get(n.value, n.value)) for n in Network],
    )


async def conversations_csv(request: web.Request) -> web.StreamResponse:
    session = await required_session(request)
    Exports.allowed(session)
    # The page's one form downloads either file.
    if request.query.get("what") == "sla-clocks":
        return await sla_clocks_csv(request)
    filters = export_filters(request, now(request).date())
    columns, pages = await services_of(request).exports.conversations(
        session.workspace_id, filters, actor_of(session)
    )
    return await stream_csv(request, "conversations.csv", columns, pages)


async def sla_clocks_csv(request: web.Request) -> web.StreamResponse:
    session = await required_session(request)
    Exports.allowed(session)
    filters = export_filters(request, now(request).date())
    columns, pages = await services_of(request).exports.sla_clocks(
        session.workspace_id, filters, actor_of(session)
    )
    return await stream_csv(request, "sla-clocks.csv", columns, pages)


def add_export_pages(app: web.Application) -> None:
    app.router.add_get("/exports", exports_page)
    app.router.add_get("/exports/conversations.csv", conversations_csv)
    app.router.add_get("/exports/sla-clocks.csv", sla_clocks_csv)
