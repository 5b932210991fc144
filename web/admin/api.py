"""JSON endpoints of the admin settings, where they are cheap: the workspace's preferences.

GET  /api/v1/admin/workspace-preferences  (lead, admin)
PUT  /api/v1/admin/workspace-preferences  {"crm_url_template": "...", "agent_comparisons": false}
     (admin)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from inbox.domain.documents import read_json
from inbox.domain.errors import ConfigurationError
from inbox.domain.people import Role
from inbox.domain.workspace_settings import WorkspacePreferences
from inbox.usecases.tokens import Caller
from web.keys import SERVICES

PREFERENCES = "/api/v1/admin/workspace-preferences"
Authenticate = Callable[[web.Request], Awaitable[Caller]]


def _as_json(preferences: WorkspacePreferences) -> dict[str, object]:
    return {
        "crm_url_template": preferences.crm_url_template,
        "agent_comparisons": preferences.agent_comparisons,
    }


def _bad_request(field: str, reason: str) -> web.Response:
    return web.json_response(
        {"error": {"code": "bad_request", "message": f"{field}: {reason}"}}, status=400
    )


def add_admin_api(app: web.Application, caller_of: Authenticate) -> None:
    """The routes, with the app's way of knowing who calls (passed in: web.app owns it)."""

    async def get_preferences(request: web.Request) -> web.Response:
        caller = await caller_of(request)
        caller.require(Role.LEAD, Role.ADMIN)
        preferences = await request.app[SERVICES].workspace_preferences.load(caller.workspace_id)
        return web.json_response(_as_json(preferences))

    async def put_preferences(request: web.Request) -> web.Response:
        caller = await caller_of(request)
        caller.require(Role.ADMIN)
        try:
            body = read_json(await request.read(), "body")
        except ConfigurationError as exc:  # malformed, too deep, NaN or Infinity
            return _bad_request(exc.setting, exc.reason)
        if not isinstance(body, dict):
            return _bad_request("body", "expected a JSON object")
        template = body.get("crm_url_template")
        comparisons = body.get("agent_comparisons", False)
        if template is not None and not isinstance(template, str):
            return _bad_request("crm_url_template", "a string, or null for no CRM link")
        if not isinstance(comparisons, bool):
            return _bad_request("agent_comparisons", "true or false")
        try:
            saved = await request.app[SERVICES].workspace_preferences.save(
                caller.workspace_id,
                crm_url_template=template,
                agent_comparisons=comparisons,
                roles={caller.role},
            )
        except ConfigurationError as exc:
            return _bad_request(exc.setting, exc.reason)
        return web.json_response(_as_json(saved))

    app.router.add_get(PREFERENCES, get_preferences)
    app.router.add_put(PREFERENCES, put_preferences)
