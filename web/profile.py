"""What a person sets for themselves on /me: the time zone every page shows times in."""

from __future__ import annotations

from aiohttp import web

from web.pages import _checked_form, _required_session, _services, translated


async def set_time_zone(request: web.Request) -> web.StreamResponse:
    """A zone's IANA name, or nothing to follow the team's calendar again; a name the zone
    database does not know is refused (400, naming the field)."""
    session = await _required_session(request)
    form = await _checked_form(request, session)
    zone = str(form.get("time_zone", ""))[:100]
    await _services(request).web_logins.set_time_zone(session, zone)
    raise web.HTTPSeeOther("/me?saved=time-zone")


def add_profile_pages(app: web.Application) -> None:
    app.router.add_post("/me/time-zone", translated(set_time_zone))
