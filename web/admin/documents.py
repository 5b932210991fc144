"""SLA policies and routing rules (leads and admins): each one document in a textarea,
checked when saved; a refusal names the field (or the rule and field) and keeps the text."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inbox.domain.errors import ConfigurationError
from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section
from web.admin.common import admin, admin_session, checked_form, done, page, text

SLA_PATH = "/admin/sla"
ROUTING_PATH = "/admin/routing"
LONGEST_DOCUMENT = 200_000


async def show_sla(
    request: web.Request,
    session: WebSession,
    *,
    status: int = 200,
    error: ConfigurationError | None = None,
    typed: dict[str, Any] | None = None,
) -> web.Response:
    return page(
        request,
        "admin_sla.html",
        session,
        Section.SLA,
        status=status,
        error=error,
        typed=typed,
        policies=await admin(request).sla.page(session),
    )


async def sla_page(request: web.Request) -> web.StreamResponse:
    return await show_sla(request, await admin_session(request, Section.SLA))


async def save_sla(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.SLA)
    form = await checked_form(request, session)
    document = text(form, "document", LONGEST_DOCUMENT + 1)
    try:
        await admin(request).sla.save(session, document)
    except ConfigurationError as exc:
        typed = {"document": document}
        return await show_sla(request, session, status=400, error=exc, typed=typed)
    raise done(SLA_PATH, "replanned")


async def show_routing(
    request: web.Request,
    session: WebSession,
    *,
    status: int = 200,
    error: ConfigurationError | None = None,
    typed: dict[str, Any] | None = None,
) -> web.Response:
    return page(
        request,
        "admin_routing.html",
        session,
        Section.ROUTING,
        status=status,
        error=error,
        typed=typed,
        routing=await admin(request).routing.page(session),
    )


async def routing_page(request: web.Request) -> web.StreamResponse:
    return await show_routing(request, await admin_session(request, Section.ROUTING))


async def save_routing(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.ROUTING)
    form = await checked_form(request, session)
    document = text(form, "document", LONGEST_DOCUMENT + 1)
    try:
        await admin(request).routing.save(session, document)
    except ConfigurationError as exc:
        typed = {"document": document}
        return await show_routing(request, session, status=400, error=exc, typed=typed)
    raise done(ROUTING_PATH, "saved")
