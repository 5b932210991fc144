"""What a person sets for themselves on /me: the time zone every page shows times in."""

from __future__ import annotations

from aiohttp import web

from web.keys import services_of
from web.session import checked_form, required_session


async def set_time_zone(request: web.Request) -> web.StreamResponse:
    """A zone's IANA name, or nothing to follow the team's calendar again; a name the zone
    database does not know is refused (400, naming the field)."""
    session = await required_session(request)
    form = await checked_form(request, session)
    zone = str(form.get("time_zone", ""))[:100]
    await services_of(request).web_logins.set_time_zone(session, zone)
    raise web.HTTPSeeOther("/me?saved=time-zone")


def add_profile_pages(app: web.Application) -> None:
    app.router.add_post("/me/time-zone", set_time_zone)
