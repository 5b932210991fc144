"""Logging in and out, and the site's front door.

The login form is refused from another origin; the session cookie is HttpOnly, SameSite=Lax,
and Secure unless the site is served on loopback over plain HTTP.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import SecretStr

from inbox.domain.egress import is_loopback_host
from inbox.domain.errors import PermissionDeniedError
from inbox.usecases.web_auth import LoginRefusedError, TooManyAttemptsError
from web.keys import WORKSPACE, services_of
from web.rendering import render
from web.session import COOKIE, checked_form, home_of, required_session

SESSION_HOURS = 12


def _loopback(request: web.Request) -> bool:
    return is_loopback_host((request.host or "").rsplit(":", 1)[0].strip("[]"))


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return origin.split("://", 1)[-1] == request.host


async def login_page(request: web.Request) -> web.Response:
    return render("login.html", error=None, email="")


async def login(request: web.Request) -> web.StreamResponse:
    if not _same_origin(request):
        raise PermissionDeniedError("log in from this site's own page")
    form = await request.post()
    email = str(form.get("email", ""))[:254]
    password = SecretStr(str(form.get("password", ""))[:1024])
    address = request.remote or "unknown"
    # A refused login is the form again, saying why: not an error page.
    try:
        token, session = await services_of(request).web_logins.login(
            request.config_dict[WORKSPACE], email, password, address
        )
    except LoginRefusedError as exc:
        return render("login.html", status=401, error=str(exc), email=email)
    except TooManyAttemptsError as exc:
        refused = render("login.html", status=429, error=str(exc), email=email)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    response = web.HTTPSeeOther(home_of(session))
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=request.secure or not _loopback(request),
        path="/",
        max_age=SESSION_HOURS * 3600,
    )
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    session = await required_session(request)
    await checked_form(request, session)
    await services_of(request).web_logins.logout(request.cookies.get(COOKIE, ""))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(home_of(await required_session(request)))


def add_login_pages(app: web.Application, default_workspace: int) -> None:
    """`default_workspace`: the one the login form logs into (the instance's own)."""
    app[WORKSPACE] = default_workspace
    app.router.add_get("/", home)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
