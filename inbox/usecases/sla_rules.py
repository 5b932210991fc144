"""A workspace's SLA settings read into rules: its calendars and policy book, parsed and
checked once per settings version, with the targets each policy sets worked out once.

The rules are what clocks are planned under (inbox.usecases.sla_plan); the settings a
workspace has not written are DEFAULT_SETTINGS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from inbox.domain.errors import ConfigurationError
from inbox.domain.sla import SlaSettings, ThreadTimeline
from inbox.domain.thread import Priority
from sla.calendar import WEEKDAYS, Calendar, CalendarError, is_always_open
from sla.calendar_config import calendar_from_config
from sla.policy import (
    ClockKind,
    PolicyBook,
    SlaPolicy,
    ThreadFacts,
    check_clocks_can_fall_due,
    plan_clock,
)

MAX_CALENDARS = 50

# Without settings of its own, a workspace answers within one hour, around the clock.
DEFAULT_SETTINGS = SlaSettings(
    version=0,
    calendars={"always": {"tz": "UTC", "weekly": {day: [["00:00", "24:00"]] for day in WEEKDAYS}}},
    policies={
        "policies": {"one hour": {"name": "one hour", "calendar": "always"}},
        "default": "one hour",
    },
)


@dataclass(frozen=True, slots=True)
class Target:
    """What a policy sets for one kind of clock at one priority, worked out once per rules.

    `warn_after` and `due_after` are set when the policy's calendar is open around the clock:
    a clock's instants are then its start plus these, whatever the start."""

    budget_seconds: int
    warn_after: timedelta | None
    due_after: timedelta | None


# Any instant does: around the clock, plan_clock's instants are the start plus constants.
_REFERENCE = datetime(2000, 1, 3, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SlaRules:
    version: int
    calendars: dict[str, Calendar]
    book: PolicyBook
    # Threads share a handful of fact combinations: select each policy once.
    _selected: dict[tuple[object, ...], SlaPolicy] = field(default_factory=dict)
    # And a handful of (policy, kind, priority): work out each target once (None: no target).
    # Keyed by identity: two policies of a book may share a name. The book keeps them alive.
    _targets: dict[tuple[int, ClockKind, Priority], Target | None] = field(default_factory=dict)
    # Whether any policy suspends clocks during major incidents: if none does, the incidents'
    # windows are not even read.
    suspends: bool = False

    def target(self, policy: SlaPolicy, kind: ClockKind, priority: Priority) -> Target | None:
        key = (id(policy), kind, priority)
        try:
            return self._targets[key]
        except KeyError:
            pass
        target = None
        budget = policy.budget(kind, priority)
        if budget is not None:
            calendar = self.calendars[policy.calendar]
            warn_after = due_after = None
            if is_always_open(calendar):
                # Offsets taken from plan_clock itself, so that the shortcut cannot drift from
                # it: around the clock its instants are the start plus constants.
                plan = plan_clock(policy, calendar, kind, priority, _REFERENCE)
                assert plan is not None
                assert plan.deadline is not None
                assert plan.warn_at is not None
                warn_after, due_after = plan.warn_at - _REFERENCE, plan.deadline - _REFERENCE
            target = Target(int(budget.total_seconds()), warn_after, due_after)
        self._targets[key] = target
        return target

    def policy_for(self, timeline: ThreadTimeline) -> SlaPolicy:
        key = (timeline.kind, timeline.priority, timeline.network, timeline.team_id, timeline.vip)
        policy = self._selected.get(key)
        if policy is None:
            facts = ThreadFacts(
                kind=timeline.kind,
                priority=timeline.priority,
                network=timeline.network,
                team_id=timeline.team_id,
                vip=timeline.vip,
            )
            policy = self._selected[key] = self.book.select(facts)[0]
        return policy

    @classmethod
    def parse(cls, settings: SlaSettings) -> SlaRules:
        """The settings read and checked (ConfigurationError naming the calendar or the
        policy's field otherwise). Not whether clocks can fall due: see `admitted`."""
        if len(settings.calendars) > MAX_CALENDARS:
            raise ConfigurationError("calendars", f"at most {MAX_CALENDARS} calendars")
        calendars = {}
        for name, config in settings.calendars.items():
            if not isinstance(config, dict):
                raise ConfigurationError(f"calendars.{name}", "a calendar is an object")
            try:
                calendars[name] = calendar_from_config(config)
            except CalendarError as exc:
                raise ConfigurationError(f"calendars.{name}", str(exc)) from exc
        try:
            book = PolicyBook.model_validate(settings.policies)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ConfigurationError(where or "policies", first["msg"]) from exc
        for name, policy in sorted(book.policies.items()):
            if policy.calendar not in calendars:
                known = ", ".join(sorted(calendars)) or "none"
                raise ConfigurationError(
                    f"policies.{name}.calendar",
                    f"unknown calendars: {policy.calendar}; the calendars are {known}",
                )
        suspends = any(p.suspend_during_major_incidents for p in book.policies.values())
        return cls(settings.version, calendars, book, suspends=suspends)

    @classmethod
    def admitted(cls, settings: SlaSettings, now: datetime) -> SlaRules:
        """`parse`, and refused unless every policy's clocks can fall due (see
        `check_clocks_can_fall_due`): what settings must pass to be saved at `now`."""
        rules = cls.parse(settings)
        check_clocks_can_fall_due(rules.book, rules.calendars, now)
        return rules
