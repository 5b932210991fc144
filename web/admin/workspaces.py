"""Workspaces (admins): the instance's list, a new one, and this workspace's preferences."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section
from inbox.usecases.audit import entry_by
from web.admin.common import AdminPage, admin, fields, text, ticked
from web.keys import services_of


async def _context(request: web.Request, session: WebSession) -> dict[str, Any]:
    workspaces = await admin(request).workspaces.all(session)
    preferences = await services_of(request).workspace_preferences.load(session.workspace_id)
    return {"workspaces": workspaces, "preferences": preferences}


WORKSPACES = AdminPage(Section.WORKSPACES, "/admin/workspaces", "admin_workspaces.html", _context)


async def workspaces_page(request: web.Request) -> web.StreamResponse:
    return await WORKSPACES.get(request)


async def create_workspace(request: web.Request) -> web.StreamResponse:
    session, form = await WORKSPACES.posted(request)
    typed = fields(form, slug=100, name=200)
    change = admin(request).workspaces.create(session, typed["slug"], typed["name"])
    return await WORKSPACES.submit(request, session, change, notice="created", typed=typed)


async def save_preferences(request: web.Request) -> web.StreamResponse:
    session, form = await WORKSPACES.posted(request)
    template = text(form, "crm_url_template", 1000)
    comparisons = ticked(form, "agent_comparisons")
    typed = {"crm_url_template": template, "agent_comparisons": comparisons}
    change = _save_preferences(request, session, template, comparisons)
    return await WORKSPACES.submit(request, session, change, notice="saved", typed=typed)


async def _save_preferences(
    request: web.Request, session: WebSession, template: str, comparisons: bool
) -> None:
    services = services_of(request)
    saved = await services.workspace_preferences.save(
        session.workspace_id,
        crm_url_template=template,
        agent_comparisons=comparisons,
        roles=session.roles,
    )
    await services.audit.record(
        entry_by(
            session,
            "preferences_changed",
            "workspace",
            session.workspace_id,
            crm_url_template=saved.crm_url_template,
            agent_comparisons=saved.agent_comparisons,
        )
    )
