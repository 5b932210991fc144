"""The workspace's routing settings and rules, and its canned responses, read and replaced
whole."""

from __future__ import annotations

from aiohttp import web

from inbox.domain.people import Role
from web.api.bodies import CannedBody, RoutingBody
from web.api.roles import EDITORS, LEADS
from web.caller import caller_of
from web.keys import services_of
from web.validation import read_body


async def get_routing(request: web.Request) -> web.Response:
    """The routing settings, lexicon additions, rules and how often each rule fired."""
    caller = await caller_of(request)
    caller.require(*LEADS)
    service = services_of(request).routing_settings
    config = await service.current(caller.workspace_id)
    counts = await service.rule_counts(caller.workspace_id)
    return web.json_response(
        {
            "version": config.version,
            "settings": config.settings,
            "lexicon": config.lexicon,
            "rules": config.rules,
            "rule_counts": counts,
        }
    )


async def put_routing(request: web.Request) -> web.Response:
    """Replace them: PUT /api/v1/routing {"settings": {}, "lexicon": {}, "rules": {"rules": []}}"""
    caller = await caller_of(request)
    caller.require(Role.ADMIN)
    body = await read_body(request, RoutingBody)
    services = services_of(request)
    version = await services.routing_settings.save(
        caller.workspace_id, body.settings, body.lexicon, body.rules
    )
    rules = body.rules.get("rules")
    await services.audit.record_by_token(
        caller,
        request.remote,
        "routing_changed",
        "routing",
        version,
        after_version=version,
        rules=len(rules) if isinstance(rules, list) else 0,
    )
    return web.json_response({"version": version})


async def get_canned(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    caller.require(*EDITORS)
    responses = await services_of(request).canned.all(caller.workspace_id)
    return web.json_response(
        {"items": [{"name": r.name, "body": r.body, "language": r.language} for r in responses]}
    )


async def put_canned(request: web.Request) -> web.Response:
    """Replace them: PUT /api/v1/canned-responses {"items": [{"name", "body", "language"}]}"""
    caller = await caller_of(request)
    caller.require(*LEADS)
    items = (await read_body(request, CannedBody)).items
    count = await services_of(request).canned.replace(
        caller.workspace_id, [item.model_dump() for item in items]
    )
    return web.json_response({"saved": count})


def add_settings_api(api: web.Application) -> None:
    api.router.add_get("/routing", get_routing)
    api.router.add_put("/routing", put_routing)
    api.router.add_get("/canned-responses", get_canned)
    api.router.add_put("/canned-responses", put_canned)
