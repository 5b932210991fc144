"""SLA policies and routing rules (leads and admins): each one document in a textarea,
checked when saved; a refusal names the field (or the rule and field) and keeps the text.
The SLA page also edits one policy or rule at a time through fields (web.admin.policies)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section
from inbox.usecases.admin_documents import LONGEST_DOCUMENT
from web.admin.common import AdminPage, admin, fields


async def _sla_context(request: web.Request, session: WebSession) -> dict[str, Any]:
    return {"policies": await admin(request).sla.page(session)}


async def _routing_context(request: web.Request, session: WebSession) -> dict[str, Any]:
    return {"routing": await admin(request).routing.page(session)}


SLA = AdminPage(Section.SLA, "/admin/sla", "admin_sla.html", _sla_context)
ROUTING = AdminPage(Section.ROUTING, "/admin/routing", "admin_routing.html", _routing_context)


async def sla_page(request: web.Request) -> web.StreamResponse:
    return await SLA.get(request)


async def routing_page(request: web.Request) -> web.StreamResponse:
    return await ROUTING.get(request)


async def save_sla(request: web.Request) -> web.StreamResponse:
    session, form = await SLA.posted(request)
    # One character over the longest, so that the use case refuses it rather than cutting it.
    typed = fields(form, document=LONGEST_DOCUMENT + 1)
    change = admin(request).sla.save(session, typed["document"])
    return await SLA.submit(request, session, change, notice="replanned", typed=typed)


async def save_routing(request: web.Request) -> web.StreamResponse:
    session, form = await ROUTING.posted(request)
    typed = fields(form, document=LONGEST_DOCUMENT + 1)
    change = admin(request).routing.save(session, typed["document"])
    return await ROUTING.submit(request, session, change, notice="saved", typed=typed)
