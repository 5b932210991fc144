"""People: the list, adding someone, their work profile (leads too), roles, password,
second factor and deactivation, and whether the workspace requires a second factor
(admins)."""

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
from web.admin.common import AdminPage, admin, done, number, shown_once, text, texts, ticked
from web.keys import services_of

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


async def _list_context(request: web.Request, session: WebSession) -> dict[str, Any]:
    people = admin(request).people
    two_factor = services_of(request).two_factor
    return {
        "people": await people.all(session),
        "teams": await people.team_names(session),
        "roles": ROLES,
        "networks": NETWORKS,
        "two_factor_required": await two_factor.required(session),
    }


async def _person_context(request: web.Request, session: WebSession) -> dict[str, Any]:
    people = admin(request).people
    person = await people.person(session, number(request, "agent_id"))
    two_factor = services_of(request).two_factor
    # Whether someone has a second factor is for admins, who may reset it.
    has_two_factor = (
        await two_factor.has_factor(session, person.agent_id)
        if Role.ADMIN in session.roles
        else None
    )
    return {
        "person": person,
        "teams": await people.team_names(session),
        "roles": ROLES,
        "networks": NETWORKS,
        "has_two_factor": has_two_factor,
    }


PEOPLE = AdminPage(Section.PEOPLE, PATH, "admin_people.html", _list_context)
# One person's page: its forms redirect to the person's own address, given as `then`.
PERSON = AdminPage(Section.PEOPLE, PATH, "admin_person.html", _person_context)


def _person_path(agent_id: int) -> str:
    return f"{PATH}/{agent_id}"


async def people_page(request: web.Request) -> web.StreamResponse:
    return await PEOPLE.get(request)


async def person_page(request: web.Request) -> web.StreamResponse:
    return await PERSON.get(request)


async def add_person(request: web.Request) -> web.StreamResponse:
    session, form = await PEOPLE.posted(request)
    work = _work(form)
    email = text(form, "email", 300)
    try:
        if form.get("existing"):
            await admin(request).people.add_existing(
                session, email=email, roles=texts(form, "roles"), work=work
            )
            raise done(PATH, "added")
        _, generated = await admin(request).people.add(
            session,
            email=email,
            roles=texts(form, "roles"),
            work=work,
            password=text(form, "password", 2000),
        )
    except ConfigurationError as exc:
        # Never the password: what was typed goes back into the page.
        typed = {"email": email, "name": work.name, "languages": work.languages}
        return await PEOPLE.show(request, session, error=exc, typed=typed)
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
    session, form = await PERSON.posted(request)
    agent_id = number(request, "agent_id")
    change = admin(request).people.save_work(session, agent_id, _work(form))
    return await PERSON.submit(
        request, session, change, notice="saved", then=_person_path(agent_id)
    )


async def save_roles(request: web.Request) -> web.StreamResponse:
    session, form = await PERSON.posted(request)
    agent_id = number(request, "agent_id")
    change = admin(request).people.save_roles(session, agent_id, texts(form, "roles"))
    return await PERSON.submit(
        request, session, change, notice="saved", then=_person_path(agent_id)
    )


async def reset_password(request: web.Request) -> web.StreamResponse:
    session, form = await PERSON.posted(request)
    agent_id = number(request, "agent_id")
    try:
        generated = await admin(request).people.reset_password(
            session, agent_id, text(form, "password", 2000)
        )
    except ConfigurationError as exc:
        return await PERSON.show(request, session, error=exc)
    if generated is not None:
        return shown_once(
            request,
            session,
            what="The new password",
            secret=generated.get_secret_value(),
            back=_person_path(agent_id),
        )
    raise done(_person_path(agent_id), "password")


async def deactivate(request: web.Request) -> web.StreamResponse:
    return await _set_active(request, active=False)


async def reactivate(request: web.Request) -> web.StreamResponse:
    return await _set_active(request, active=True)


async def _set_active(request: web.Request, *, active: bool) -> web.StreamResponse:
    session, _ = await PERSON.posted(request)
    agent_id = number(request, "agent_id")
    change = admin(request).people.set_active(session, agent_id, active)
    notice = "reactivated" if active else "deactivated"
    return await PERSON.submit(request, session, change, notice=notice, then=_person_path(agent_id))


async def reset_two_factor(request: web.Request) -> web.StreamResponse:
    """Take the person's second factor away (admins; recorded in the audit trail)."""
    session, _ = await PERSON.posted(request)
    agent_id = number(request, "agent_id")
    change = services_of(request).two_factor.reset(session, agent_id)
    return await PERSON.submit(
        request, session, change, notice="two-factor-reset", then=_person_path(agent_id)
    )


async def require_two_factor(request: web.Request) -> web.StreamResponse:
    session, form = await PEOPLE.posted(request)
    change = services_of(request).two_factor.set_required(session, ticked(form, "required"))
    return await PEOPLE.submit(request, session, change, notice="saved")
