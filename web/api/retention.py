"""Retention over the API, for admin tokens: the workspace's periods, read and changed, and a
pass run now (or, dry, counted).

GET  /api/v1/retention       {"settings": {...}, "last_run": {...} or null}
PUT  /api/v1/retention       {"raw_payload_days": 90, "closed_thread_text_months": null, ...}
     fields absent stay as they are; null keeps for ever
POST /api/v1/retention/run   {"dry_run": true}: what the pass removed (or would remove)"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ConfigDict, StrictBool, StrictInt

from inbox.domain.people import Role
from inbox.domain.retention import RetentionReport, RetentionRun
from inbox.usecases.audit import token_actor
from web.caller import caller_of
from web.keys import services_of
from web.validation import RequestBody, read_body


class RetentionBody(RequestBody):
    # A misspelt period would otherwise be ignored, and the admin told it was saved.
    model_config = ConfigDict(frozen=True, extra="forbid")

    raw_payload_days: StrictInt | None = None
    closed_thread_text_months: StrictInt | None = None
    quarantine_days: StrictInt | None = None


class RunBody(RequestBody):
    dry_run: StrictBool = False


def _run_json(run: RetentionRun) -> dict[str, Any]:
    return {
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat(),
        "run_by": run.run_by,
        "removed": run.removed.as_dict(),
    }


async def _retention_json(request: web.Request, workspace_id: int) -> dict[str, Any]:
    overview = await services_of(request).retention.overview(workspace_id)
    return {
        "settings": overview.settings.as_dict(),
        "last_run": None if overview.last_run is None else _run_json(overview.last_run),
    }


async def get_retention(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    caller.require(Role.ADMIN)
    return web.json_response(await _retention_json(request, caller.workspace_id))


async def put_retention(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    caller.require(Role.ADMIN)
    body = await read_body(request, RetentionBody)
    given = {name: getattr(body, name) for name in body.model_fields_set}
    await services_of(request).retention.set(
        caller.workspace_id, given, by=token_actor(caller, request.remote)
    )
    return web.json_response(await _retention_json(request, caller.workspace_id))


async def run_retention(request: web.Request) -> web.Response:
    """The pass runs in the request, as `inbox retention run` does; a first pass over a long
    history takes as long as its batches do."""
    caller = await caller_of(request)
    caller.require(Role.ADMIN)
    dry_run = (await read_body(request, RunBody)).dry_run
    services = services_of(request)
    report: RetentionReport = await services.retention.run(
        caller.workspace_id, dry_run=dry_run, run_by=f"API token {caller.token_id}"
    )
    if not dry_run:
        await services.audit.record_by_token(
            caller, request.remote, "retention_run", "retention", None, **report.as_dict()
        )
    return web.json_response({"dry_run": dry_run, "removed": report.as_dict()})


def add_retention_api(api: web.Application) -> None:
    api.router.add_get("/retention", get_retention)
    api.router.add_put("/retention", put_retention)
    api.router.add_post("/retention/run", run_retention)
