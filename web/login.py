"""Logging in and out, and the site's front door.

The login form is refused from another origin; the session cookie is HttpOnly, SameSite=Lax,
and Secure unless the site is served on loopback over plain HTTP. Where the person has a
second factor (or the workspace requires one), the password yields no session: only a
pending sign-in, in a cookie of its own scoped to /login, which the code page turns into a
session (see inbox.usecases.two_factor).

The form names no workspace: the e-mail's sign-in says where the password is checked. A
person who belongs to several workspaces then chooses one; a session serves one workspace
only, and switching opens a new session (a CSRF-checked form) in the chosen one.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import SecretStr

from inbox.domain.egress import is_loopback_host
from inbox.domain.errors import ConfigurationError, PermissionDeniedError
from inbox.domain.web import WebSession
from inbox.usecases.two_factor import PENDING_LIFETIME, CodeRefusedError, SecondStep
from inbox.usecases.web_auth import LoginRefusedError, TooManyAttemptsError
from web.keys import services_of
from web.qr import qr_svg
from web.rendering import render
from web.session import COOKIE, checked_form, home_of, required_session

SESSION_HOURS = 12
# The second step's page, and the cookie of the sign-in waiting there (sent nowhere else).
CODE_PATH = "/login/code"
PENDING_COOKIE = "inbox_pending_login"
# Choosing a workspace (after sign-in, or from the switcher), and the switch itself.
CHOOSE_PATH = "/login/workspace"
SWITCH_PATH = "/workspace"


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
        signed = await services_of(request).two_factor.sign_in_by_email(email, password, address)
    except LoginRefusedError as exc:
        return render("login.html", status=401, error=str(exc), email=email)
    except TooManyAttemptsError as exc:
        return _throttled("login.html", exc, email=email)
    if signed.session is None:
        response = web.HTTPSeeOther(CODE_PATH)
        response.set_cookie(
            PENDING_COOKIE,
            f"{signed.workspace_id}.{signed.token}",
            httponly=True,
            samesite="Strict",
            secure=request.secure or not _loopback(request),
            path=CODE_PATH,
            max_age=int(PENDING_LIFETIME.total_seconds()),
        )
        raise response
    raise _signed_in(request, signed.token, await _landing(request, signed.session))


async def _landing(request: web.Request, session: WebSession) -> str:
    """Where a person goes once signed in: to choose a workspace when they have several."""
    if len(await services_of(request).web_logins.memberships(session)) > 1:
        return CHOOSE_PATH
    return home_of(session)


def _pending_of(request: web.Request) -> tuple[int, str]:
    """The workspace and token of the pending sign-in's cookie (0 and "" when unreadable)."""
    workspace, _, token = request.cookies.get(PENDING_COOKIE, "").partition(".")
    return (int(workspace), token) if workspace.isdigit() and len(workspace) < 19 else (0, "")


def _signed_in(request: web.Request, token: str, where: str) -> web.HTTPSeeOther:
    response = web.HTTPSeeOther(where)
    _set_session_cookie(request, response, token)
    return response


def _set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=request.secure or not _loopback(request),
        path="/",
        max_age=SESSION_HOURS * 3600,
    )
    response.del_cookie(PENDING_COOKIE, path=CODE_PATH)


def _throttled(template: str, exc: TooManyAttemptsError, **context: Any) -> web.Response:
    refused = render(template, status=429, error=str(exc), **context)
    refused.headers["Retry-After"] = str(exc.retry_after)
    return refused


async def code_page(request: web.Request) -> web.StreamResponse:
    """The second step: a code, or (where the workspace requires a second factor and the
    person has none) setting one up."""
    return await _code_form(request, error=None, status=200)


async def _code_form(request: web.Request, *, error: str | None, status: int) -> web.Response:
    workspace_id, token = _pending_of(request)
    two_factor = services_of(request).two_factor
    step = await two_factor.pending_step(workspace_id, token)
    if step is None:
        return render(
            "login.html",
            status=401,
            error="the sign-in has expired: enter your password again",
            email="",
        )
    if step is SecondStep.SETUP:
        enrolment = await two_factor.enrolment_for_pending(workspace_id, token)
        return render("login_code.html", status=status, error=error, setup=enrolment, qr_svg=qr_svg)
    return render("login_code.html", status=status, error=error, setup=None)


async def submit_code(request: web.Request) -> web.StreamResponse:
    if not _same_origin(request):
        raise PermissionDeniedError("log in from this site's own page")
    form = await request.post()
    code = str(form.get("code", ""))[:100]
    workspace_id, token = _pending_of(request)
    address = request.remote or "unknown"
    two_factor = services_of(request).two_factor
    step = await two_factor.pending_step(workspace_id, token)
    try:
        if step is SecondStep.SETUP:
            opened, session, codes = await two_factor.finish_with_setup(
                workspace_id, token, code, address
            )
            landing = await _landing(request, session)
            shown = render("recovery_codes.html", codes=codes, next=landing)
            _set_session_cookie(request, shown, opened)
            return shown
        opened, session = await two_factor.finish_with_code(workspace_id, token, code, address)
    except LoginRefusedError as exc:
        return render("login.html", status=401, error=str(exc), email="")
    except TooManyAttemptsError as exc:
        refused = await _code_form(request, error=str(exc), status=429)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    except (CodeRefusedError, ConfigurationError) as exc:
        reason = exc.reason if isinstance(exc, ConfigurationError) else str(exc)
        return await _code_form(request, error=reason, status=401)
    raise _signed_in(request, opened, await _landing(request, session))


async def logout(request: web.Request) -> web.StreamResponse:
    session = await required_session(request)
    await checked_form(request, session)
    await services_of(request).web_logins.logout(request.cookies.get(COOKIE, ""))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(home_of(await required_session(request)))


async def choose_page(request: web.Request) -> web.Response:
    """Which of their workspaces to work in: asked after sign-in of a person with several,
    and the switcher's page without script."""
    session = await required_session(request)
    memberships = await services_of(request).web_logins.memberships(session)
    return render("login_workspace.html", session=session, memberships=memberships)


async def switch_workspace(request: web.Request) -> web.StreamResponse:
    """A new session in the chosen workspace (the old one ends): every page and endpoint
    then serves that workspace only."""
    session = await required_session(request)
    form = await checked_form(request, session)
    chosen = str(form.get("workspace", ""))
    if not chosen.isdigit() or len(chosen) > 18:
        raise ConfigurationError("workspace", "choose one of your workspaces")
    token, switched = await services_of(request).two_factor.switch(
        request.cookies.get(COOKIE, ""), session, int(chosen)
    )
    raise _signed_in(request, token, home_of(switched))


def add_login_pages(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_get(CODE_PATH, code_page)
    app.router.add_post(CODE_PATH, submit_code)
    app.router.add_post("/logout", logout)
    app.router.add_get(CHOOSE_PATH, choose_page)
    app.router.add_post(SWITCH_PATH, switch_workspace)
