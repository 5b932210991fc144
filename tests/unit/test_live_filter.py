"""Which announced change reaches which open page, and how a burst becomes one event a second."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from inbox.domain.live import (
    MOST_SHOWN,
    MOST_THREADS_AN_EVENT,
    AlertRaised,
    Coalescer,
    IncidentChanged,
    LivePage,
    PageKind,
    PageUpdate,
    PageWatch,
    PeopleTold,
    SlaEventFired,
    ThreadsChanged,
    ThreadState,
    in_view,
)
from inbox.domain.web import InboxFilters

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ANA, BEN = 1, 2
CARE, NETWORK = 10, 20
WS = 7


def thread(thread_id: int = 100, **state: object) -> ThreadState:
    base = ThreadState(
        thread_id=thread_id,
        status="open",
        assignee_id=ANA,
        team_id=CARE,
        network="x",
        kind="complaint",
        priority="normal",
        language="fr",
        topics=("network",),
        sla_due_at=NOW + timedelta(minutes=30),
    )
    return replace(base, **state)  # type: ignore[arg-type]


def inbox(view: str, agent: int = ANA, **more: object) -> LivePage:
    return LivePage(PageKind.INBOX, agent, view=view, **more)  # type: ignore[arg-type]


def changed(*states: ThreadState) -> ThreadsChanged:
    return ThreadsChanged(WS, threads=states)


def heard(watch: PageWatch, change: object) -> PageUpdate | None:
    return watch.consider(change, NOW)  # type: ignore[arg-type]


# --- the views -----------------------------------------------------------------------------


def test_mine_holds_the_agents_open_threads_only() -> None:
    assert in_view(inbox("mine"), thread(), NOW)
    assert not in_view(inbox("mine"), thread(assignee_id=BEN), NOW)
    assert not in_view(inbox("mine"), thread(assignee_id=None), NOW)
    assert not in_view(inbox("mine"), thread(status="resolved"), NOW)
    assert not in_view(inbox("mine"), thread(status=None), NOW)  # merged away


def test_team_holds_the_threads_of_the_agents_teams() -> None:
    page = inbox("team", team_ids=frozenset({CARE}))
    assert in_view(page, thread(assignee_id=BEN), NOW)
    assert not in_view(page, thread(team_id=NETWORK), NOW)
    assert not in_view(page, thread(team_id=None), NOW)


def test_unassigned_waiting_community_and_all() -> None:
    assert in_view(inbox("unassigned"), thread(assignee_id=None), NOW)
    assert not in_view(inbox("unassigned"), thread(), NOW)
    assert in_view(inbox("waiting"), thread(waiting_on_customer=True), NOW)
    assert not in_view(inbox("waiting"), thread(), NOW)
    assert in_view(inbox("community"), thread(community=True), NOW)
    assert not in_view(inbox("community"), thread(), NOW)
    assert in_view(inbox("all"), thread(assignee_id=BEN, team_id=None), NOW)


def test_a_snoozed_thread_is_only_in_the_snoozed_view_until_its_time() -> None:
    asleep = thread(snoozed_until=NOW + timedelta(hours=1))
    woken = thread(snoozed_until=NOW - timedelta(minutes=1))
    assert in_view(inbox("snoozed"), asleep, NOW)
    assert not in_view(inbox("mine"), asleep, NOW)
    assert in_view(inbox("mine"), woken, NOW)
    assert not in_view(inbox("snoozed"), woken, NOW)


def test_filters_narrow_a_view() -> None:
    def page(**filters: str) -> LivePage:
        return inbox("all", filters=InboxFilters(**filters))

    assert in_view(page(network="x", kind="complaint", language="fr"), thread(), NOW)
    assert not in_view(page(network="mastodon"), thread(), NOW)
    assert not in_view(page(priority="urgent"), thread(), NOW)
    assert in_view(page(topic="network"), thread(), NOW)
    assert not in_view(page(topic="billing"), thread(), NOW)
    assert not in_view(page(sla="none"), thread(), NOW)
    assert in_view(page(sla="none"), thread(sla_due_at=None), NOW)
    # Which side of now a deadline falls on changes with time: any deadline may be there.
    assert in_view(page(sla="breached"), thread(), NOW)
    assert not in_view(page(sla="breached"), thread(sla_due_at=None), NOW)


# --- what a page hears ---------------------------------------------------------------------


def test_the_mine_view_of_one_agent_does_not_hear_of_another_agents_thread() -> None:
    watch = PageWatch(inbox("mine"))
    assert heard(watch, changed(thread(assignee_id=BEN))) is None
    update = heard(watch, changed(thread(200), thread(201, assignee_id=BEN)))
    assert update is not None
    assert update.threads == {200}


def test_a_thread_taken_away_from_the_agent_reaches_their_mine_view_once() -> None:
    watch = PageWatch(inbox("mine"), shown=frozenset({100}))
    update = heard(watch, changed(thread(100, assignee_id=BEN)))
    assert update is not None
    assert update.threads == {100}  # the page fetches it and removes the row
    assert heard(watch, changed(thread(100, assignee_id=BEN, priority="high"))) is None


def test_a_thread_that_entered_a_view_is_followed_until_it_leaves() -> None:
    watch = PageWatch(inbox("unassigned"))
    entered = heard(watch, changed(thread(assignee_id=None)))
    assert entered is not None
    assert entered.threads == {100}
    left = heard(watch, changed(thread(assignee_id=ANA)))
    assert left is not None
    assert left.threads == {100}
    assert heard(watch, changed(thread(status="resolved"))) is None


def test_what_the_page_fetched_is_what_it_shows() -> None:
    watch = PageWatch(inbox("all"))
    watch.showing(frozenset({1, 2, 3}), asked=None)
    assert watch.shown == {1, 2, 3}
    watch.showing(frozenset({4}), asked=frozenset({3, 4}))  # 3 left the view, 4 came in
    assert watch.shown == {1, 2, 4}


def test_threads_announced_without_their_state_reach_every_inbox_view() -> None:
    change = ThreadsChanged(WS, unknown=(5, 6))
    for view in ("mine", "team", "waiting", "all"):
        update = heard(PageWatch(inbox(view)), change)
        assert update is not None
        assert update.threads == {5, 6}


def test_too_many_threads_to_name_make_every_view_reload() -> None:
    update = heard(PageWatch(inbox("mine")), ThreadsChanged(WS, everything=True))
    assert update is not None
    assert update.reload


def test_a_thread_page_hears_of_its_own_thread_only() -> None:
    watch = PageWatch(LivePage(PageKind.THREAD, ANA, thread_id=100))
    assert heard(watch, changed(thread(101))) is None
    update = heard(watch, changed(thread(101), thread(100, assignee_id=BEN)))
    assert update is not None
    assert update.threads == {100}
    sla = heard(watch, SlaEventFired(WS, 100, "breach"))
    assert sla is not None
    assert sla.threads == {100}
    assert heard(watch, SlaEventFired(WS, 101, "breach")) is None


def test_sla_events_reach_the_views_that_show_the_thread() -> None:
    showing = PageWatch(inbox("mine"), shown=frozenset({100}))
    elsewhere = PageWatch(inbox("mine", agent=BEN))
    breached_filter = PageWatch(inbox("all", filters=InboxFilters(sla="breached")))
    assert heard(showing, SlaEventFired(WS, 100, "breach")) is not None
    assert heard(elsewhere, SlaEventFired(WS, 100, "breach")) is None
    assert heard(breached_filter, SlaEventFired(WS, 100, "breach")) is not None
    assert heard(showing, SlaEventFired(WS, None, "end_of_shift")) is None


def test_alerts_and_notes_reach_only_the_people_they_name() -> None:
    ana = PageWatch(LivePage(PageKind.NOTICES, ANA))
    ben = PageWatch(inbox("mine", agent=BEN))
    alert = AlertRaised(WS, ANA, 9, "assignee")
    told = PeopleTold(WS, frozenset({ANA}), 100, "note_mention")
    ana_alert = heard(ana, alert)
    assert ana_alert is not None
    assert ana_alert.alerts == [{"event_id": 9, "reason": "assignee"}]
    ana_told = heard(ana, told)
    assert ana_told is not None
    assert ana_told.notices == [{"thread_id": 100, "kind": "note_mention"}]
    assert heard(ben, alert) is None
    assert heard(ben, told) is None


def test_incidents_reach_the_incident_list_and_other_pages_do_not_hear_of_them() -> None:
    incidents = PageWatch(LivePage(PageKind.INCIDENTS, ANA))
    update = heard(incidents, IncidentChanged(WS, 3, "opened"))
    assert update is not None
    assert update.incidents == {3}
    assert heard(PageWatch(inbox("all")), IncidentChanged(WS, 3, "opened")) is None
    assert heard(PageWatch(LivePage(PageKind.NOTICES, ANA)), changed(thread())) is None


def test_a_page_naming_nothing_hears_every_change_of_the_workspace() -> None:
    watch = PageWatch(LivePage(PageKind.WORKSPACE, ANA))
    update = heard(watch, changed(thread(1, assignee_id=BEN), thread(2, status="resolved")))
    assert update is not None
    assert update.threads == {1, 2}


def test_a_page_that_seems_to_show_more_than_a_view_reloads_it() -> None:
    watch = PageWatch(inbox("all"))
    states = tuple(thread(n) for n in range(MOST_SHOWN + 1))
    update = heard(watch, changed(*states))
    assert update is not None
    assert update.reload
    assert watch.shown == set()


# --- the coalescer -------------------------------------------------------------------------


def test_the_first_change_after_a_quiet_second_goes_at_once() -> None:
    pending = Coalescer(interval=1.0)
    assert pending.due_at() is None
    pending.add(PageUpdate(threads={1}))
    taken = pending.take(now=50.0)
    assert taken is not None
    assert taken.threads == {1}


def test_a_burst_becomes_one_event_a_second_with_every_thread_it_changed() -> None:
    pending = Coalescer(interval=1.0)
    events: list[PageUpdate] = []
    # 50 changes a second for three seconds, each of a thread of its own.
    for tick in range(150):
        now = 10.0 + tick * 0.02
        pending.add(PageUpdate(threads={tick}))
        taken = pending.take(now)
        if taken is not None:
            events.append(taken)
    final = pending.take(now=20.0)
    assert final is not None
    events.append(final)
    assert len(events) <= 4  # one at once, then one per second
    assert set().union(*(e.threads for e in events)) == set(range(150))
    assert sum(len(e.threads) for e in events) == 150


def test_nothing_goes_before_its_second_is_over() -> None:
    pending = Coalescer(interval=1.0)
    pending.add(PageUpdate(threads={1}))
    assert pending.take(now=5.0) is not None
    pending.add(PageUpdate(threads={2}))
    assert pending.due_at() == 6.0
    assert pending.take(now=5.5) is None
    later = pending.take(now=6.0)
    assert later is not None
    assert later.threads == {2}


def test_too_many_threads_in_a_second_become_one_reload() -> None:
    pending = Coalescer(interval=1.0)
    pending.add(PageUpdate(threads=set(range(MOST_THREADS_AN_EVENT + 1))))
    taken = pending.take(now=1.0)
    assert taken is not None
    assert taken.reload
    assert taken.threads == set()


def test_notices_are_kept_beside_the_changes() -> None:
    pending = Coalescer(interval=1.0)
    pending.add(PageUpdate(notices=[{"thread_id": 1}]))
    pending.add(PageUpdate(threads={4}))
    pending.resync()
    taken = pending.take(now=1.0)
    assert taken is not None
    assert taken.notices == [{"thread_id": 1}]
    assert taken.reload


# --- rows sent with the change -------------------------------------------------------------


def read(*states: ThreadState) -> ThreadsChanged:
    """Threads read again by the process, each open one with its row rendered."""
    rendered = {s.thread_id: f"<tr>{s.thread_id}</tr>" for s in states if s.status == "open"}
    return ThreadsChanged(WS, threads=states, rows=rendered)


def test_a_page_is_sent_the_rows_of_its_view_and_told_which_left_it() -> None:
    watch = PageWatch(inbox("mine"), shown=frozenset({100}))
    update = heard(
        watch, read(thread(100, assignee_id=BEN), thread(200), thread(300, assignee_id=BEN))
    )
    assert update is not None
    assert update.rows == {200: "<tr>200</tr>"}
    assert update.gone == {100}
    assert update.threads == set()  # nothing to fetch
    assert watch.shown == {200}


def test_a_closed_thread_a_page_showed_is_taken_out_of_it() -> None:
    watch = PageWatch(inbox("all"), shown=frozenset({100}))
    update = heard(watch, read(thread(100, status="resolved")))
    assert update is not None
    assert (update.rows, update.gone) == ({}, {100})


def test_with_its_row_a_thread_is_placed_by_its_deadline_exactly() -> None:
    breached = PageWatch(inbox("all", filters=InboxFilters(sla="breached")))
    at_risk = PageWatch(inbox("all", filters=InboxFilters(sla="at_risk")))
    late = thread(1, sla_due_at=NOW - timedelta(minutes=5))
    soon = thread(2, sla_due_at=NOW + timedelta(minutes=10))
    later = thread(3, sla_due_at=NOW + timedelta(hours=2))
    to_breached = heard(breached, read(late, soon, later))
    to_at_risk = heard(at_risk, read(late, soon, later))
    assert to_breached is not None
    assert to_at_risk is not None
    assert set(to_breached.rows) == {1}
    assert set(to_at_risk.rows) == {2}


def test_the_latest_news_of_a_thread_wins_in_a_burst() -> None:
    pending = Coalescer(interval=1.0)
    pending.add(PageUpdate(rows={1: "<tr>old</tr>"}, gone={2}))
    assert pending.take(now=1.0) is not None
    pending.add(PageUpdate(rows={1: "<tr>older</tr>"}))
    pending.add(PageUpdate(gone={1}, rows={2: "<tr>back</tr>"}))
    pending.add(PageUpdate(threads={3}))
    pending.add(PageUpdate(rows={3: "<tr>sent</tr>"}))
    taken = pending.take(now=2.0)
    assert taken is not None
    assert (taken.rows, taken.gone, taken.threads) == (
        {2: "<tr>back</tr>", 3: "<tr>sent</tr>"},
        {1},
        set(),
    )
    assert taken.changed() == {1, 2, 3}


def test_rows_count_towards_the_reload_of_a_page_that_fell_behind() -> None:
    pending = Coalescer(interval=1.0)
    pending.add(PageUpdate(rows=dict.fromkeys(range(MOST_THREADS_AN_EVENT), "<tr></tr>")))
    pending.add(PageUpdate(gone={-1}))
    taken = pending.take(now=1.0)
    assert taken is not None
    assert taken.reload
    assert taken.changed() == set()
