"""CSV exports for leads and admins: GET /api/v1/exports/conversations.csv and
/api/v1/exports/sla-clocks.csv?since=&until=&team=&network= , streamed as they are read."""

from __future__ import annotations

from aiohttp import web

from inbox.usecases.audit import token_actor
from web.api.roles import LEADS
from web.caller import caller_of
from web.csv_export import export_filters, stream_csv
from web.keys import now, services_of


async def conversations_csv(request: web.Request) -> web.StreamResponse:
    caller = await caller_of(request)
    caller.require(*LEADS)
    filters = export_filters(request, now(request).date())
    columns, pages = await services_of(request).exports.conversations(
        caller.workspace_id, filters, token_actor(caller, request.remote)
    )
    return await stream_csv(request, "conversations.csv", columns, pages)


async def sla_clocks_csv(request: web.Request) -> web.StreamResponse:
    caller = await caller_of(request)
    caller.require(*LEADS)
    filters = export_filters(request, now(request).date())
    columns, pages = await services_of(request).exports.sla_clocks(
        caller.workspace_id, filters, token_actor(caller, request.remote)
    )
    return await stream_csv(request, "sla-clocks.csv", columns, pages)


def add_export_api(api: web.Application) -> None:
    api.router.add_get("/exports/conversations.csv", conversations_csv)
    api.router.add_get("/exports/sla-clocks.csv", sla_clocks_csv)
