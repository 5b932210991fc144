"""Response clocks derived from a thread's messages, whatever order they arrived in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from inbox.domain.network import Network
from inbox.domain.sla import SlaSettings, StoredClock, ThreadTimeline, TimelineEntry
from inbox.domain.thread import Priority, ThreadKind
from inbox.usecases.sla import KeepClocks
from sla.calendar import WEEKDAYS, business_time, is_open
from sla.calendar_config import calendar_from_config
from sla.clocks import ClockSpan, ResolutionSpan, TimelineMessage, resolution_spans, response_spans
from sla.policy import ClockKind, SlaPolicy, plan_clock
from tests.fakes.clocks import FakeClockWriter
from tests.fakes.ingest import InMemoryInbox

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def inbound(minutes: int) -> TimelineMessage:
    return TimelineMessage(at(minutes), inbound=True)


def reply(minutes: int, *, qualifying: bool = True) -> TimelineMessage:
    return TimelineMessage(at(minutes), inbound=False, qualifying=qualifying)


def test_first_then_next_response_clocks() -> None:
    spans = response_spans([inbound(0), inbound(5), reply(30), inbound(40), reply(50), inbound(90)])
    assert spans == [
        ClockSpan(ClockKind.FIRST_RESPONSE, at(0), at(30)),
        ClockSpan(ClockKind.NEXT_RESPONSE, at(40), at(50)),
        ClockSpan(ClockKind.NEXT_RESPONSE, at(90), None),
    ]


def test_automatic_acknowledgements_do_not_stop_a_clock() -> None:
    spans = response_spans([inbound(0), reply(1, qualifying=False), reply(45)])
    assert spans == [ClockSpan(ClockKind.FIRST_RESPONSE, at(0), at(45))]


def test_a_brand_post_before_any_customer_message_starts_nothing() -> None:
    assert response_spans([reply(0), inbound(10)]) == [
        ClockSpan(ClockKind.FIRST_RESPONSE, at(10), None)
    ]


messages = st.lists(
    st.builds(
        TimelineMessage,
        st.integers(0, 500).map(at),
        st.booleans(),
        st.booleans(),
    ),
    max_size=12,
)


@given(messages, st.randoms())
def test_spans_do_not_depend_on_arrival_order(history: list[TimelineMessage], rng: object) -> None:
    shuffled = list(history)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    spans = response_spans(history)
    assert response_spans(shuffled) == spans
    assert all(s.stopped_at is None or s.stopped_at >= s.started_at for s in spans)
    assert sum(1 for s in spans if s.stopped_at is None) <= 1
    assert [s.kind for s in spans][:1] in ([], [ClockKind.FIRST_RESPONSE])


# -- planning: the shortcuts give exactly the clocks of the long way -------------------------

ALWAYS = {"tz": "UTC", "weekly": {day: [["00:00", "24:00"]] for day in WEEKDAYS}}
ALWAYS_IN_PARIS = {"tz": "Europe/Paris", "weekly": {day: [["00:00", "24:00"]] for day in WEEKDAYS}}
OFFICE = {
    "tz": "Europe/Paris",
    "weekly": {day: [["09:00", "19:00"]] for day in WEEKDAYS[:5]},
    "holidays": ["2026-05-01"],
}
NIGHTS = {"tz": "America/New_York", "weekly": {day: [["22:00", "06:00"]] for day in WEEKDAYS}}
CALENDARS: list[dict[str, object]] = [
    ALWAYS,
    ALWAYS_IN_PARIS,
    OFFICE,
    NIGHTS,
    {"union": [OFFICE, ALWAYS]},
    {"union": [OFFICE, NIGHTS]},
]

targets = st.fixed_dictionaries(
    {
        "first_response": st.integers(1, 3000),
        "next_response": st.integers(1, 3000),
        "resolution": st.none() | st.integers(1, 5000),
    }
)
policies = st.fixed_dictionaries(
    {
        "name": st.just("p"),
        "calendar": st.just("c"),
        "targets": targets,
        "by_priority": st.dictionaries(st.sampled_from([p.value for p in Priority]), targets),
        "warn_at": st.sampled_from([0.5, 0.75, 0.9, 1 / 3, 0.999]),
    }
)
# Across a year, so that daylight saving changes and holidays are crossed; to the microsecond.
instants = st.integers(0, 365 * 24 * 3600 * 10**6).map(
    lambda us: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
)


@st.composite
def timelines(draw: st.DrawFn, thread_id: int) -> ThreadTimeline:
    start = draw(instants)
    if draw(st.booleans()):  # the commonest thread: one customer message
        entries = [TimelineEntry(start, inbound=True)]
    else:
        offsets = draw(st.lists(st.integers(0, 3 * 24 * 60), min_size=1, max_size=5))
        entries = [
            TimelineEntry(
                start + timedelta(minutes=offset),
                inbound=draw(st.booleans()),
                qualifying=draw(st.booleans()),
                closes=draw(st.integers(0, 5)) == 0,
            )
            for offset in offsets
        ]
    return ThreadTimeline(
        thread_id=thread_id,
        network=Network.X,
        kind=ThreadKind.UNCLASSIFIED,
        priority=draw(st.sampled_from(list(Priority))),
        team_id=None,
        vip=False,
        messages=entries,
    )


def planned_the_long_way(
    timeline: ThreadTimeline, calendar_config: dict[str, object], policy_config: dict[str, object]
) -> list[StoredClock]:
    """What clocks a thread with nothing stored gets: each span planned by plan_clock."""
    calendar = calendar_from_config(calendar_config)
    policy = SlaPolicy.model_validate(policy_config)
    spans: list[tuple[ClockKind, datetime, datetime | None, Pauses, bool]] = [
        (span.kind, span.started_at, span.stopped_at, (), span.excluded)
        for span in response_spans(timeline.messages)
    ]
    spans.extend(
        (ClockKind.RESOLUTION, span.started_at, span.stopped_at, span.pauses, span.excluded)
        for span in resolution_spans(timeline.messages)
    )
    clocks = []
    for kind, start, stop, pauses, excluded in spans:
        plan = plan_clock(policy, calendar, kind, timeline.priority, start, pauses)
        if plan is None:
            continue
        clocks.append(
            StoredClock(
                thread_id=timeline.thread_id,
                kind=kind.value,
                started_at=start,
                stopped_at=stop,
                policy=policy.name,
                calendar=policy.calendar,
                config_version=VERSION,
                budget_seconds=int(plan.budget.total_seconds()),
                deadline=plan.deadline,
                warn_at=plan.warn_at,
                outcome="excluded" if excluded else None,
                business_seconds=None
                if stop is None
                else int(business_time(calendar, start, stop, pauses).total_seconds()),
                arrived_in_hours=is_open(calendar, start),
            )
        )
    return clocks


Pauses = tuple[tuple[datetime, datetime | None], ...]


VERSION = 3


class FakeWriter(FakeClockWriter):
    """The shared clock writer over timelines given whole (as drawn)."""

    def __init__(self, settings: SlaSettings, timelines: list[ThreadTimeline]) -> None:
        super().__init__(InMemoryInbox(), settings, timelines=timelines)

    @property
    def saved(self) -> list[StoredClock]:
        return self.saved_clocks


@settings(max_examples=300, deadline=None)
@given(
    calendar_config=st.sampled_from(CALENDARS),
    policy_config=policies,
    threads=st.lists(st.integers(1, 10**6), min_size=1, max_size=6, unique=True).flatmap(
        lambda ids: st.tuples(*(timelines(thread_id) for thread_id in sorted(ids)))
    ),
    created=st.booleans(),
)
async def test_clocks_planned_by_the_shortcuts_are_those_of_plan_clock(
    calendar_config: dict[str, object],
    policy_config: dict[str, object],
    threads: tuple[ThreadTimeline, ...],
    created: bool,
) -> None:
    settings_ = SlaSettings(
        VERSION, {"c": calendar_config}, {"policies": {"p": policy_config}, "default": "p"}
    )
    writer = FakeWriter(settings_, list(threads))
    ids = [t.thread_id for t in threads]
    await KeepClocks().keep(writer, 1, ids, frozenset(ids) if created else frozenset())
    expected = [
        clock
        for timeline in threads
        for clock in planned_the_long_way(timeline, calendar_config, policy_config)
    ]
    assert writer.saved == expected


RESOLUTION_BASE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _m(
    minute: int, inbound: bool, *, closes: bool = False, qualifying: bool = True
) -> TimelineMessage:
    return TimelineMessage(RESOLUTION_BASE + timedelta(minutes=minute), inbound, qualifying, closes)


def test_a_resolution_clock_pauses_while_the_thread_waits_on_the_customer() -> None:
    spans = resolution_spans(
        [
            _m(0, True),
            _m(10, False),
            _m(40, True),
            _m(50, False),
            _m(55, False),
            _m(90, True, closes=True),
        ]
    )
    at = [RESOLUTION_BASE + timedelta(minutes=n) for n in (0, 10, 40, 50, 90)]
    assert spans == [ResolutionSpan(at[0], at[4], ((at[1], at[2]), (at[3], at[4])))]


def test_a_running_resolution_clock_held_by_an_open_pause_and_a_dismissed_one() -> None:
    waiting = resolution_spans([_m(0, True), _m(5, False)])
    start = RESOLUTION_BASE
    assert waiting == [ResolutionSpan(start, None, ((start + timedelta(minutes=5), None),))]
    dismissed = resolution_spans([_m(0, True), _m(5, True, closes=True)])
    assert dismissed == [ResolutionSpan(start, start + timedelta(minutes=5), (), excluded=True)]
    acknowledged_only = resolution_spans([_m(0, True), _m(1, False, qualifying=False)])
    assert acknowledged_only == [ResolutionSpan(start, None, ())]
