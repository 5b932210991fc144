"""Keeping every thread's SLA clocks in step with its messages, inside the batch transaction.

After a batch is written, the clocks of the threads it changed are derived again from their
whole message history (sla.clocks), planned under the policy the thread's facts select
(sla.policy) and the policy's calendar (sla.calendar), and saved: new clocks start, answered
ones stop, and clocks whose policy, priority or configuration changed get a new deadline
while keeping their start. Clocks already planned under the same configuration are not
planned again, except those of threads linked to a major incident under a policy that suspends
them: their pauses (the incident's major windows) move their deadlines, so they are planned
afresh each time and saved when something changed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from inbox.domain.clock import Clock, utc_now
from inbox.domain.documents import check_document
from inbox.domain.errors import ConfigurationError, ConflictError, NotFoundError
from inbox.domain.ingestion import IngestResult, NewThreadTimeline
from inbox.domain.sla import SlaSettings, StoredClock, ThreadTimeline
from inbox.domain.thread import Priority
from inbox.ports.ingest import IngestUnitOfWork
from inbox.ports.routing import WaitingThreads
from inbox.ports.sla import ClockWriter, SlaSettingsStore
from sla.acknowledge import acknowledgement
from sla.calendar import (
    WEEKDAYS,
    Calendar,
    CalendarError,
    UnionCalendar,
    business_time,
    calendar_from_config,
    is_always_open,
    is_open,
    next_opening,
)
from sla.clocks import ClockSpan, resolution_spans, response_spans
from sla.policy import (
    ClockKind,
    Pause,
    PolicyBook,
    SlaPolicy,
    ThreadFacts,
    check_clocks_can_fall_due,
    clock_pauses,
    plan_clock,
)

log = logging.getLogger(__name__)

MAX_CALENDARS = 50
# Calendars and policies together, as JSON: fifty calendars of a thousand named holidays.
LONGEST_SETTINGS = 2_000_000
MAX_SETTINGS_VALUES = 1_000_000

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


class KeepClocks:
    """The AfterIngestHook that starts, stops and re-plans SLA clocks."""

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self._rules: dict[tuple[int, int], SlaRules] = {}
        self._clock = clock

    def remember(self, workspace_id: int, rules: SlaRules) -> None:
        """Rules just saved (and committed) as their version: not parsed again."""
        self._rules[(workspace_id, rules.version)] = rules

    def rules_for(self, workspace_id: int, settings: SlaSettings | None) -> SlaRules:
        settings = settings or DEFAULT_SETTINGS
        key = (workspace_id, settings.version)
        rules = self._rules.get(key)
        if rules is None:
            try:
                rules = SlaRules.parse(settings)
            except ConfigurationError as error:
                # Settings are validated when saved; should a bad one slip through, messages
                # must still be stored: clocks fall back to the default and the error is loud.
                log.error(
                    "SLA settings unusable; default policy applied",
                    extra={
                        "action": "sla_settings_error",
                        "workspace_id": workspace_id,
                        "error": str(error),
                    },
                )
                rules = SlaRules.parse(DEFAULT_SETTINGS)
            self._rules[key] = rules
        return rules

    async def __call__(
        self, uow: IngestUnitOfWork, workspace_id: int, result: IngestResult
    ) -> None:
        thread_ids = sorted(result.changed_thread_ids)
        if thread_ids:
            created, written = result.created_thread_ids, result.new_thread_timelines
            await self.keep(uow.clocks, workspace_id, thread_ids, created, written=written)

    async def keep(
        self,
        writer: ClockWriter,
        workspace_id: int,
        thread_ids: Sequence[int],
        created: frozenset[int] = frozenset(),
        *,
        rules: SlaRules | None = None,
        written: Mapping[int, NewThreadTimeline] | None = None,
    ) -> None:
        """Bring these threads' clocks in line with their messages and the settings (the
        stored ones, or `rules` when given: settings being saved in the writer's
        transaction, which must not be remembered before it commits). `created`: threads
        the writer's transaction created, `written` the timelines it wrote into them."""
        if rules is None:
            rules = self.rules_for(workspace_id, await writer.sla_settings(workspace_id))
        with_history = [t for t in thread_ids if t not in created]
        existing = (
            {_key(c): c for c in await writer.clocks_of(workspace_id, with_history)}
            if with_history
            else {}
        )
        changed: list[StoredClock] = []
        kept: set[tuple[int, str, datetime]] = set()
        acknowledgements: list[tuple[int, str, str]] = []
        now = self._clock()
        windows: dict[int, list[Pause]] = {}
        if rules.suspends:
            for window in await writer.major_incident_windows(workspace_id, thread_ids):
                windows.setdefault(window.thread_id, []).append(
                    (window.started_at, window.ended_at)
                )
        for timeline in await writer.timelines(workspace_id, thread_ids, written):
            policy = rules.policy_for(timeline)
            suspended = clock_pauses(policy, major_incidents=windows.get(timeline.thread_id, ()))
            clocks = _clocks_of(timeline, policy, rules, existing, suspended)
            if timeline.thread_id in created or not existing:
                changed.extend(clocks)  # nothing stored to compare with
            else:
                # Only what changed goes back: most clocks of a busy thread are already as
                # derived.
                for clock in clocks:
                    key = _key(clock)
                    kept.add(key)
                    if _differs(existing.get(key), clock):
                        changed.append(clock)
            if policy.out_of_hours_acknowledgement:
                acknowledgements.extend(
                    _acknowledgements(timeline, policy, clocks, existing, rules, now)
                )
        await writer.queue_acknowledgements(workspace_id, acknowledgements)
        stale = [c for key, c in existing.items() if key not in kept and c.outcome != "excluded"]
        if changed or stale:
            await writer.save_clocks(workspace_id, changed, stale, fresh=created)


FIRST_RESPONSE = ClockKind.FIRST_RESPONSE.value
RESOLUTION = ClockKind.RESOLUTION.value


def _clocks_of(
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
    calendar = rules.calendars[policy.calendar]
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
        pauses = span.pauses + suspended
        plan = plan_clock(
            policy, calendar, ClockKind.RESOLUTION, timeline.priority, span.started_at, pauses
        )
        assert plan is not None
        business = (
            None
            if span.stopped_at is None
            else int(
                business_time(calendar, span.started_at, span.stopped_at, pauses)
                .total_seconds()
            )
        )  # fmt: skip
        clocks.append(
            StoredClock(
                thread_id=timeline.thread_id,
                kind=RESOLUTION,
                started_at=span.started_at,
                stopped_at=span.stopped_at,
                policy=policy.name,
                calendar=policy.calendar,
                config_version=rules.version,
                budget_seconds=target.budget_seconds,
                deadline=plan.deadline,
                warn_at=plan.warn_at,
                business_seconds=business,
                arrived_in_hours=is_open(calendar, span.started_at),
                outcome="excluded" if span.excluded else None,
            )
        )
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
    """The clock of a span planned afresh under the policy, paused for `pauses` (a major
    incident's window without an end leaves it without a deadline)."""
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


def _acknowledgements(
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
        fresh = _key(clock) not in existing and now - clock.started_at <= ACKNOWLEDGE_WITHIN
        if fresh and clock.stopped_at is None and clock.arrived_in_hours is False:
            back = next_opening(calendar, clock.started_at).astimezone(zone)
            arrived = clock.started_at.astimezone(zone).date()
            key = f"ooh:{clock.thread_id}:{clock.kind}:{clock.started_at.isoformat()}"
            found.append((clock.thread_id, key, acknowledgement(timeline.language, arrived, back)))
    return found


def _key(clock: StoredClock) -> tuple[int, str, datetime]:
    return clock.thread_id, clock.kind, clock.started_at


def _differs(stored: StoredClock | None, derived: StoredClock) -> bool:
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


class SaveSlaSettings:
    """Check a workspace's calendars and policies whole, then store them and re-plan its
    running clocks in one transaction (finished clocks keep the plan they ran under).

    Anything wrong is refused with a ConfigurationError naming the calendar or the field,
    and then nothing has changed: neither the settings nor any clock. Ingestion of the
    workspace waits for the transaction, so no batch is planned under half-saved settings.
    """

    def __init__(
        self,
        store: SlaSettingsStore,
        clocks: KeepClocks,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._clocks = clocks
        self._clock = clock

    async def __call__(
        self, workspace_id: int, calendars: dict[str, object], policies: dict[str, object]
    ) -> tuple[int, int]:
        """(the new settings version, threads whose running clocks were re-planned)."""
        # Reading calendars and walking them is CPU work: off the event loop.
        checked = await asyncio.to_thread(_checked_settings, calendars, policies, self._clock())
        try:
            async with self._store.settings_transaction(workspace_id) as writer:
                version = await writer.save_settings(workspace_id, calendars, policies)
                rules = replace(checked, version=version)
                replanned = 0
                for thread_ids in await writer.threads_with_running_clocks(workspace_id):
                    await self._clocks.keep(writer, workspace_id, thread_ids, rules=rules)
                    replanned += len(thread_ids)
        except (CalendarError, OverflowError) as exc:
            # A running clock whose start lies where the checks do not look (a backfilled
            # message from long ago); the transaction has been rolled back.
            raise ConfigurationError(
                "SLA settings", f"the running clocks cannot be re-planned under them: {exc}"
            ) from exc
        self._clocks.remember(workspace_id, rules)
        log.info(
            "SLA settings saved",
            extra={
                "action": "sla_settings_saved",
                "workspace_id": workspace_id,
                "version": version,
                "replanned_threads": replanned,
            },
        )
        return version, replanned

    async def current(self, workspace_id: int) -> SlaSettings:
        return await self._store.load(workspace_id) or DEFAULT_SETTINGS


def _checked_settings(
    calendars: dict[str, object], policies: dict[str, object], now: datetime
) -> SlaRules:
    """Everything settings must pass to be saved at `now`, the field named otherwise."""
    # Depth and finite numbers first, so that nothing below meets a document it could choke
    # on; the count bound is loose, for the engine's own bounds to name what is too long.
    check_document(calendars, "calendars", max_values=MAX_SETTINGS_VALUES)
    check_document(policies, "policies", max_values=MAX_SETTINGS_VALUES)
    rules = SlaRules.admitted(SlaSettings(0, calendars, policies), now)
    # What the engine does not read (holiday names) is bounded by the document's size.
    if len(json.dumps([calendars, policies])) > LONGEST_SETTINGS:
        raise ConfigurationError("SLA settings", f"at most {LONGEST_SETTINGS} characters")
    return rules


CLOSURE_REASONS = ("no_reply_needed", "deleted", "hidden", "resolved")


def _checked_reason(reason: str) -> None:
    if reason not in CLOSURE_REASONS:
        raise ConfigurationError("reason", f"one of {', '.join(CLOSURE_REASONS)}")


class CloseWithoutReply:
    """ "No reply needed" (spam, praise), a post deleted by its author, a hidden comment: the
    thread is resolved and its waiting clock ends excluded from the figures, in one
    transaction. A later customer message reopens the thread and starts a new clock. Once
    closed, the seats it frees go to threads waiting in the queues (`waiting`)."""

    def __init__(
        self,
        store: SlaSettingsStore,
        clocks: KeepClocks,
        *,
        clock: Clock = utc_now,
        waiting: WaitingThreads | None = None,
    ) -> None:
        self._store = store
        self._clocks = clocks
        self._clock = clock
        self._waiting = waiting

    async def many(
        self, workspace_id: int, thread_ids: Sequence[int], reason: str, closed_by: str
    ) -> list[int]:
        """Close many threads in one transaction (set-based); those actually closed."""
        _checked_reason(reason)
        async with self._store.clock_transaction(workspace_id) as writer:
            closed = await writer.record_closures(
                workspace_id, thread_ids, self._clock(), reason, closed_by
            )
            await self._clocks.keep(writer, workspace_id, closed)
        if self._waiting is not None:
            await self._waiting.seats_freed(workspace_id, closed)
        return closed

    async def __call__(
        self, workspace_id: int, thread_id: int, reason: str, closed_by: str
    ) -> None:
        _checked_reason(reason)
        async with self._store.clock_transaction(workspace_id) as writer:
            if not await writer.record_closure(
                workspace_id, thread_id, self._clock(), reason, closed_by
            ):
                if reason == "resolved" and await writer.thread_exists(workspace_id, thread_id):
                    raise ConflictError(
                        "the customer is still waiting for an answer: reply, or close the "
                        "thread as needing no reply"
                    )
                raise NotFoundError("thread", thread_id)
            await self._clocks.keep(writer, workspace_id, [thread_id])
        if self._waiting is not None:
            await self._waiting.seats_freed(workspace_id, [thread_id])
