"""SLA policies: targets, the calendar they count in, and which policy a thread gets.

A policy has targets for the first response, each next response and optionally the
resolution, with per-priority overrides; the calendar (by name) its business clock counts in;
whether approved community answers stop the clock; the share of the budget at which a
warning fires (75% by default); and whether a declared major incident suspends the business
clocks of the threads linked to it (off by default: the customer is the one waiting).
Policies are chosen by ordered rules, first match wins, on the thread's kind, priority,
network, team and the customer's VIP flag; a workspace always has a default.

Pure: no clock, no I/O. The instants come from `sla.calendar`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from inbox.domain.errors import ConfigurationError
from inbox.domain.network import Network
from inbox.domain.thread import Priority, ThreadKind
from sla.calendar import (
    Calendar,
    UnionCalendar,
    WeeklyCalendar,
    business_time,
    deadlines,
    opens_within,
)

# A target is at least a minute and at most 90 days of business time: a clock's budget in
# seconds then fits the 32-bit column that stores it, and its deadline stays within reach.
MAX_TARGET_MINUTES = 90 * 24 * 60
MAX_POLICIES = 50
MAX_POLICY_RULES = 200


class ClockKind(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class Targets(BaseModel):
    """Budgets in business minutes; no resolution target unless set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first_response: int = Field(default=60, ge=1, le=MAX_TARGET_MINUTES)
    next_response: int = Field(default=60, ge=1, le=MAX_TARGET_MINUTES)
    resolution: int | None = Field(default=None, ge=1, le=MAX_TARGET_MINUTES)

    def minutes(self, kind: ClockKind) -> int | None:
        match kind:
            case ClockKind.FIRST_RESPONSE:
                return self.first_response
            case ClockKind.NEXT_RESPONSE:
                return self.next_response
            case ClockKind.RESOLUTION:
                return self.resolution


class SlaPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    calendar: str = Field(
        min_length=1, max_length=100, description="the name of a calendar of the workspace"
    )
    targets: Targets = Targets()
    by_priority: dict[Priority, Targets] = Field(default_factory=dict)
    warn_at: float = Field(default=0.75, gt=0, lt=1)
    community_answers_count: bool = False
    out_of_hours_acknowledgement: bool = False
    # While a linked incident is declared major, the team cannot answer on the merits: the
    # business clocks pause (the customer's own wait never does).
    suspend_during_major_incidents: bool = False

    def targets_for(self, priority: Priority) -> Targets:
        return self.by_priority.get(priority, self.targets)

    def budget(self, kind: ClockKind, priority: Priority) -> timedelta | None:
        minutes = self.targets_for(priority).minutes(kind)
        return None if minutes is None else timedelta(minutes=minutes)


class ThreadFacts(BaseModel):
    """What policy selection looks at."""

    model_config = ConfigDict(frozen=True)

    kind: ThreadKind = ThreadKind.UNCLASSIFIED
    priority: Priority = Priority.NORMAL
    network: Network
    team_id: int | None = None
    vip: bool = False


class Condition(BaseModel):
    """Every field given must match; an empty condition matches every thread."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kinds: frozenset[ThreadKind] | None = None
    priorities: frozenset[Priority] | None = None
    networks: frozenset[Network] | None = None
    team_ids: frozenset[int] | None = None
    vip: bool | None = None

    def matches(self, facts: ThreadFacts) -> bool:
        return (
            (self.kinds is None or facts.kind in self.kinds)
            and (self.priorities is None or facts.priority in self.priorities)
            and (self.networks is None or facts.network in self.networks)
            and (self.team_ids is None or facts.team_id in self.team_ids)
            and (self.vip is None or facts.vip == self.vip)
        )


class PolicyRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    when: Condition
    policy: str


class PolicyBook(BaseModel):
    """A workspace's policies and the ordered rules that pick one; `default` when none match."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policies: dict[str, SlaPolicy] = Field(max_length=MAX_POLICIES)
    rules: tuple[PolicyRule, ...] = Field(default=(), max_length=MAX_POLICY_RULES)
    default: str

    @model_validator(mode="after")
    def _names_resolve(self) -> PolicyBook:
        named = {self.default, *(rule.policy for rule in self.rules)}
        missing = sorted(named - set(self.policies))
        if missing:
            raise ValueError(f"rules name policies that do not exist: {', '.join(missing)}")
        return self

    def select(self, facts: ThreadFacts) -> tuple[SlaPolicy, str]:
        """The policy for the thread and why (which rule, or the default)."""
        for number, rule in enumerate(self.rules, start=1):
            if rule.when.matches(facts):
                return self.policies[rule.policy], f"rule {number} matched"
        return self.policies[self.default], "no rule matched: the default policy"


Pause = tuple[datetime, datetime | None]


def clock_pauses(
    policy: SlaPolicy, own: Iterable[Pause] = (), major_incidents: Iterable[Pause] = ()
) -> tuple[Pause, ...]:
    """The pauses a business clock counts under the policy: its own (a resolution clock
    waiting on the customer) and, where the policy says so, the major incidents' windows
    (an open one, still in force, has no end)."""
    pauses = tuple(own)
    if policy.suspend_during_major_incidents:
        pauses += tuple(major_incidents)
    return pauses


@dataclass(frozen=True, slots=True)
class ClockPlan:
    """When a running clock warns and breaches, on the business clock."""

    deadline: datetime | None
    warn_at: datetime | None
    budget: timedelta


def plan_clock(
    policy: SlaPolicy,
    calendar: Calendar,
    kind: ClockKind,
    priority: Priority,
    started_at: datetime,
    pauses: Iterable[tuple[datetime, datetime | None]] = (),
) -> ClockPlan | None:
    """The deadline and warning instant of a clock, or None when the policy sets no target.

    A change of policy or priority calls this again with the same start and pauses: the
    elapsed time is kept and only the deadline moves."""
    budget = policy.budget(kind, priority)
    if budget is None:
        return None
    warning = timedelta(seconds=round(budget.total_seconds() * policy.warn_at))
    warn_at, due = deadlines(calendar, started_at, (warning, budget), pauses)
    return ClockPlan(deadline=due, warn_at=warn_at, budget=budget)


# -- whether a book's clocks can fall due -------------------------------------------------------

# A calendar a policy counts in must open within this long of any instant...
LONGEST_CLOSURE = timedelta(days=366)
# ...and each of the policy's targets must be used up within this long of a clock's start.
DUE_WITHIN = timedelta(days=2 * 366)
_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)


def check_clocks_can_fall_due(
    book: PolicyBook, calendars: Mapping[str, Calendar], now: datetime
) -> None:
    """Refuse, with a ConfigurationError naming the calendar or the target, a book under which
    a clock could never fall due: a policy counting in a calendar (or a calendar of a union)
    that stays closed for LONGEST_CLOSURE (no opening hours at all, or closed days over a long
    stretch), or a target not used up within DUE_WITHIN of a clock's start.

    Calendars no policy counts in are not looked at: an unused calendar may be kept.
    Time-dependent, so checked when settings are saved, never when stored ones are read."""
    checked: set[str] = set()
    for name, policy in sorted(book.policies.items()):
        calendar = calendars[policy.calendar]
        if policy.calendar not in checked:
            _check_opens(policy.calendar, calendar, name, now)
            checked.add(policy.calendar)
        _check_targets(name, policy, calendar, now)


def _check_opens(named: str, calendar: Calendar, policy: str, now: datetime) -> None:
    """Every calendar of a union must open on its own: a member closed for good would stop
    the union's walk (see `sla.calendar`) whatever the others do."""
    members = calendar.members if isinstance(calendar, UnionCalendar) else (calendar,)
    for number, member in enumerate(members, start=1):
        closed_from = _long_closure(member, now)
        if closed_from is not None:
            which = f"union member {number} ({member.tz}): " if len(members) > 1 else ""
            raise ConfigurationError(
                f"calendars.{named}",
                f"{which}not open at any time in the {LONGEST_CLOSURE.days} days from "
                f"{closed_from:%Y-%m-%d}, yet the policy '{policy}' counts in it: give it "
                "opening hours (or fewer closed days), or have the policy use another calendar",
            )


def _long_closure(calendar: WeeklyCalendar, now: datetime) -> datetime | None:
    """An instant from which the calendar stays closed for LONGEST_CLOSURE, or None.

    Tried from `now` and from each date the calendar lists and the day after: away from its
    listed dates a calendar with opening hours repeats week after week (public holidays close
    a few days a year), so a long closure begins at one of these or has already begun at
    `now`; and without opening hours it is closed from `now`. A start inside a closure already
    walked is skipped, so each closed stretch is walked once."""
    listed = calendar.listed_dates()
    starts = {now} | {_midnight(day) + offset for day in listed for offset in (timedelta(), _DAY)}
    opening: datetime | None = None
    for start in sorted(starts):
        if opening is not None and start <= opening:
            continue  # closed from an earlier start until `opening`: opens sooner from here
        opening = opens_within(calendar, start, LONGEST_CLOSURE)
        if opening is None:
            return start
    return None


def _check_targets(name: str, policy: SlaPolicy, calendar: Calendar, now: datetime) -> None:
    """The policy's largest target, started now and a week after the calendar's last listed
    date (from there on it repeats), is used up within DUE_WITHIN."""
    field, minutes = max(_targets(name, policy), key=lambda target: target[1])
    listed = calendar.listed_dates()
    after_listed = _midnight(max(listed)) + _WEEK if listed else now
    for start in sorted({now, max(now, after_listed)}):
        open_time = business_time(calendar, start, start + DUE_WITHIN)
        if open_time < timedelta(minutes=minutes):
            raise ConfigurationError(
                field,
                f"{minutes} business minutes would not be used up within {DUE_WITHIN.days} "
                f"days on the calendar '{policy.calendar}' (open "
                f"{open_time.total_seconds() / 3600:.0f} hours in the {DUE_WITHIN.days} days "
                f"from {start:%Y-%m-%d}): set a smaller target",
            )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _targets(name: str, policy: SlaPolicy) -> Iterator[tuple[str, int]]:
    """(the field, the minutes) of every target the policy sets."""
    sets = [("targets", policy.targets)]
    sets += [(f"by_priority.{p.value}", t) for p, t in policy.by_priority.items()]
    for prefix, targets in sets:
        for kind in ClockKind:
            minutes = targets.minutes(kind)
            if minutes is not None:
                yield f"policies.{name}.{prefix}.{kind.value}", minutes
