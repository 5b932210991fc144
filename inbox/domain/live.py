"""Live updates, decided without I/O: which announced change concerns which open page, and how
a burst of changes becomes at most one event a second for a page, losing nothing.

A page says what it shows (an inbox view with its filters, one thread, the incident list);
each change carries what the views select on (a thread's assignee, team, status, ...: see
`ThreadState`), so one comparison decides whether a thread may enter or stay in a view. A
thread may also leave a view: the page is told about every thread it is known to show
(`PageWatch.shown`, kept from what the page fetched and from earlier changes), whatever its
new state.

When the process has read the changed threads' rows (`ThreadsChanged.rows`, rendered once for
every page), an inbox page is sent the rows themselves: the row to put in place, or the
thread to take out. It fetches only what it could not be sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from inbox.domain.thread import OPEN_STATUSES
from inbox.domain.web import ANY, InboxFilters

# A view's rows are at most this many; a page that shows more is told to reload instead.
MOST_SHOWN = 1000
# Past this many changed threads in one second, a page reloads its view: one list is cheaper
# than that many rows, and the set a slow page accumulates stays bounded.
MOST_THREADS_AN_EVENT = 100
# A deadline this near is "at risk" (inbox/store/inbox_pages.py, INBOX).
AT_RISK = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class ThreadState:
    """A thread as the inbox views select it, right after a change. `status` None: the
    thread is gone (merged into another)."""

    thread_id: int
    status: str | None
    assignee_id: int | None = None
    team_id: int | None = None
    community: bool = False
    waiting_on_customer: bool = False
    snoozed_until: datetime | None = None
    sla_due_at: datetime | None = None
    network: str = ""
    kind: str = ""
    priority: str = ""
    language: str | None = None
    topics: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ThreadsChanged:
    """Threads written in one transaction. `unknown`: ids announced without their state
    (any page may show them); `everything`: too many to name, every view reloads.

    `rows`, once the process has read the threads again: each open thread's inbox row as
    every page shows it (no row differs by viewer), rendered once for all of them; the
    states are then those read with the rows, and whether a thread is in a view is decided
    exactly, its deadline included. None: not read (pages fetch what concerns them)."""

    workspace_id: int
    threads: tuple[ThreadState, ...] = ()
    unknown: tuple[int, ...] = ()
    everything: bool = False
    rows: Mapping[int, str] | None = None


@dataclass(frozen=True, slots=True)
class SlaEventFired:
    """A warning or breach of a thread's clock (`thread_id`), or an end-of-shift list."""

    workspace_id: int
    thread_id: int | None
    kind: str


@dataclass(frozen=True, slots=True)
class AlertRaised:
    """An SLA alert recorded for one person."""

    workspace_id: int
    agent_id: int
    event_id: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class PeopleTold:
    """Colleagues named in a note on a thread."""

    workspace_id: int
    agent_ids: frozenset[int]
    thread_id: int | None
    kind: str


@dataclass(frozen=True, slots=True)
class IncidentChanged:
    workspace_id: int
    incident_id: int | None
    kind: str


LiveChange = ThreadsChanged | SlaEventFired | AlertRaised | PeopleTold | IncidentChanged


class PageKind(StrEnum):
    INBOX = "inbox"  # one view of the inbox, with its filters
    THREAD = "thread"  # one thread's page
    INCIDENTS = "incidents"  # the incident list
    NOTICES = "notices"  # any other page: only what is told to the person
    WORKSPACE = "workspace"  # no page named: every change of the workspace, as ids


@dataclass(frozen=True, slots=True)
class LivePage:
    """What an open page shows, as its event stream was opened for it."""

    kind: PageKind
    agent_id: int
    view: str = "all"
    team_ids: frozenset[int] = frozenset()
    filters: InboxFilters = ANY
    thread_id: int | None = None


@dataclass(slots=True)
class PageUpdate:
    """What a page is to hear: changed threads and incidents, a reload of its whole view,
    and what was told to its person. A changed thread comes as its new row (`rows`, to put
    in place), as one to take out (`gone`), or as an id to fetch (`threads`): each thread in
    one of the three, the latest news winning."""

    threads: set[int] = field(default_factory=set)
    incidents: set[int] = field(default_factory=set)
    reload: bool = False
    notices: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    rows: dict[int, str] = field(default_factory=dict)
    gone: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(
            self.threads
            or self.rows
            or self.gone
            or self.incidents
            or self.reload
            or self.notices
            or self.alerts
        )

    def changed(self) -> set[int]:
        """Every thread the update speaks of, however it comes."""
        return self.threads | self.rows.keys() | self.gone

    def put(self, thread_id: int, row: str) -> None:
        self.threads.discard(thread_id)
        self.gone.discard(thread_id)
        self.rows[thread_id] = row

    def remove(self, thread_id: int) -> None:
        self.threads.discard(thread_id)
        self.rows.pop(thread_id, None)
        self.gone.add(thread_id)

    def fetch(self, thread_id: int) -> None:
        self.rows.pop(thread_id, None)
        self.gone.discard(thread_id)
        self.threads.add(thread_id)

    def merge(self, other: PageUpdate) -> None:
        for thread_id in other.threads:
            self.fetch(thread_id)
        for thread_id, row in other.rows.items():
            self.put(thread_id, row)
        for thread_id in other.gone:
            self.remove(thread_id)
        self.incidents |= other.incidents
        self.reload = self.reload or other.reload
        self.notices.extend(other.notices)
        self.alerts.extend(other.alerts)

    def forget_threads(self) -> None:
        self.threads.clear()
        self.rows.clear()
        self.gone.clear()


def in_view(page: LivePage, thread: ThreadState, now: datetime, *, exact: bool = False) -> bool:
    """Whether the thread may be a row of the page's inbox view: the conditions of the
    view's query (inbox/store/inbox_pages.py, INBOX), evaluated on the announced state. The
    deadline filter only asks whether there is a deadline: which side of `now` it falls on
    changes with time, not with an announcement, and the rows fetched say it exactly. With
    `exact` (a state read just now, whose row the page is sent), it is decided at `now`."""
    if thread.status not in OPEN_STATUSES:
        return False
    view = page.view
    if view == "mine" and thread.assignee_id != page.agent_id:
        return False
    if view == "unassigned" and thread.assignee_id is not None:
        return False
    if view == "team" and thread.team_id not in page.team_ids:
        return False
    if view == "waiting" and not thread.waiting_on_customer:
        return False
    if view == "community" and not thread.community:
        return False
    snoozed = thread.snoozed_until is not None and thread.snoozed_until > now
    if (view == "snoozed") != snoozed:
        return False
    return _filtered_in(page.filters, thread, now if exact else None)


def _filtered_in(filters: InboxFilters, thread: ThreadState, now: datetime | None) -> bool:
    if filters.network is not None and thread.network != filters.network:
        return False
    if filters.kind is not None and thread.kind != filters.kind:
        return False
    if filters.priority is not None and thread.priority != filters.priority:
        return False
    if filters.language is not None and thread.language != filters.language:
        return False
    if filters.topic is not None and filters.topic not in thread.topics:
        return False
    if filters.tag is not None and filters.tag not in thread.tags:
        return False
    due = thread.sla_due_at
    if filters.sla is None:
        return True
    if filters.sla == "none" or due is None:
        return filters.sla == "none" and due is None
    if now is None:
        return True
    if filters.sla == "breached":
        return due < now
    if filters.sla == "at_risk":
        return now <= due < now + AT_RISK
    return due >= now + AT_RISK  # on_time


class PageWatch:
    """One open page's filter: which changes concern it. Keeps the ids of the threads the
    page may show (`shown`), so that a thread leaving the view reaches the page too."""

    def __init__(self, page: LivePage, shown: frozenset[int] = frozenset()) -> None:
        self.page = page
        self.shown: set[int] = set(shown)
        self.overflowed = False

    def showing(self, thread_ids: frozenset[int], asked: frozenset[int] | None) -> None:
        """The page fetched rows: `asked` None for its whole view (its rows are now exactly
        `thread_ids`), else the rows of the `asked` threads (those not returned are gone)."""
        if asked is None:
            self.shown = set(thread_ids)
        else:
            self.shown -= asked - thread_ids
            self.shown |= thread_ids
        self._bound()

    def consider(self, change: LiveChange, now: datetime) -> PageUpdate | None:
        """What the change means to this page; None when nothing."""
        update = self._update(change, now)
        return update if update else None

    def _update(self, change: LiveChange, now: datetime) -> PageUpdate:
        page = self.page
        update = PageUpdate()
        match change:
            case ThreadsChanged():
                self._threads(change, now, update)
            case SlaEventFired(thread_id=thread_id) if thread_id is not None:
                if page.kind is PageKind.THREAD:
                    update.threads.update({thread_id} & {page.thread_id})
                elif page.kind is PageKind.INBOX:
                    # A breach moves a thread into the "breached" filter's rows.
                    if thread_id in self.shown or page.filters.sla is not None:
                        update.threads.add(thread_id)
                elif page.kind is PageKind.WORKSPACE:
                    update.threads.add(thread_id)
            case AlertRaised() if change.agent_id == page.agent_id:
                update.alerts.append({"event_id": change.event_id, "reason": change.reason})
            case PeopleTold() if page.agent_id in change.agent_ids:
                update.notices.append({"thread_id": change.thread_id, "kind": change.kind})
            case IncidentChanged(incident_id=incident_id):
                if page.kind in (PageKind.INCIDENTS, PageKind.WORKSPACE) and incident_id:
                    update.incidents.add(incident_id)
        return update

    def _threads(self, change: ThreadsChanged, now: datetime, update: PageUpdate) -> None:
        page = self.page
        if page.kind is PageKind.THREAD:
            changed = {t.thread_id for t in change.threads} | set(change.unknown)
            if change.everything or page.thread_id in changed:
                assert page.thread_id is not None
                update.threads.add(page.thread_id)
        elif page.kind is PageKind.INCIDENTS:
            # The list counts each incident's linked threads, and ingestion links them
            # without announcing the incident: any thread change may change a count.
            update.reload = True
        elif page.kind is PageKind.WORKSPACE:
            update.reload = change.everything
            update.threads.update(t.thread_id for t in change.threads)
            update.threads.update(change.unknown)
        elif page.kind is PageKind.INBOX:
            if change.everything:
                update.reload = True
                return
            rows = change.rows
            for thread in change.threads:
                thread_id = thread.thread_id
                if in_view(page, thread, now, exact=rows is not None):
                    row = None if rows is None else rows.get(thread_id)
                    if row is None:
                        update.fetch(thread_id)
                    else:
                        update.put(thread_id, row)
                    self.shown.add(thread_id)
                elif thread_id in self.shown:
                    if rows is None:
                        update.fetch(thread_id)  # the page asks, and removes what is gone
                    else:
                        update.remove(thread_id)
                    self.shown.discard(thread_id)
            # Announced without their state: the page asks for them, its rows tell.
            for thread_id in change.unknown:
                update.fetch(thread_id)
            self._bound()
            if self.overflowed:
                update.reload = True

    def _bound(self) -> None:
        # A page that shows more than a view has rows is not one this filter understands:
        # it reloads, and its next whole-view fetch tells what it shows.
        self.overflowed = len(self.shown) > MOST_SHOWN
        if self.overflowed:
            self.shown.clear()


class Coalescer:
    """One page's pending update: what arrives is merged (the union of changed threads),
    and taken at most once per `interval` seconds. The first change after a quiet interval
    goes at once; a burst waits for the interval's end and goes as one event. Times are
    monotonic seconds, passed in."""

    def __init__(self, interval: float = 1.0, most_threads: int = MOST_THREADS_AN_EVENT) -> None:
        self._interval = interval
        self._most_threads = most_threads
        self._pending = PageUpdate()
        self._last_taken: float | None = None

    def add(self, update: PageUpdate) -> None:
        pending = self._pending
        pending.merge(update)
        if pending.reload or len(pending.threads) + len(pending.rows) + len(pending.gone) > (
            self._most_threads
        ):
            # The whole view covers every thread: nothing is lost by forgetting them.
            pending.reload = True
            pending.forget_threads()

    def resync(self) -> None:
        self.add(PageUpdate(reload=True))

    def due_at(self) -> float | None:
        """When the pending update may go; None when there is none."""
        if not self._pending:
            return None
        return 0.0 if self._last_taken is None else self._last_taken + self._interval

    def take(self, now: float) -> PageUpdate | None:
        due = self.due_at()
        if due is None or now < due:
            return None
        taken, self._pending = self._pending, PageUpdate()
        self._last_taken = now
        return taken


@dataclass(frozen=True, slots=True)
class ListenerStatus:
    """The process's listener: listening or not, since when, and the last error seen."""

    listening: bool
    since: datetime | None
    last_error: str | None = None
