"""Reading a calendar from its JSON document (the form admins edit and the golden cases use),
held to bounds on what one calendar may hold, each refusal naming the part of the calendar.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sla.calendar import (
    WEEKDAYS,
    Calendar,
    CalendarError,
    UnionCalendar,
    WeeklyCalendar,
    Window,
)

# What one calendar may hold. Generous for any team (split shifts have two or three windows a
# day; a country lists about a dozen public holidays a year), small enough that reading and
# checking a calendar stays cheap and nothing recurses deep.
MAX_WINDOWS_PER_DAY = 12
MAX_HOLIDAYS = 1000  # and as many worked holidays (`not_holidays`), and as many overrides
MAX_ON_CALL = 50
MAX_UNION_DEPTH = 8  # a union inside a union...: follow-the-sun needs one level
MAX_UNION_MEMBERS = 16  # weekly calendars joined by a union, once nested unions are flattened
# Listed dates (holidays, overrides) lie within these: the years the admin pages offer.
FIRST_DATE = date(1970, 1, 1)
LAST_DATE = date(2100, 12, 31)


def calendar_from_config(config: Mapping[str, object], *, _depth: int = 0) -> Calendar:
    """A calendar from its JSON form (the form admins edit and the golden cases use):
    `{"tz", "weekly": {"mon": [["09:00", "19:00"]], ...}, "holidays": [...],
    "overrides": {"2024-12-24": [["09:00", "12:00"]]}}` or `{"union": [calendar, ...]}`.

    Held to the bounds above (MAX_...), each refusal naming the part of the calendar."""
    if not isinstance(config, Mapping):
        raise CalendarError(f"a calendar is an object, not {type(config).__name__}")
    if "union" in config:
        return _union_from_config(config["union"], _depth)
    weekly_config = config.get("weekly")
    if not isinstance(weekly_config, dict):
        raise CalendarError("'weekly' must map mon..sun to lists of windows")
    unknown = set(weekly_config) - set(WEEKDAYS)
    if unknown:
        raise CalendarError(f"unknown weekdays {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
    weekly = {
        WEEKDAYS.index(name): _windows(windows, name) for name, windows in weekly_config.items()
    }
    holidays = _dates(config.get("holidays", []), "holidays")
    overrides_config = config.get("overrides", {})
    if not isinstance(overrides_config, dict):
        raise CalendarError("'overrides' must map dates to lists of windows")
    if len(overrides_config) > MAX_HOLIDAYS:
        raise CalendarError(f"'overrides': at most {MAX_HOLIDAYS} dates")
    overrides = {_date(d, "overrides"): _windows(w, d) for d, w in overrides_config.items()}
    on_call = config.get("on_call", [])
    if not (isinstance(on_call, list) and all(isinstance(e, str) and "@" in e for e in on_call)):
        raise CalendarError("'on_call' must be a list of agents' e-mail addresses")
    if len(on_call) > MAX_ON_CALL:
        raise CalendarError(f"'on_call': at most {MAX_ON_CALL} people")
    country = config.get("country")
    subdivision = config.get("subdivision")
    not_holidays = _dates(config.get("not_holidays", []), "not_holidays")
    return WeeklyCalendar(
        str(config.get("tz", "UTC")),
        weekly,
        holidays,
        overrides,
        country=str(country) if country else None,
        subdivision=str(subdivision) if subdivision else None,
        not_holidays=not_holidays,
    )


def _union_from_config(members: object, depth: int) -> UnionCalendar:
    if not isinstance(members, list):
        raise CalendarError("'union' must be a list of calendars")
    if depth >= MAX_UNION_DEPTH:
        raise CalendarError(f"'union': unions nested more than {MAX_UNION_DEPTH} deep")
    if len(members) > MAX_UNION_MEMBERS:
        raise CalendarError(f"'union': at most {MAX_UNION_MEMBERS} calendars")
    joined: list[WeeklyCalendar] = []
    for member in members:
        if not isinstance(member, Mapping):
            raise CalendarError("'union' must be a list of calendars")
        parsed = calendar_from_config(member, _depth=depth + 1)
        joined.extend(parsed.members if isinstance(parsed, UnionCalendar) else (parsed,))
        # Counted as they come: nested unions can never multiply the work.
        if len(joined) > MAX_UNION_MEMBERS:
            raise CalendarError(f"'union': at most {MAX_UNION_MEMBERS} calendars in all")
    return UnionCalendar(tuple(joined))


def _list(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise CalendarError(f"'{what}' must be a list")
    return value


def _dates(value: object, what: str) -> frozenset[date]:
    listed = _list(value, what)
    if len(listed) > MAX_HOLIDAYS:
        raise CalendarError(f"'{what}': at most {MAX_HOLIDAYS} dates, not {len(listed)}")
    return frozenset(_date(d, what) for d in listed)


def _date(value: object, what: str = "date") -> date:
    try:
        day = date.fromisoformat(str(value))
    except ValueError as exc:
        raise CalendarError(f"'{what}': {str(value)[:40]!r} is not a date (YYYY-MM-DD)") from exc
    if not FIRST_DATE <= day <= LAST_DATE:
        raise CalendarError(f"'{what}': {day} is not between {FIRST_DATE} and {LAST_DATE}")
    return day


def _windows(value: object, where: object) -> tuple[Window, ...]:
    listed = _list(value, str(where))
    if len(listed) > MAX_WINDOWS_PER_DAY:
        raise CalendarError(f"{where}: at most {MAX_WINDOWS_PER_DAY} windows a day")
    windows = []
    for item in listed:
        if not (isinstance(item, list | tuple) and len(item) == 2):
            raise CalendarError(f"{where}: a window is a pair [start, end], not {item!r}")
        windows.append(Window.parse(str(item[0]), str(item[1])))
    return tuple(windows)
