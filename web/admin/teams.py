"""Teams (leads and admins): create, rename, and what routing sends each."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from inbox.domain.network import Network
from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section
from inbox.usecases.admin_teams import TeamForm
from web.admin.common import AdminPage, admin, fields, number, texts, ticked


def _typed(form: MultiDictProxy[Any]) -> dict[str, str]:
    return fields(form, name=200, topics=2000, languages=500)


def _team(form: MultiDictProxy[Any], typed: dict[str, str]) -> TeamForm:
    return TeamForm(**typed, networks=tuple(texts(form, "networks")), vip=ticked(form, "vip"))


async def _context(request: web.Request, session: WebSession) -> dict[str, Any]:
    return {
        "teams": await admin(request).teams.all(session),
        "networks": tuple(n.value for n in Network),
    }


TEAMS = AdminPage(Section.TEAMS, "/admin/teams", "admin_teams.html", _context)


async def teams_page(request: web.Request) -> web.StreamResponse:
    return await TEAMS.get(request)


async def create_team(request: web.Request) -> web.StreamResponse:
    session, form = await TEAMS.posted(request)
    typed = _typed(form)
    change = admin(request).teams.create(session, _team(form, typed))
    return await TEAMS.submit(request, session, change, notice="created", typed=typed)


async def save_team(request: web.Request) -> web.StreamResponse:
    session, form = await TEAMS.posted(request)
    change = admin(request).teams.save(
        session, number(request, "team_id"), _team(form, _typed(form))
    )
    return await TEAMS.submit(request, session, change, notice="saved")
