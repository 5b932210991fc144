"""Calendars (leads and admins): hours and time zone, holidays filled from a country's list
and edited, on-call people. Every save re-plans the running SLA clocks."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section
from inbox.usecases.admin_calendars import LONGEST_HOLIDAYS, HoursForm, supported_countries
from sla.calendar import WEEKDAYS
from web.admin.common import AdminPage, admin, fields, text


async def _context(request: web.Request, session: WebSession) -> dict[str, Any]:
    return {
        "calendars": await admin(request).calendars.all(session),
        "weekdays": WEEKDAYS,
        "countries": supported_countries(),
    }


CALENDARS = AdminPage(Section.CALENDARS, "/admin/calendars", "admin_calendars.html", _context)


async def calendars_page(request: web.Request) -> web.StreamResponse:
    return await CALENDARS.get(request)


async def add_calendar(request: web.Request) -> web.StreamResponse:
    session, form = await CALENDARS.posted(request)
    typed = fields(form, name=200, tz=100)
    change = admin(request).calendars.add(session, typed["name"], typed["tz"])
    return await CALENDARS.submit(request, session, change, notice="created", typed=typed)


async def save_hours(request: web.Request) -> web.StreamResponse:
    session, form = await CALENDARS.posted(request)
    typed = fields(
        form, calendar=200, tz=100, on_call=5000, **{f"hours_{d}": 200 for d in WEEKDAYS}
    )
    hours = HoursForm(
        tz=typed["tz"],
        hours={day: typed[f"hours_{day}"] for day in WEEKDAYS},
        on_call=typed["on_call"],
    )
    change = admin(request).calendars.save_hours(session, typed["calendar"], hours)
    # A refusal shows the calendar's form again as typed (the page reads `typed` for it).
    return await CALENDARS.submit(request, session, change, notice="replanned", typed=typed)


async def fill_holidays(request: web.Request) -> web.StreamResponse:
    session, form = await CALENDARS.posted(request)
    where = fields(form, calendar=200, country=10, subdivision=20, years=100)
    change = admin(request).calendars.fill_holidays(
        session, where["calendar"], where["country"], where["subdivision"], where["years"]
    )
    return await CALENDARS.submit(request, session, change, notice="replanned", typed=where)


async def save_holidays(request: web.Request) -> web.StreamResponse:
    session, form = await CALENDARS.posted(request)
    # One character over the longest list, so that the use case refuses it rather than cut it.
    typed = fields(form, calendar=200, holidays=LONGEST_HOLIDAYS + 1)
    change = admin(request).calendars.save_holidays(session, typed["calendar"], typed["holidays"])
    return await CALENDARS.submit(request, session, change, notice="replanned", typed=typed)


async def remove_calendar(request: web.Request) -> web.StreamResponse:
    session, form = await CALENDARS.posted(request)
    change = admin(request).calendars.remove(session, text(form, "calendar", 200))
    return await CALENDARS.submit(request, session, change, notice="removed")
