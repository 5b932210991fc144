"""Deriving a thread's SLA clocks from its timeline under the rules: which clocks run, their
deadlines and warnings, which finished ones keep the plan they ran under, what differs from
the stored clocks, and the out-of-hours acknowledgements due for clocks that start now.

Pure planning, no I/O: the hook that reads and saves clocks is inbox.usecases.sla.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from inbox.domain.sla import StoredClock, ThreadTimeline
from inbox.usecases.sla_rules import SlaRules, Target
from sla.acknowledge import acknowledgement
from sla.calendar import Calendar, UnionCalendar, business_time, is_open, next_opening
from sla.clocks import ClockSpan, resolution_spans, response_spans
from sla.policy import ClockKind, Pause, SlaPolicy, plan_clock

FIRST_RESPONSE = ClockKind.FIRST_RESPONSE.value
RESOLUTION = ClockKind.RESOLUTION.value


def clocks_of(
    timeline: ThreadTimeline,
    policy: SlaPolicy,
    rules: SlaRules,
    existing: dict[tuple[int, str, datetime], StoredClock],
    suspended: tuple[Pause, ...] = (),
) -> list[StoredClock]:
    """`suspended`: the major incidents' windows the policy pauses the thread's clocks for."""
    clocks = _response_clocks(timeline, policy, rules, existing, suspended)
    resolution = rules.target(policy, ClockKind.RESOLUTION, timeline.priority)
    if resolution is not None:
        clocks.extend(_resolution_clocks(timeline, policy, rules, resolution, existing, suspended))
    return clocks


def _resolution_clocks(
    timeline: ThreadTimeline,
    policy: SlaPolicy,
    rules: SlaRules,
    target: Target,
    existing: dict[tuple[int, str, datetime], StoredClock],
    suspended: tuple[Pause, ...] = (),
) -> list[StoredClock]:
    """Where the policy sets a resolution target: one clock per opening of the thread, paused
    while it waits on the customer (and while a major incident suspends it). Planned afresh
    each time (its pauses move it); finished clocks keep their plan."""
    clocks = []
    for span in resolution_spans(timeline.messages):
        stored = existing.get((timeline.thread_id, RESOLUTION, span.started_at))
        if (
            stored is not None
            and stored.stopped_at is not None
            and stored.stopped_at == span.stopped_at
        ):
            clocks.append(stored)
            continue
        whole = ClockSpan(ClockKind.RESOLUTION, span.started_at, span.stopped_at, span.excluded)
        clocks.append(_new_clock(timeline, policy, rules, target, whole, span.pauses + suspended))
    return clocks


def _response_clocks(
    timeline: ThreadTimeline,
    policy: SlaPolicy,
    rules: SlaRules,
    existing: dict[tuple[int, str, datetime], StoredClock],
    suspended: tuple[Pause, ...] = (),
) -> list[StoredClock]:
    messages = timeline.messages
    if len(messages) == 1 and messages[0].inbound and not suspended:
        # Most threads of a batch: one customer message, its clock not stored yet. The span
        # is the one response_spans gives such a thread, planned as _new_clock would.
        started_at = messages[0].at
        if (timeline.thread_id, FIRST_RESPONSE, started_at) not in existing:
            target = rules.target(policy, ClockKind.FIRST_RESPONSE, timeline.priority)
            if target is None:
                return []
            if target.due_after is None or target.warn_after is None:
                span = ClockSpan(ClockKind.FIRST_RESPONSE, started_at, None)
                return [_new_clock(timeline, policy, rules, target, span)]
            # Around the clock: nothing to work out but two additions.
            return [
                StoredClock(
                    thread_id=timeline.thread_id,
                    kind=FIRST_RESPONSE,
                    started_at=started_at,
                    stopped_at=None,
                    policy=policy.name,
                    calendar=policy.calendar,
                    config_version=rules.version,
                    budget_seconds=target.budget_seconds,
                    deadline=started_at + target.due_after,
                    warn_at=started_at + target.warn_after,
                    business_seconds=None,
                    arrived_in_hours=True,
                )
            ]
    calendar = rules.calendars[policy.calendar]
    clocks = []
    for span in response_spans(messages):
        stored = existing.get((timeline.thread_id, span.kind.value, span.started_at))
        if (
            stored is not None
            and stored.stopped_at is not None
            and (stored.stopped_at == span.stopped_at)
        ):
            # Finished clocks keep the plan they ran under, whatever changed since.
            clocks.append(stored)
            continue
        target = rules.target(policy, span.kind, timeline.priority)
        if target is None:
            continue
        if suspended:
            # Planned under the same settings, yet its pauses may have moved since.
            clocks.append(_new_clock(timeline, policy, rules, target, span, suspended))
            continue
        if stored is not None and _still_planned(stored, policy, rules.version, target):
            if stored.stopped_at != span.stopped_at:
                stored = replace(
                    stored,
                    stopped_at=span.stopped_at,
                    business_seconds=_business_seconds(calendar, span.started_at, span.stopped_at),
                    outcome="excluded" if span.excluded else None,
                )
            clocks.append(stored)
            continue
        clocks.append(_new_clock(timeline, policy, rules, target, span))
    return clocks


def _new_clock(
    timeline: ThreadTimeline,
    policy: SlaPolicy,
    rules: SlaRules,
    target: Target,
    span: ClockSpan,
    pauses: tuple[Pause, ...] = (),
) -> StoredClock:
    """The clock of a span planned afresh under the policy, paused for `pauses` (a resolution
    clock's waits on the customer, a major incident's windows; a pause without an end leaves
    it without a deadline)."""
    calendar = rules.calendars[policy.calendar]
    start = span.started_at
    if not pauses and target.due_after is not None and target.warn_after is not None:
        # Around the clock (the default policy) and nothing paused: no calendar to walk.
        deadline: datetime | None = start + target.due_after
        warn_at: datetime | None = start + target.warn_after
        arrived_in_hours = True
    else:
        plan = plan_clock(policy, calendar, span.kind, timeline.priority, start, pauses)
        assert plan is not None
        deadline, warn_at = plan.deadline, plan.warn_at
        arrived_in_hours = is_open(calendar, start)
    return StoredClock(
        thread_id=timeline.thread_id,
        kind=span.kind.value,
        started_at=start,
        stopped_at=span.stopped_at,
        policy=policy.name,
        calendar=policy.calendar,
        config_version=rules.version,
        budget_seconds=target.budget_seconds,
        deadline=deadline,
        warn_at=warn_at,
        business_seconds=_business_seconds(calendar, start, span.stopped_at, pauses),
        arrived_in_hours=arrived_in_hours,
        outcome="excluded" if span.excluded else None,
    )


def _business_seconds(
    calendar: Calendar, start: datetime, stop: datetime | None, pauses: tuple[Pause, ...] = ()
) -> int | None:
    if stop is None:
        return None
    return int(business_time(calendar, start, stop, pauses).total_seconds())


# Only messages this recent are acknowledged: a backfill of old ones must not send any.
ACKNOWLEDGE_WITHIN = timedelta(hours=2)


def out_of_hours_acknowledgements(
    timeline: ThreadTimeline,
    policy: SlaPolicy,
    clocks: list[StoredClock],
    existing: dict[tuple[int, str, datetime], StoredClock],
    rules: SlaRules,
    now: datetime,
) -> list[tuple[int, str, str]]:
    """Out-of-hours acknowledgements for clocks that start now, when the policy wants them.
    They never stop a clock (they are posted as automated)."""
    if not policy.out_of_hours_acknowledgement:
        return []
    calendar = rules.calendars[policy.calendar]
    zone = calendar.members[0].zone if isinstance(calendar, UnionCalendar) else calendar.zone
    found = []
    for clock in clocks:
        fresh = clock_key(clock) not in existing and now - clock.started_at <= ACKNOWLEDGE_WITHIN
        if fresh and clock.stopped_at is None and clock.arrived_in_hours is False:
            back = next_opening(calendar, clock.started_at).astimezone(zone)
            arrived = clock.started_at.astimezone(zone).date()
            key = f"ooh:{clock.thread_id}:{clock.kind}:{clock.started_at.isoformat()}"
            found.append((clock.thread_id, key, acknowledgement(timeline.language, arrived, back)))
    return found


def clock_key(clock: StoredClock) -> tuple[int, str, datetime]:
    return clock.thread_id, clock.kind, clock.started_at


def differs(stored: StoredClock | None, derived: StoredClock) -> bool:
    """Whether anything but the outcome (the store works it out) differs."""
    if stored is None:
        return True
    if stored == derived:
        return False
    if stored.outcome == derived.outcome:
        return True
    return replace(stored, outcome=None) != replace(derived, outcome=None)


def _still_planned(stored: StoredClock, policy: SlaPolicy, version: int, target: Target) -> bool:
    return (
        stored.config_version == version
        and stored.policy == policy.name
        and stored.budget_seconds == target.budget_seconds
    )
