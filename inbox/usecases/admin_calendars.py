"""Business calendars as leads edit them: time zone, opening hours per weekday, holidays
(filled from the `holidays` library for a country and years, then edited by hand) and who is
on call. Saved through SaveSlaSettings, so running clocks are re-planned at once.

A holiday's name is kept beside its date (`holiday_names`) for the page; the calendar itself
reads only the dates. A calendar may also follow a country's list (`country`, `subdivision`,
set in the SLA settings document): those days close it without being listed, so the page
shows the coming year of them beside the listed ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from inbox.domain.clock import Clock, utc_now
from inbox.domain.errors import ConfigurationError, NotFoundError
from inbox.domain.web import WebSession
from inbox.domain.workspace_settings import checked_email, checked_name, split_list
from inbox.ports.audit import AuditTrail
from inbox.usecases.admin_access import Section, require_section
from inbox.usecases.audit import entry_by
from inbox.usecases.sla_settings import SaveSlaSettings
from sla.calendar import WEEKDAYS, CalendarError, WeeklyCalendar, Window
from sla.calendar_config import (
    FIRST_DATE,
    LAST_DATE,
    MAX_HOLIDAYS,
    MAX_WINDOWS_PER_DAY,
    calendar_from_config,
)

MOST_YEARS = 5
# The holiday list as typed, one `YYYY-MM-DD name` a line: MAX_HOLIDAYS lines of a long name.
LONGEST_HOLIDAYS = MAX_HOLIDAYS * 120
_COUNTRY = re.compile(r"[A-Z]{2,3}")
_YEARS = re.compile(r"(\d{4})(?:\s*-\s*(\d{4}))?")
OFFICE_HOURS = [["09:00", "18:00"]]


@dataclass(frozen=True, slots=True)
class ComingHoliday:
    """A day the calendar is closed in the coming year, and where that comes from: the
    country's list, the dates listed by hand (or filled), or both."""

    day: date
    name: str
    from_country: bool
    listed: bool


@dataclass(frozen=True, slots=True)
class CalendarView:
    name: str
    union: bool  # several calendars joined: edited as JSON on the SLA page
    tz: str
    hours: dict[str, str]  # weekday -> "09:00-12:00, 13:00-18:00" ("" when closed)
    holidays: tuple[tuple[str, str], ...]  # (YYYY-MM-DD, name)
    on_call: str
    used_by: tuple[str, ...]  # the policies counting in it
    region: str = ""  # the country (and subdivision) whose public holidays close it: "FR-75"
    coming: tuple[ComingHoliday, ...] = ()  # the next 12 months' closed days, both sources
    coming_until: date | None = None  # the last day `coming` looks at

    @property
    def holidays_text(self) -> str:
        return "\n".join(f"{day} {name}".rstrip() for day, name in self.holidays)


@dataclass(frozen=True, slots=True)
class HoursForm:
    tz: str
    hours: Mapping[str, str]
    on_call: str = ""


class ManageCalendars:
    def __init__(self, sla: SaveSlaSettings, audit: AuditTrail, *, clock: Clock = utc_now) -> None:
        self._sla = sla
        self._audit = audit
        self._clock = clock

    async def all(self, session: WebSession) -> list[CalendarView]:
        require_section(session, Section.CALENDARS)
        calendars, policies = await self._settings(session)
        now = self._clock()
        return [_view(name, config, policies, now) for name, config in sorted(calendars.items())]

    async def add(self, session: WebSession, name: str, tz: str) -> tuple[int, int]:
        require_section(session, Section.CALENDARS)
        calendars, policies = await self._settings(session)
        name = checked_name(name, "calendar name", 60)
        if name in calendars:
            raise ConfigurationError("calendar name", f"a calendar is named {name!r} already")
        weekly = {day: OFFICE_HOURS if day in WEEKDAYS[:5] else [] for day in WEEKDAYS}
        calendars[name] = {"tz": _checked_zone(tz), "weekly": weekly}
        return await self._save(session, calendars, policies)

    async def remove(self, session: WebSession, name: str) -> tuple[int, int]:
        require_section(session, Section.CALENDARS)
        calendars, policies = await self._settings(session)
        config = _calendar(calendars, name)
        used_by = _view(name, config, policies).used_by
        if used_by:
            raise ConfigurationError(
                "calendar", f"{name!r} is used by the policies {', '.join(used_by)}"
            )
        del calendars[name]
        return await self._save(session, calendars, policies)

    async def save_hours(self, session: WebSession, name: str, form: HoursForm) -> tuple[int, int]:
        """(settings version, running clocks re-planned)."""
        require_section(session, Section.CALENDARS)
        calendars, policies = await self._settings(session)
        config = _editable(calendars, name)
        config["tz"] = _checked_zone(form.tz)
        config["weekly"] = {day: _windows(day, form.hours.get(day, "")) for day in WEEKDAYS}
        config["on_call"] = [checked_email(e) for e in split_list(form.on_call)]
        return await self._save(session, calendars, policies)

    async def fill_holidays(
        self, session: WebSession, name: str, country: str, subdivision: str, years: str
    ) -> tuple[int, int, int]:
        """Add a country's public holidays for the years to the calendar's list: (settings
        version, clocks re-planned, holidays added)."""
        require_section(session, Section.CALENDARS)
        calendars, policies = await self._settings(session)
        config = _editable(calendars, name)
        found = public_holidays(country, subdivision, _years(years))
        dates, names = _holidays_of(config)
        added = len(set(found) - set(dates))
        for day, holiday in found.items():
            dates[day] = None
            names.setdefault(day, holiday)
        _set_holidays(config, dates, names)
        version, replanned = await self._save(session, calendars, policies)
        return version, replanned, added

    async def save_holidays(self, session: WebSession, name: str, text: str) -> tuple[int, int]:
        """The list as edited: one `YYYY-MM-DD name` a line."""
        require_section(session, Section.CALENDARS)
        if len(text) > LONGEST_HOLIDAYS:
            raise ConfigurationError(
                "holidays", f"at most {LONGEST_HOLIDAYS} characters ({MAX_HOLIDAYS} dates)"
            )
        calendars, policies = await self._settings(session)
        config = _editable(calendars, name)
        dates: dict[str, None] = {}
        names: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            day, _, holiday = line.strip().partition(" ")
            try:
                listed = date.fromisoformat(day)
            except ValueError as exc:
                raise ConfigurationError(
                    f"holidays line {number}", f"{day[:20]!r} is not a date (YYYY-MM-DD)"
                ) from exc
            if not FIRST_DATE <= listed <= LAST_DATE:
                raise ConfigurationError(
                    f"holidays line {number}", f"a date from {FIRST_DATE} to {LAST_DATE}"
                )
            dates[day] = None
            name = "".join(c for c in " ".join(holiday.split()) if c.isprintable())
            if name:
                names[day] = name[:100]
        if len(dates) > MAX_HOLIDAYS:
            raise ConfigurationError("holidays", f"at most {MAX_HOLIDAYS} dates")
        _set_holidays(config, dates, names)
        return await self._save(session, calendars, policies)

    async def _settings(self, session: WebSession) -> tuple[dict[str, object], dict[str, object]]:
        current = await self._sla.current(session.workspace_id)
        # A deep copy: the stored settings are never changed in place.
        copied = json.loads(json.dumps([current.calendars, current.policies]))
        return copied[0], copied[1]

    async def _save(
        self, session: WebSession, calendars: dict[str, object], policies: dict[str, object]
    ) -> tuple[int, int]:
        version, replanned = await self._sla(session.workspace_id, calendars, policies)
        await self._audit.record(
            entry_by(
                session,
                "calendars_changed",
                "sla_settings",
                version,
                calendars=sorted(calendars),
                clocks_replanned=replanned,
            )
        )
        return version, replanned


def public_holidays(country: str, subdivision: str, years: list[int]) -> dict[str, str]:
    """{YYYY-MM-DD: name} of the country's (and subdivision's) public holidays."""
    code = country.strip().upper()
    if not _COUNTRY.fullmatch(code):
        raise ConfigurationError("country", "an ISO country code such as FR or DE")
    region = subdivision.strip().upper() or None
    try:
        found = holidays.country_holidays(code, subdiv=region, years=years)
    except NotImplementedError as exc:
        field = "subdivision" if region and "subdivision" in str(exc) else "country"
        raise ConfigurationError(field, str(exc)) from exc
    return {day.isoformat(): str(name) for day, name in sorted(found.items())}


def supported_countries() -> list[str]:
    return sorted(code for code in holidays.list_supported_countries() if len(code) == 2)


def _years(text: str) -> list[int]:
    years: set[int] = set()
    for part in split_list(text):
        matched = _YEARS.fullmatch(part)
        if matched is None:
            raise ConfigurationError("years", "years such as 2027, or a range 2027-2028")
        first = int(matched[1])
        last = int(matched[2] or first)
        if not (FIRST_DATE.year <= first <= last <= LAST_DATE.year):
            raise ConfigurationError(
                "years",
                f"from {FIRST_DATE.year} to {LAST_DATE.year}, the first before the last",
            )
        years.update(range(first, last + 1))
    if not years or len(years) > MOST_YEARS:
        raise ConfigurationError("years", f"1 to {MOST_YEARS} years")
    return sorted(years)


def _checked_zone(tz: str) -> str:
    zone = tz.strip()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError("time zone", f"{zone[:40]!r} is not an IANA time zone") from exc
    return zone


def _windows(day: str, text: str) -> list[list[str]]:
    """ "09:00-12:00, 13:00-18:00" as windows; empty (or "closed") when closed all day."""
    if text.strip().lower() in ("", "closed"):
        return []
    parts = split_list(text)
    if len(parts) > MAX_WINDOWS_PER_DAY:
        raise ConfigurationError(f"hours {day}", f"at most {MAX_WINDOWS_PER_DAY} windows a day")
    windows = []
    for part in parts:
        start, separator, end = part.partition("-")
        try:
            if not separator:
                raise CalendarError(f"{part!r} is not a window HH:MM-HH:MM")
            Window.parse(start.strip(), end.strip())
        except CalendarError as exc:
            raise ConfigurationError(f"hours {day}", str(exc)) from exc
        windows.append([start.strip(), end.strip()])
    return windows


def _calendar(calendars: dict[str, object], name: str) -> dict[str, object]:
    config = calendars.get(name)
    if not isinstance(config, dict):
        raise NotFoundError("calendar", name)
    return config


def _editable(calendars: dict[str, object], name: str) -> dict[str, object]:
    config = _calendar(calendars, name)
    if "union" in config:
        raise ConfigurationError(
            "calendar", f"{name!r} joins several calendars: edit it on the SLA policies page"
        )
    return config


def _holidays_of(config: Mapping[str, object]) -> tuple[dict[str, None], dict[str, str]]:
    listed = config.get("holidays")
    named = config.get("holiday_names")
    dates = {str(d): None for d in listed} if isinstance(listed, list) else {}
    names = {str(k): str(v) for k, v in named.items()} if isinstance(named, dict) else {}
    return dates, names


def _set_holidays(
    config: dict[str, object], dates: Mapping[str, None], names: dict[str, str]
) -> None:
    ordered = sorted(dates)
    config["holidays"] = ordered
    config["holiday_names"] = {day: names[day] for day in ordered if day in names}


def _hours_text(windows: object) -> str:
    if not isinstance(windows, list):
        return ""
    return ", ".join(
        f"{w[0]}-{w[1]}" for w in windows if isinstance(w, list | tuple) and len(w) == 2
    )


def _a_year_on(day: date) -> date:
    """The day before the same date next year (29 February: the 28th): a year of days."""
    try:
        return day.replace(year=day.year + 1) - timedelta(days=1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _coming(
    config: Mapping[str, object], names: Mapping[str, str], now: datetime
) -> tuple[tuple[ComingHoliday, ...], date | None]:
    """The closed days of the coming year (from today in the calendar's own zone), whichever
    list closes them, in date order; and the last day looked at."""
    try:
        calendar = calendar_from_config(config)
    except CalendarError:
        return (), None  # stored settings are checked when saved; nothing to show otherwise
    assert isinstance(calendar, WeeklyCalendar)  # unions are not shown here
    first = now.astimezone(calendar.zone).date()
    last = _a_year_on(first)
    national = dict(calendar.country_holidays(first, last))
    by_hand = {
        day: names.get(day.isoformat(), "") for day in calendar.holidays if first <= day <= last
    }
    return tuple(
        ComingHoliday(
            day=day,
            name=by_hand.get(day) or national.get(day, ""),
            from_country=day in national,
            listed=day in by_hand,
        )
        for day in sorted(national.keys() | by_hand.keys())
    ), last


def _region(config: Mapping[str, object]) -> str:
    country = config.get("country")
    if not country:
        return ""
    subdivision = config.get("subdivision")
    return f"{country}-{subdivision}" if subdivision else str(country)


def _view(
    name: str, config: object, policies: Mapping[str, object], now: datetime | None = None
) -> CalendarView:
    book = policies.get("policies")
    used_by = tuple(
        sorted(
            policy_name
            for policy_name, policy in (book.items() if isinstance(book, dict) else ())
            if isinstance(policy, dict) and policy.get("calendar") == name
        )
    )
    if not isinstance(config, dict) or "union" in config:
        return CalendarView(name, True, "", {}, (), "", used_by)
    weekly = config.get("weekly")
    hours = {
        day: _hours_text(weekly.get(day) if isinstance(weekly, dict) else None) for day in WEEKDAYS
    }
    dates, names = _holidays_of(config)
    on_call = config.get("on_call")
    coming, coming_until = ((), None) if now is None else _coming(config, names, now)
    return CalendarView(
        name=name,
        union=False,
        tz=str(config.get("tz", "UTC")),
        hours=hours,
        holidays=tuple((day, names.get(day, "")) for day in sorted(dates)),
        on_call=", ".join(str(e) for e in on_call) if isinstance(on_call, list) else "",
        used_by=used_by,
        region=_region(config),
        coming=coming,
        coming_until=coming_until,
    )
