"""Clocks suspended during a declared major incident, where the policy says so: no deadline
while the incident is major, a deadline later by the business time it covered once it ends,
and the customer's wait never paused."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from inbox.domain.network import Network
from inbox.domain.sla import (
    MajorIncidentWindow,
    SlaSettings,
    StoredClock,
    ThreadTimeline,
    TimelineEntry,
)
from inbox.domain.thread import Priority, ThreadKind
from inbox.usecases.sla import KeepClocks
from sla.calendar import business_time, deadline
from sla.calendar_config import calendar_from_config
from sla.explain import Suspension, explain
from sla.policy import ClockKind, SlaPolicy, Targets, clock_pauses, plan_clock
from tests.factories import paris_office
from tests.fakes.clocks import FakeClockWriter
from tests.fakes.ingest import InMemoryInbox

PARIS = ZoneInfo("Europe/Paris")
OFFICE_CONFIG = paris_office()
OFFICE = calendar_from_config(OFFICE_CONFIG)
SUSPENDING = SlaPolicy(name="outages", calendar="office", suspend_during_major_incidents=True)
PLAIN = SlaPolicy(name="standard", calendar="office")


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=PARIS)  # 2 March 2026 is a Monday


def test_the_setting_is_off_by_default_and_validated_like_the_others() -> None:
    assert PLAIN.suspend_during_major_incidents is False
    assert SlaPolicy.model_validate(
        {"name": "p", "calendar": "c", "suspend_during_major_incidents": True}
    ).suspend_during_major_incidents
    with pytest.raises(ValidationError, match="suspend_during_major_incidents"):
        SlaPolicy.model_validate(
            {"name": "p", "calendar": "c", "suspend_during_major_incidents": "sometimes"}
        )


def test_only_a_suspending_policy_counts_the_incident_windows_as_pauses() -> None:
    window = (paris(2, 10), None)
    own = ((paris(2, 9), paris(2, 9, 30)),)
    assert clock_pauses(PLAIN, own, [window]) == own
    assert clock_pauses(SUSPENDING, own, [window]) == (*own, window)


def test_a_response_clock_has_no_deadline_while_a_major_incident_holds_it() -> None:
    start = paris(2, 10)  # due 11:00, warned at 10:45
    plan = plan_clock(
        SUSPENDING,
        OFFICE,
        ClockKind.FIRST_RESPONSE,
        Priority.NORMAL,
        start,
        [(paris(2, 10, 30), None)],
    )
    assert plan is not None
    assert plan.deadline is None
    assert plan.warn_at is None  # 30 of 45 minutes spent when it was suspended


def test_a_warning_due_before_the_incident_keeps_its_instant() -> None:
    start = paris(2, 10)
    pauses = [(paris(2, 10, 50), None)]
    plan = plan_clock(SUSPENDING, OFFICE, ClockKind.FIRST_RESPONSE, Priority.NORMAL, start, pauses)
    assert plan is not None
    assert plan.warn_at == paris(2, 10, 45)
    assert plan.deadline is None


def test_once_it_ends_the_deadline_moves_later_by_the_business_time_it_covered() -> None:
    start = paris(2, 18)  # Monday 18:00: due at 19:00, the closing
    pause = (paris(2, 18, 30), paris(3, 10))  # 30 min on Monday, 60 on Tuesday morning
    plan = plan_clock(SUSPENDING, OFFICE, ClockKind.FIRST_RESPONSE, Priority.NORMAL, start, [pause])
    assert plan is not None
    assert business_time(OFFICE, *pause) == timedelta(minutes=90)
    assert plan.deadline == paris(3, 10, 30)  # 19:00 plus 90 business minutes
    assert plan.warn_at == paris(3, 10, 15)


def test_an_incident_after_the_deadline_does_not_move_it() -> None:
    start = paris(2, 10)
    pauses = [(paris(2, 11, 30), None)]
    plan = plan_clock(SUSPENDING, OFFICE, ClockKind.FIRST_RESPONSE, Priority.NORMAL, start, pauses)
    assert plan is not None
    assert plan.deadline == paris(2, 11)


minutes_in_march = st.integers(0, 20 * 24 * 60).map(
    lambda m: datetime(2026, 3, 2, tzinfo=UTC) + timedelta(minutes=m)
)


@settings(max_examples=300, deadline=None)
@given(
    start=minutes_in_march,
    budget=st.integers(1, 3000),
    offset=st.integers(0, 10**6),
    length=st.integers(1, 5 * 24 * 60),
)
def test_a_closed_suspension_moves_the_deadline_by_the_business_time_it_covered(
    start: datetime, budget: int, offset: int, length: int
) -> None:
    policy = SlaPolicy(
        name="p",
        calendar="office",
        targets=Targets(first_response=budget),
        suspend_during_major_incidents=True,
    )
    plain = plan_clock(policy, OFFICE, ClockKind.FIRST_RESPONSE, Priority.NORMAL, start)
    assert plain is not None
    assert plain.deadline is not None
    # A suspension that begins while the clock runs, before its deadline.
    span = int((plain.deadline - start).total_seconds() // 60)
    begins = start + timedelta(minutes=offset % max(span, 1))
    pause = (begins, begins + timedelta(minutes=length))
    paused = plan_clock(policy, OFFICE, ClockKind.FIRST_RESPONSE, Priority.NORMAL, start, [pause])
    assert paused is not None
    covered = business_time(OFFICE, *pause)
    assert paused.deadline == deadline(OFFICE, plain.deadline, covered)
    assert paused.deadline is not None
    assert paused.deadline >= plain.deadline


class WindowsWriter(FakeClockWriter):
    """The shared clock writer over one timeline given whole, counting how often the major
    windows of its incidents are read."""

    def __init__(
        self, settings: SlaSettings, timeline: ThreadTimeline, windows: list[MajorIncidentWindow]
    ) -> None:
        self.inbox = InMemoryInbox()
        super().__init__(self.inbox, settings, windows, timelines=[timeline])
        self.windows_read = 0

    @property
    def saved(self) -> list[StoredClock]:
        return list(self.inbox.clocks.values())

    async def major_incident_windows(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[MajorIncidentWindow]:
        self.windows_read += 1
        return await super().major_incident_windows(workspace_id, thread_ids)


def office_settings(*, suspend: bool, resolution: int | None = None) -> SlaSettings:
    policy: dict[str, object] = {
        "name": "p",
        "calendar": "office",
        "suspend_during_major_incidents": suspend,
        "targets": {"first_response": 60, "resolution": resolution},
    }
    return SlaSettings(1, {"office": OFFICE_CONFIG}, {"policies": {"p": policy}, "default": "p"})


def timeline(*messages: TimelineEntry) -> ThreadTimeline:
    return ThreadTimeline(
        7, Network.X, ThreadKind.COMPLAINT, Priority.NORMAL, None, False, list(messages)
    )


@pytest.mark.parametrize("suspend", [True, False])
async def test_keep_clocks_suspends_a_thread_only_under_a_suspending_policy(suspend: bool) -> None:
    start = paris(2, 10)
    window = MajorIncidentWindow(7, 3, paris(2, 10, 30), None)
    writer = WindowsWriter(
        office_settings(suspend=suspend), timeline(TimelineEntry(start, True)), [window]
    )
    keep = KeepClocks(clock=lambda: paris(2, 10, 40))
    await keep.keep(writer, 1, [7], frozenset({7}))
    (clock,) = writer.saved
    assert clock.deadline == (None if suspend else paris(2, 11))
    assert writer.windows_read == (1 if suspend else 0)  # nobody suspends: nothing read

    # The incident closes at 14:00: 3 h 30 of business time were suspended.
    writer.windows = [MajorIncidentWindow(7, 3, paris(2, 10, 30), paris(2, 14))]
    await keep.keep(writer, 1, [7])
    (clock,) = writer.saved
    assert clock.deadline == (paris(2, 14, 30) if suspend else paris(2, 11))


async def test_an_answer_during_the_suspension_counts_only_unsuspended_business_time() -> None:
    start = paris(2, 10)
    window = MajorIncidentWindow(7, 3, paris(2, 10, 30), paris(2, 14))
    answered = timeline(
        TimelineEntry(start, True),
        TimelineEntry(paris(2, 14, 20), False),
        TimelineEntry(paris(2, 15), True),  # the customer writes back
    )
    writer = WindowsWriter(office_settings(suspend=True, resolution=240), answered, [window])
    await KeepClocks().keep(writer, 1, [7], frozenset({7}))
    first = next(c for c in writer.saved if c.kind == ClockKind.FIRST_RESPONSE.value)
    assert first.stopped_at == paris(2, 14, 20)
    assert first.deadline == paris(2, 14, 30)
    assert first.business_seconds == 50 * 60  # 10:00-10:30 and 14:00-14:20
    resolution = next(c for c in writer.saved if c.kind == ClockKind.RESOLUTION.value)
    # Suspended too, on top of its own pause while waiting on the customer (14:20-15:00):
    # 30 + 20 of its 240 minutes ran by 15:00, the other 190 by 18:10 (not 14:00).
    assert resolution.deadline == paris(2, 18, 10)


def test_the_explanation_lists_the_suspension_and_leaves_the_customers_wait_alone() -> None:
    start = paris(2, 10)
    suspension = Suspension(12, paris(2, 10, 30), paris(2, 14))
    why = explain(
        OFFICE,
        started_at=start,
        deadline=paris(2, 14, 30),
        stopped_at=None,
        budget=timedelta(hours=1),
        now=paris(2, 14, 10),
        suspensions=[suspension, Suspension(13, paris(3, 9), None)],  # not yet: left out
    )
    assert why.suspensions == [suspension]
    assert why.business_elapsed == timedelta(minutes=40)
    assert why.wall_elapsed == timedelta(hours=4, minutes=10)
    assert "Suspended from Mon 02 Mar 10:30 to Mon 02 Mar 14:00 by major incident #12" in (
        why.summary
    )
    assert "the customer has waited 4 h 10" in why.summary


def test_an_incident_still_major_is_explained_as_still_suspending() -> None:
    why = explain(
        OFFICE,
        started_at=paris(2, 10),
        deadline=None,
        stopped_at=None,
        budget=timedelta(hours=1),
        now=paris(2, 12),
        suspensions=[Suspension(12, paris(2, 10, 30), None)],
    )
    assert why.state == "running"
    assert "No deadline while the clock is paused." in why.summary
    assert "Suspended from Mon 02 Mar 10:30 (still suspended) by major incident #12" in (
        why.summary
    )
    assert why.business_elapsed == timedelta(minutes=30)
    assert why.wall_elapsed == timedelta(hours=2)
