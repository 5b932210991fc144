"""Who is logged in, and the forms they post.

A session lives in an HttpOnly cookie; every form that changes something carries the
session's CSRF token (masked in each page, see web.csrf), compared in constant time.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from inbox.domain.errors import PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from web.csrf import matches
from web.keys import services_of

COOKIE = "inbox_session"
# The session a request was found to carry, for its error page (which offers a way out).
SESSION = web.RequestKey("session", WebSession)


def session_token(request: web.Request) -> str:
    return request.cookies.get(COOKIE, "")


async def current_session(request: web.Request) -> WebSession | None:
    token = session_token(request)
    session = await services_of(request).web_logins.session(token) if token else None
    if session is None:
        return None
    return dataclasses.replace(session, address=request.remote)


async def required_session(request: web.Request) -> WebSession:
    """The logged-in person; anyone else is sent to the login page."""
    return signed_in(request, await current_session(request))


def signed_in(request: web.Request, session: WebSession | None) -> WebSession:
    """The session found for the request, as its handler sees it (from its address); without
    one, the person is sent to the login page."""
    if session is None:
        raise web.HTTPSeeOther("/login")
    if session.address != request.remote:
        session = dataclasses.replace(session, address=request.remote)
    request[SESSION] = session
    return session


# Where each role's day starts, the first role a person holds deciding: whoever answers
# customers lands on their own queue; a lead on the dashboard (the SLA at risk, the queue's
# health); network operations on the incidents (bursts of complaints: they answer no thread,
# so their "Mine" is always empty); an admin on the settings; a community member on their page.
LANDINGS = (
    (Role.AGENT, "/inbox"),
    (Role.LEAD, "/dashboard"),
    (Role.OPS, "/incidents"),
    (Role.ADMIN, "/admin"),
    (Role.COMMUNITY, "/community"),
)


def home_of(session: WebSession) -> str:
    """Where a person lands (after logging in, on `/`): where their role's day starts."""
    return next((page for role, page in LANDINGS if session.has(role)), "/community")


async def checked_form(request: web.Request, session: WebSession) -> MultiDictProxy[Any]:
    """The posted form, if it carries the session's CSRF token."""
    form = await request.post()
    sent = str(form.get("csrf", ""))
    if not matches(sent, session.csrf_token):
        raise PermissionDeniedError("the form has expired or came from elsewhere; reload it")
    return form
