"""Calendars (leads and admins): hours and time zone, holidays filled from a country's list
and edited, on-call people. Every save re-plans the running SLA clocks."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inbox.domain.errors import ConfigurationError
from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section
from inbox.usecases.admin_calendars import HoursForm, supported_countries
from sla.calendar import WEEKDAYS
from web.admin.common import admin, admin_session, checked_form, done, page, text

PATH = "/admin/calendars"


async def show(
    request: web.Request,
    session: WebSession,
    *,
    status: int = 200,
    error: ConfigurationError | None = None,
    typed: dict[str, Any] | None = None,
) -> web.Response:
    return page(
        request,
        "admin_calendars.html",
        session,
        Section.CALENDARS,
        status=status,
        error=error,
        typed=typed,
        calendars=await admin(request).calendars.all(session),
        weekdays=WEEKDAYS,
        countries=supported_countries(),
    )


async def calendars_page(request: web.Request) -> web.StreamResponse:
    return await show(request, await admin_session(request, Section.CALENDARS))


async def add_calendar(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.CALENDARS)
    form = await checked_form(request, session)
    typed = {"name": text(form, "name", 200), "tz": text(form, "tz", 100)}
    try:
        await admin(request).calendars.add(session, typed["name"], typed["tz"])
    except ConfigurationError as exc:
        return await show(request, session, status=400, error=exc, typed=typed)
    raise done(PATH, "created")


async def save_hours(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.CALENDARS)
    form = await checked_form(request, session)
    hours = HoursForm(
        tz=text(form, "tz", 100),
        hours={day: text(form, f"hours_{day}", 200) for day in WEEKDAYS},
        on_call=text(form, "on_call", 5000),
    )
    try:
        await admin(request).calendars.save_hours(session, text(form, "calendar", 200), hours)
    except ConfigurationError as exc:
        return await show(request, session, status=400, error=exc)
    raise done(PATH, "replanned")


async def fill_holidays(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.CALENDARS)
    form = await checked_form(request, session)
    try:
        await admin(request).calendars.fill_holidays(
            session,
            text(form, "calendar", 200),
            text(form, "country", 10),
            text(form, "subdivision", 20),
            text(form, "years", 100),
        )
    except ConfigurationError as exc:
        return await show(request, session, status=400, error=exc)
    raise done(PATH, "replanned")


async def save_holidays(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.CALENDARS)
    form = await checked_form(request, session)
    try:
        await admin(request).calendars.save_holidays(
            session, text(form, "calendar", 200), text(form, "holidays", 50_000)
        )
    except ConfigurationError as exc:
        return await show(request, session, status=400, error=exc)
    raise done(PATH, "replanned")


async def remove_calendar(request: web.Request) -> web.StreamResponse:
    session = await admin_session(request, Section.CALENDARS)
    form = await checked_form(request, session)
    try:
        await admin(request).calendars.remove(session, text(form, "calendar", 200))
    except ConfigurationError as exc:
        return await show(request, session, status=400, error=exc)
    raise done(PATH, "removed")
