"""What a person sets for themselves on /me: the time zone every page shows times in, and
their second factor (two-factor sign-in).

A new secret and new recovery codes are shown in the answer to the POST that made them, never
in an address (where history and logs would keep them)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inbox.domain.errors import ConfigurationError
from inbox.domain.web import WebSession
from inbox.usecases.two_factor import CodeRefusedError, Enrolment
from web.keys import services_of
from web.qr import qr_svg
from web.rendering import render
from web.session import checked_form, required_session

TWO_FACTOR = "/me/two-factor"


async def set_time_zone(request: web.Request) -> web.StreamResponse:
    """A zone's IANA name, or nothing to follow the team's calendar again; a name the zone
    database does not know is refused (400, naming the field)."""
    session = await required_session(request)
    form = await checked_form(request, session)
    zone = str(form.get("time_zone", ""))[:100]
    await services_of(request).web_logins.set_time_zone(session, zone)
    raise web.HTTPSeeOther("/me?saved=time-zone")


async def _two_factor_page(
    request: web.Request,
    session: WebSession,
    *,
    status: int = 200,
    error: str | None = None,
    setup: Enrolment | None = None,
    codes: list[str] | None = None,
) -> web.Response:
    context: dict[str, Any] = {
        "session": session,
        "two_factor": await services_of(request).two_factor.status(session),
        "error": error,
        "setup": setup,
        "codes": codes,
        "qr_svg": qr_svg,
    }
    return render("me_two_factor.html", status=status, **context)


async def two_factor_page(request: web.Request) -> web.StreamResponse:
    return await _two_factor_page(request, await required_session(request))


async def start_two_factor(request: web.Request) -> web.StreamResponse:
    session = await required_session(request)
    await checked_form(request, session)
    try:
        setup = await services_of(request).two_factor.start(session, session.name)
    except ConfigurationError as exc:
        return await _two_factor_page(request, session, status=400, error=exc.reason)
    return await _two_factor_page(request, session, setup=setup)


async def confirm_two_factor(request: web.Request) -> web.StreamResponse:
    session = await required_session(request)
    form = await checked_form(request, session)
    two_factor = services_of(request).two_factor
    try:
        codes = await two_factor.confirm(session, str(form.get("code", ""))[:20])
    except ConfigurationError as exc:
        waiting = await two_factor.waiting(session, session.name)
        return await _two_factor_page(request, session, status=400, error=exc.reason, setup=waiting)
    return await _two_factor_page(request, session, codes=codes)


async def renew_recovery_codes(request: web.Request) -> web.StreamResponse:
    session = await required_session(request)
    form = await checked_form(request, session)
    try:
        codes = await services_of(request).two_factor.new_recovery_codes(
            session, str(form.get("code", ""))[:20]
        )
    except (CodeRefusedError, ConfigurationError) as exc:
        return await _refused(request, session, exc)
    return await _two_factor_page(request, session, codes=codes)


async def turn_two_factor_off(request: web.Request) -> web.StreamResponse:
    session = await required_session(request)
    form = await checked_form(request, session)
    try:
        await services_of(request).two_factor.turn_off(session, str(form.get("code", ""))[:20])
    except (CodeRefusedError, ConfigurationError) as exc:
        return await _refused(request, session, exc)
    raise web.HTTPSeeOther("/me?saved=two-factor-off#two-factor")


async def _refused(
    request: web.Request, session: WebSession, exc: CodeRefusedError | ConfigurationError
) -> web.Response:
    reason = exc.reason if isinstance(exc, ConfigurationError) else str(exc)
    return await _two_factor_page(request, session, status=400, error=reason)


def add_profile_pages(app: web.Application) -> None:
    app.router.add_post("/me/time-zone", set_time_zone)
    app.router.add_get(TWO_FACTOR, two_factor_page)
    app.router.add_post(f"{TWO_FACTOR}/start", start_two_factor)
    app.router.add_post(f"{TWO_FACTOR}/confirm", confirm_two_factor)
    app.router.add_post(f"{TWO_FACTOR}/recovery", renew_recovery_codes)
    app.router.add_post(f"{TWO_FACTOR}/off", turn_two_factor_off)
