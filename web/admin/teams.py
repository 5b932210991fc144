"""Teams (leads and admins): create, rename, and what routing sends each."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from inbox.domain.errors import ConfigurationError
from inbox.domain.network import Network
from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section
from inbox.usecases.admin_teams import TeamForm
from web.admin.common import (
    admin,
    admin_session,
    checked_form,
    done,
    number,
    page,
    text,
    texts,
    ticked,
)

PATH = "/admin/teams"


def _team(form: MultiDictProxy[Any]) -> TeamForm:
    return TeamForm(
        name=text(form, "name", 200),
        topics=text(form, "topics", 2000),
        languages=text(form, "languages", 500),
        networks=tuple(texts(form, "networks")),
        vip=ticked(form, "vip"),
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
        "admin_teams.html",
        session,
        Section.TEAMS,
        status=status,
        error=error,
        typed=typed,
        teams=await admin(request).teams.all(session),
        networks=tuple(n.value for n in Network),
    )


async def teams_page(request: web.Request) -> web.StreamResponse:
    return await show(request, await admin_session(request, Section.TEAMS))


async def create_team(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.TEAMS)
    form = _team(await checked_form(request, session))
    try:
        await admin(request).teams.create(session, form)
    except ConfigurationError as exc:
        typed = {"name": form.name, "topics": form.topics, "languages": form.languages}
        return await show(request, session, status=400, error=exc, typed=typed)
    raise done(PATH, "created")


async def save_team(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.TEAMS)
    form = _team(await checked_form(request, session))
    try:
        await admin(request).teams.save(session, number(request, "team_id"), form)
    except ConfigurationError as exc:
        return await show(request, session, status=400, error=exc)
    raise done(PATH, "saved")
