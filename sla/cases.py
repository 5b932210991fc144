"""Expected-outcome cases for calendars: an admin writes what they expect of a calendar (the
deadline of a message, the business and wall-clock minutes elapsed at some instant, whether it
breached) and the engine says, case by case, whether it agrees.

The format is the one of the SLA golden cases: `{"cases": [{"id", "calendar", "arrived_at",
"target_minutes", "expected_deadline", "now", "expected_business_minutes_elapsed",
"expected_wall_clock_minutes_elapsed", "expected_breached", "events": {"pauses": [[start,
end|null], ...], "first_response_at"}}]}`. Every `expected_*` key is optional; those present
are checked. A case that cannot be read fails with the reason, and the others still run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from inbox.domain.errors import InboxError
from sla.calendar import Calendar, CalendarError, business_time, deadline
from sla.calendar_config import calendar_from_config

Pause = tuple[datetime, datetime | None]


class CaseError(InboxError, ValueError):
    """A case, or the document holding it, is not in the expected form."""


@dataclass(frozen=True, slots=True)
class Expected:
    """What the author expects; `None` where they do not say (the deadline may be expected to
    be `None` itself, hence `has_deadline`)."""

    has_deadline: bool = False
    deadline: datetime | None = None
    business_minutes: float | None = None
    wall_clock_minutes: float | None = None
    breached: bool | None = None


@dataclass(frozen=True, slots=True)
class SlaCase:
    case_id: str
    calendar: Calendar
    arrived_at: datetime
    target: timedelta
    expected: Expected
    now: datetime | None = None
    pauses: tuple[Pause, ...] = ()
    first_response_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    case_id: str
    mismatches: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.mismatches

    def line(self) -> str:
        if self.passed:
            return f"PASS {self.case_id}"
        return f"FAIL {self.case_id}: {'; '.join(self.mismatches)}"


def case_documents(document: object) -> list[object]:
    """The list of cases of a document (`{"cases": [...]}` or a bare list)."""
    cases = document.get("cases") if isinstance(document, Mapping) else document
    if not isinstance(cases, list):
        raise CaseError('expected {"cases": [...]} or a list of cases')
    return cases


def check_all(document: object) -> list[Verdict]:
    """A verdict for every case of the document, in order."""
    verdicts = []
    for position, raw in enumerate(case_documents(document), start=1):
        case_id = _case_id(raw, position)
        try:
            case = parse_case(raw, case_id)
        except (CaseError, CalendarError) as exc:
            verdicts.append(Verdict(case_id, (f"invalid case: {exc}",)))
            continue
        verdicts.append(check(case))
    return verdicts


def check(case: SlaCase) -> Verdict:
    expected = case.expected
    mismatches: list[str] = []
    computed = deadline(case.calendar, case.arrived_at, case.target, case.pauses)
    if expected.has_deadline and computed != expected.deadline:
        mismatches.append(f"expected deadline {_show(expected.deadline)}, got {_show(computed)}")
    wants_now = (
        expected.business_minutes is not None
        or expected.wall_clock_minutes is not None
        or (expected.breached is not None and case.first_response_at is None)
    )
    if wants_now and case.now is None:
        mismatches.append("'now' is needed for the elapsed minutes and a running breach")
        return Verdict(case.case_id, tuple(mismatches))
    if expected.business_minutes is not None and case.now is not None:
        elapsed = business_time(case.calendar, case.arrived_at, case.now, case.pauses)
        if elapsed != timedelta(minutes=expected.business_minutes):
            mismatches.append(
                f"expected {_minutes(expected.business_minutes)} business minutes elapsed, "
                f"got {_minutes(elapsed / timedelta(minutes=1))}"
            )
    if expected.wall_clock_minutes is not None and case.now is not None:
        wall = case.now - case.arrived_at
        if wall != timedelta(minutes=expected.wall_clock_minutes):
            mismatches.append(
                f"expected {_minutes(expected.wall_clock_minutes)} wall-clock minutes elapsed, "
                f"got {_minutes(wall / timedelta(minutes=1))}"
            )
    if expected.breached is not None:
        breached = _breached(computed, case.first_response_at, case.now)
        if breached is not expected.breached:
            mismatches.append(
                f"expected {'a breach' if expected.breached else 'no breach'}, "
                f"got {'a breach' if breached else 'no breach'}"
            )
    return Verdict(case.case_id, tuple(mismatches))


def _breached(computed: datetime | None, responded: datetime | None, now: datetime | None) -> bool:
    """Strictly after the deadline: a response exactly at it is in time."""
    if computed is None:
        return False
    if responded is not None:
        return responded > computed
    return now is not None and now > computed


def parse_case(raw: object, case_id: str) -> SlaCase:
    if not isinstance(raw, Mapping):
        raise CaseError("a case is a JSON object")
    calendar_config = raw.get("calendar")
    if not isinstance(calendar_config, Mapping):
        raise CaseError("'calendar' must be an object")
    arrived = _instant(raw.get("arrived_at"), "arrived_at")
    if arrived is None:
        raise CaseError("'arrived_at' is required")
    target = raw.get("target_minutes")
    if isinstance(target, bool) or not isinstance(target, int | float) or target < 0:
        raise CaseError("'target_minutes' must be a number of minutes, 0 or more")
    events = raw.get("events") or {}
    if not isinstance(events, Mapping):
        raise CaseError("'events' must be an object")
    return SlaCase(
        case_id=case_id,
        calendar=calendar_from_config(calendar_config),
        arrived_at=arrived,
        target=timedelta(minutes=target),
        expected=Expected(
            has_deadline="expected_deadline" in raw,
            deadline=_instant(raw.get("expected_deadline"), "expected_deadline"),
            business_minutes=_number(raw, "expected_business_minutes_elapsed"),
            wall_clock_minutes=_number(raw, "expected_wall_clock_minutes_elapsed"),
            breached=_flag(raw, "expected_breached"),
        ),
        now=_instant(raw.get("now"), "now"),
        pauses=_pauses(events.get("pauses", [])),
        first_response_at=_instant(events.get("first_response_at"), "first_response_at"),
    )


def _case_id(raw: object, position: int) -> str:
    if isinstance(raw, Mapping) and isinstance(raw.get("id"), str) and raw["id"].strip():
        # One line per case: an id cannot smuggle in a line of its own.
        return " ".join(str(raw["id"]).split())
    return f"case #{position}"


def _instant(value: object, what: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise CaseError(f"'{what}' must be an ISO 8601 instant")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CaseError(f"'{what}': {value!r} is not an ISO 8601 instant") from exc
    if parsed.tzinfo is None:
        raise CaseError(f"'{what}': {value!r} has no UTC offset; an instant needs one")
    return parsed


def _number(raw: Mapping[str, object], key: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CaseError(f"'{key}' must be a number")
    return float(value)


def _flag(raw: Mapping[str, object], key: str) -> bool | None:
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise CaseError(f"'{key}' must be true or false")


def _pauses(value: object) -> tuple[Pause, ...]:
    if not isinstance(value, list):
        raise CaseError("'events.pauses' must be a list of [start, end|null]")
    pauses: list[Pause] = []
    for item in value:
        if not (isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2):
            raise CaseError(f"a pause is [start, end|null], not {item!r}")
        start = _instant(item[0], "pause start")
        if start is None:
            raise CaseError("a pause needs a start")
        end = _instant(item[1], "pause end")
        if end is not None and end < start:
            raise CaseError(f"a pause ends before it starts: {item!r}")
        pauses.append((start, end))
    return tuple(pauses)


def _show(instant: datetime | None) -> str:
    if instant is None:
        return "none"
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _minutes(value: float) -> str:
    return f"{value:g}"
