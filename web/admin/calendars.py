"""Calendars (leads and admins): hours and time zone, holidays filled from a country's list
and edited, on-call people. Every save re-plans the running SLA clocks."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section
from inbox.usecases.admin_calendars import HoursForm, supported_countries
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
    hours = HoursForm(
        tz=text(form, "tz", 100),
        hours={day: text(form, f"hours_{day}", 200) for day in WEEKDAYS},
        on_call=text(form, "on_call", 5000),
    )
    change = admin(request).calendars.save_hours(session, text(form, "calendar", 200), hours)
    return await CALENDARS.submit(request, session, change, notice="replanned")


async def fill_holidays(request: web.Request) -> web.StreamResponse:
    session, form = await CALENDARS.posted(request)
    where = fields(form, calendar=200, country=10, subdivision=20, years=100)
    change = admin(request).calendars.fill_holidays(
        session, where["calendar"], where["country"], where["subdivision"], where["years"]
    )
    return await CALENDARS.submit(request, session, change, notice="replanned")


async def save_holidays(request: web.Request) -> web.StreamResponse:
    session, form = await CALENDARS.posted(request)
    change = admin(request).calendars.save_holidays(
        session, text(form, "calendar", 200), text(form, "holidays", 50_000)
    )
    return await CALENDARS.submit(request, session, change, notice="replanned")


async def remove_calendar(request: web.Request) -> web.StreamResponse:
    session, form = await CALENDARS.posted(request)
    change = admin(request).calendars.remove(session, text(form, "calendar", 200))
    return await CALENDARS.submit(request, session, change, notice="removed")
