"""Retention (admins): how long the workspace keeps raw payloads, closed threads' texts and
quarantined payloads, and what the last daily pass removed."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inbox.domain.retention import FIELDS
from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section
from inbox.usecases.audit import actor_of
from web.admin.common import AdminPage, text
from web.keys import services_of


async def _context(request: web.Request, session: WebSession) -> dict[str, Any]:
    overview = await services_of(request).retention.overview(session.workspace_id)
    return {"retention": overview.settings, "last_run": overview.last_run}


RETENTION = AdminPage(Section.RETENTION, "/admin/retention", "admin_retention.html", _context)


async def retention_page(request: web.Request) -> web.StreamResponse:
    return await RETENTION.get(request)


async def save_retention(request: web.Request) -> web.StreamResponse:
    session, form = await RETENTION.posted(request)
    # An empty field keeps for ever; a field not posted at all stays as it was; the use case
    # refuses anything else but a number.
    typed = {name: text(form, name, 20) for name in FIELDS if name in form}
    change = services_of(request).retention.set(session.workspace_id, typed, by=actor_of(session))
    return await RETENTION.submit(request, session, change, notice="saved", typed=typed)
