"""Workspaces (admins): the instance's list, a new one, and this workspace's preferences."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inbox.domain.errors import ConfigurationError
from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section
from web.admin.common import admin, admin_session, checked_form, done, page, text, ticked
from web.keys import SERVICES

PATH = "/admin/workspaces"


async def show(
    request: web.Request,
    session: WebSession,
    *,
    status: int = 200,
    error: ConfigurationError | None = None,
    typed: dict[str, Any] | None = None,
) -> web.Response:
    workspaces = await admin(request).workspaces.all(session)
    preferences = await request.app[SERVICES].workspace_preferences.load(session.workspace_id)
    return page(
        request,
        "admin_workspaces.html",
        session,
        Section.WORKSPACES,
        status=status,
        error=error,
        typed=typed,
        workspaces=workspaces,
        preferences=preferences,
    )


async def workspaces_page(request: web.Request) -> web.StreamResponse:
    return await show(request, await admin_session(request, Section.WORKSPACES))


async def create_workspace(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.WORKSPACES)
    form = await checked_form(request, session)
    typed = {"slug": text(form, "slug", 100), "name": text(form, "name", 200)}
    try:
        await admin(request).workspaces.create(session, typed["slug"], typed["name"])
    except ConfigurationError as exc:
        return await show(request, session, status=400, error=exc, typed=typed)
    raise done(PATH, "created")


async def save_preferences(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.WORKSPACES)
    form = await checked_form(request, session)
    template = text(form, "crm_url_template", 1000)
    comparisons = ticked(form, "agent_comparisons")
    typed = {"crm_url_template": template, "agent_comparisons": comparisons}
    try:
        await request.app[SERVICES].workspace_preferences.save(
            session.workspace_id,
            crm_url_template=template,
            agent_comparisons=comparisons,
            roles=session.roles,
        )
    except ConfigurationError as exc:
        return await show(request, session, status=400, error=exc, typed=typed)
    raise done(PATH, "saved")
