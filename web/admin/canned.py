"""Canned responses (leads and admins): add, edit, delete, one at a time."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section
from inbox.usecases.admin_canned import CannedForm
from inbox.usecases.canned import PLACEHOLDERS
from web.admin.common import AdminPage, admin, done, fields, text


def _typed(form: MultiDictProxy[Any]) -> dict[str, str]:
    return fields(form, name=200, body=5000, language=10)


async def _context(request: web.Request, session: WebSession) -> dict[str, Any]:
    return {
        "responses": await admin(request).canned.all(session),
        "placeholders": sorted(PLACEHOLDERS),
    }


CANNED = AdminPage(Section.CANNED, "/admin/canned", "admin_canned.html", _context)


async def canned_page(request: web.Request) -> web.StreamResponse:
    return await CANNED.get(request)


async def add_canned(request: web.Request) -> web.StreamResponse:
    session, form = await CANNED.posted(request)
    typed = _typed(form)
    change = admin(request).canned.add(session, CannedForm(**typed))
    return await CANNED.submit(request, session, change, notice="added", typed=typed)


async def edit_canned(request: web.Request) -> web.StreamResponse:
    session, form = await CANNED.posted(request)
    change = admin(request).canned.edit(
        session, text(form, "original", 200), CannedForm(**_typed(form))
    )
    return await CANNED.submit(request, session, change, notice="saved")


async def delete_canned(request: web.Request) -> web.StreamResponse:
    session, form = await CANNED.posted(request)
    await admin(request).canned.delete(session, text(form, "original", 200))
    raise done(CANNED.path, "deleted")
