"""Canned responses (leads and admins): add, edit, delete, one at a time."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from inbox.domain.errors import ConfigurationError
from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section
from inbox.usecases.admin_canned import CannedForm
from inbox.usecases.canned import PLACEHOLDERS
from web.admin.common import admin, admin_session, checked_form, done, page, text

PATH = "/admin/canned"


def _canned(form: MultiDictProxy[Any]) -> CannedForm:
    return CannedForm(
        name=text(form, "name", 200),
        body=text(form, "body", 5000),
        language=text(form, "language", 10),
    )


async def show(
    request: web.Request,
    session: WebSession,
    *,
    status: int = 200,
    error: ConfigurationError | None = None,
    typed: dict[str, Any] | None = None,
) -> web.Response:
    return page(
        request,
        "admin_canned.html",
        session,
        Section.CANNED,
        status=status,
        error=error,
        typed=typed,
        responses=await admin(request).canned.all(session),
        placeholders=sorted(PLACEHOLDERS),
    )


async def canned_page(request: web.Request) -> web.StreamResponse:
    return await show(request, await admin_session(request, Section.CANNED))


async def add_canned(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.CANNED)
    form = _canned(await checked_form(request, session))
    try:
        await admin(request).canned.add(session, form)
    except ConfigurationError as exc:
        typed = {"name": form.name, "body": form.body, "language": form.language}
        return await show(request, session, status=400, error=exc, typed=typed)
    raise done(PATH, "added")


async def edit_canned(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.CANNED)
    form = await checked_form(request, session)
    try:
        await admin(request).canned.edit(session, text(form, "original", 200), _canned(form))
    except ConfigurationError as exc:
        return await show(request, session, status=400, error=exc)
    raise done(PATH, "saved")


async def delete_canned(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.CANNED)
    form = await checked_form(request, session)
    await admin(request).canned.delete(session, text(form, "original", 200))
    raise done(PATH, "deleted")
