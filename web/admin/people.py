"""People: the list, adding someone, their work profile (leads too), roles, password and
deactivation (admins)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from inbox.domain.errors import ConfigurationError
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section
from inbox.usecases.admin_people import WorkForm
from web.admin.common import (
    admin,
    admin_session,
    checked_form,
    done,
    number,
    page,
    shown_once,
    text,
    texts,
    ticked,
)

PATH = "/admin/people"
ROLES = tuple(r.value for r in Role)
NETWORKS = tuple(n.value for n in Network)


def _work(form: MultiDictProxy[Any]) -> WorkForm:
    return WorkForm(
        name=text(form, "name", 200),
        teams=tuple(texts(form, "teams")),
        capacity=text(form, "capacity", 10),
        languages=text(form, "languages", 500),
        networks=tuple(texts(form, "networks")),
        topics=text(form, "topics", 2000),
        on_shift=ticked(form, "on_shift"),
        away=ticked(form, "away"),
    )


async def show_list(
    request: web.Request,
    session: WebSession,
    *,
    status: int = 200,
    error: ConfigurationError | None = None,
    typed: dict[str, Any] | None = None,
) -> web.Response:
    people = admin(request).people
    return page(
        request,
        "admin_people.html",
        session,
        Section.PEOPLE,
        status=status,
        error=error,
        typed=typed,
        people=await people.all(session),
        teams=await people.team_names(session),
        roles=ROLES,
        networks=NETWORKS,
    )


async def show_person(
    request: web.Request,
    session: WebSession,
    *,
    status: int = 200,
    error: ConfigurationError | None = None,
) -> web.Response:
    agent_id = number(request, "agent_id")
    people = admin(request).people
    person = await people.person(session, agent_id)
    return page(
        request,
        "admin_person.html",
        session,
        Section.PEOPLE,
        status=status,
        error=error,
        person=person,
        teams=await people.team_names(session),
        roles=ROLES,
        networks=NETWORKS,
    )


async def people_page(request: web.Request) -> web.StreamResponse:
    return await show_list(request, await admin_session(request, Section.PEOPLE))


async def person_page(request: web.Request) -> web.StreamResponse:
    return await show_person(request, await admin_session(request, Section.PEOPLE))


async def add_person(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.PEOPLE)
    form = await checked_form(request, session)
    work = _work(form)
    email = text(form, "email", 300)
    try:
        _, generated = await admin(request).people.add(
            session,
            email=email,
            roles=texts(form, "roles"),
            work=work,
            password=text(form, "password", 2000),
        )
    except ConfigurationError as exc:
        typed = {"email": email, "name": work.name, "languages": work.languages}
        return await show_list(request, session, status=400, error=exc, typed=typed)
    if generated is not None:
        return shown_once(
            request,
            session,
            what=f"The initial password of {email.strip().lower()}",
            secret=generated.get_secret_value(),
            back=PATH,
        )
    raise done(PATH, "added")


async def save_work(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.PEOPLE)
    form = await checked_form(request, session)
    agent_id = number(request, "agent_id")
    try:
        await admin(request).people.save_work(session, agent_id, _work(form))
    except ConfigurationError as exc:
        return await show_person(request, session, status=400, error=exc)
    raise done(f"{PATH}/{agent_id}", "saved")


async def save_roles(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.PEOPLE)
    form = await checked_form(request, session)
    agent_id = number(request, "agent_id")
    try:
        await admin(request).people.save_roles(session, agent_id, texts(form, "roles"))
    except ConfigurationError as exc:
        return await show_person(request, session, status=400, error=exc)
    raise done(f"{PATH}/{agent_id}", "saved")


async def reset_password(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.PEOPLE)
    form = await checked_form(request, session)
    agent_id = number(request, "agent_id")
    try:
        generated = await admin(request).people.reset_password(
            session, agent_id, text(form, "password", 2000)
        )
    except ConfigurationError as exc:
        return await show_person(request, session, status=400, error=exc)
    if generated is not None:
        return shown_once(
            request,
            session,
            what="The new password",
            secret=generated.get_secret_value(),
            back=f"{PATH}/{agent_id}",
        )
    raise done(f"{PATH}/{agent_id}", "password")


async def deactivate(request: web.Request) -> web.StreamResponse:
    return await _set_active(request, active=False)


async def reactivate(request: web.Request) -> web.StreamResponse:
    return await _set_active(request, active=True)


async def _set_active(request: web.Request, *, active: bool) -> web.StreamResponse:
    session = await admin_session(request, Section.PEOPLE)
    await checked_form(request, session)
    agent_id = number(request, "agent_id")
    try:
        await admin(request).people.set_active(session, agent_id, active)
    except ConfigurationError as exc:
        return await show_person(request, session, status=400, error=exc)
    raise done(f"{PATH}/{agent_id}", "reactivated" if active else "deactivated")
