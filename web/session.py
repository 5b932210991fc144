"""Who is logged in, and the forms they post.

A session lives in an HttpOnly cookie; every form that changes something carries the
session's CSRF token, compared in constant time.
"""

from __future__ import annotations

import hmac
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from inbox.domain.errors import PermissionDeniedError
from inbox.domain.web import WebSession
from web.keys import services_of

COOKIE = "inbox_session"
# The session a request was found to carry, for its error page (which offers a way out).
SESSION = web.RequestKey("session", WebSession)


async def current_session(request: web.Request) -> WebSession | None:
    token = request.cookies.get(COOKIE, "")
    return await services_of(request).web_logins.session(token) if token else None


async def required_session(request: web.Request) -> WebSession:
    """The logged-in person; anyone else is sent to the login page."""
    session = await current_session(request)
    if session is None:
        raise web.HTTPSeeOther("/login")
    request[SESSION] = session
    return session


async def checked_form(request: web.Request, session: WebSession) -> MultiDictProxy[Any]:
    """The posted form, if it carries the session's CSRF token."""
    form = await request.post()
    sent = str(form.get("csrf", ""))
    if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise PermissionDeniedError("the form has expired or came from elsewhere; reload it")
    return form
