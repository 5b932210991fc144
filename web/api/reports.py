"""What leads and ops watch: the connected accounts' health and budgets, and the SLA report
on both clocks."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from aiohttp import web

from inbox.domain.errors import PermissionDeniedError
from web.api.roles import LEADS, MONITORS
from web.caller import caller_of
from web.keys import now, services_of
from web.params import day_param


async def list_channels(request: web.Request) -> web.Response:
    """Connected accounts: health, lag, reads and budget. Credentials are never part of it."""
    caller = await caller_of(request)
    caller.require(*MONITORS)
    channels = await services_of(request).list_channels(caller.workspace_id)
    return web.json_response({"items": [c.model_dump(mode="json") for c in channels]})


async def sla_report(request: web.Request) -> web.Response:
    """Both clocks per day, network or team: GET /api/v1/reports/sla?by=day&from=&to=&tz="""
    caller = await caller_of(request)
    caller.require(*LEADS)
    services = services_of(request)
    today = now(request).date()
    since = day_param(request, "from", today - timedelta(days=30))
    until = day_param(request, "to", today + timedelta(days=1))
    by = request.query.get("by", "day")
    if by == "agent":
        preferences = await services.workspace_preferences.load(caller.workspace_id)
        if not preferences.agent_comparisons:
            raise PermissionDeniedError(
                "per-person comparisons are off in this workspace; an admin may turn them on"
            )
    rows = await services.sla_report(
        caller.workspace_id,
        by=by,
        since=since,
        until=until,
        time_zone=request.query.get("tz", "UTC"),
    )
    return web.json_response({"items": [asdict(row) for row in rows]})


def add_report_api(api: web.Application) -> None:
    api.router.add_get("/channels", list_channels)
    api.router.add_get("/reports/sla", sla_report)
