"""What watches the process: /healthz for whatever restarts it or routes around it (no
login), /metrics for Prometheus (an ops or admin token)."""

from __future__ import annotations

from aiohttp import web

from inbox.domain.people import Role
from web import metrics
from web.caller import caller_of
from web.errors import api_errors
from web.keys import services_of


async def healthz(request: web.Request) -> web.Response:
    """Each part of this process, "ok" or "down" with a short detail; 503 while any is down.
    No login: the details say states and error classes, nothing else."""
    report = await services_of(request).health()
    parts = {
        name: {"status": "ok" if part.ok else "down", "detail": part.detail}
        for name, part in report.parts.items()
    }
    if not report.ok:
        return web.json_response({"status": "unavailable", "parts": parts}, status=503)
    return web.json_response({"status": "ok", "parts": parts})


async def prometheus_metrics(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    caller.require(Role.OPS, Role.ADMIN)
    services = services_of(request)
    channels = await services.list_channels(caller.workspace_id)
    sla = await services.sla_now(caller.workspace_id)
    incidents = metrics.incident_lines(
        await services.incidents.open_count(caller.workspace_id),
        services.incidents.latest_scores(caller.workspace_id),
    )
    if services.replica is not None:
        incidents += metrics.replica_lines(await services.replica())
    return web.Response(
        text=metrics.render(channels, sla, incidents),
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Prometheus-Format": "0.0.4"},
    )


def metrics_app() -> web.Application:
    """/metrics as a sub-application: called with a token like the API, it answers its
    errors like the API (JSON), not with the pages' HTML."""
    app = web.Application(middlewares=[api_errors])
    app.router.add_get("", prometheus_metrics)
    return app
