"""JSON endpoints of the admin settings, where they are cheap: the workspace's preferences.

GET  /api/v1/admin/workspace-preferences  (lead, admin)
PUT  /api/v1/admin/workspace-preferences  {"crm_url_template": "...", "agent_comparisons": false}
     (admin)

Registered on the API's sub-application: its errors are answered as JSON there.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import StrictBool, StrictStr

from inbox.domain.people import Role
from inbox.domain.workspace_settings import WorkspacePreferences
from web.caller import caller_of
from web.keys import services_of
from web.validation import RequestBody, read_body

PREFERENCES = "/admin/workspace-preferences"


class PreferencesBody(RequestBody):
    # None: no CRM link.
    crm_url_template: StrictStr | None = None
    agent_comparisons: StrictBool = False


def _as_json(preferences: WorkspacePreferences) -> dict[str, object]:
    return {
        "crm_url_template": preferences.crm_url_template,
        "agent_comparisons": preferences.agent_comparisons,
    }


async def get_preferences(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    caller.require(Role.LEAD, Role.ADMIN)
    preferences = await services_of(request).workspace_preferences.load(caller.workspace_id)
    return web.json_response(_as_json(preferences))


async def put_preferences(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    caller.require(Role.ADMIN)
    body = await read_body(request, PreferencesBody)
    services = services_of(request)
    saved = await services.workspace_preferences.save(
        caller.workspace_id,
        crm_url_template=body.crm_url_template,
        agent_comparisons=body.agent_comparisons,
        roles={caller.role},
    )
    await services.audit.record_by_token(
        caller,
        request.remote,
        "preferences_changed",
        "workspace",
        caller.workspace_id,
        **_as_json(saved),
    )
    return web.json_response(_as_json(saved))


def add_admin_api(api: web.Application) -> None:
    api.router.add_get(PREFERENCES, get_preferences)
    api.router.add_put(PREFERENCES, put_preferences)
