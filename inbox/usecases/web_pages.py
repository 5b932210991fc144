"""What the agent pages read: the inbox views and a thread's conversation."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from inbox.domain.clock import Clock, utc_now
from inbox.domain.desk import DeskRead, ThreadRead
from inbox.domain.errors import ConfigurationError, NotFoundError, PermissionDeniedError
from inbox.domain.live import LivePage, PageKind
from inbox.domain.notes import named_in, note_text
from inbox.domain.people import Role
from inbox.domain.web import (
    ANY,
    SLA_STATES,
    InboxFilters,
    InboxRow,
    PageNotification,
    SearchResults,
    ThreadPage,
    WebSession,
)
from inbox.ports.audit import AuditTrail
from inbox.ports.pages import InboxPageQuery
from inbox.ports.routing import WaitingThreads
from inbox.usecases.assignment import AssignByHand
from inbox.usecases.audit import entry_by
from inbox.usecases.customers import EVIDENCE_LIMIT
from inbox.usecases.media import MediaLinks
from inbox.usecases.web_auth import session_key

VIEWS = ("mine", "team", "unassigned", "waiting", "community", "snoozed", "all")
# Set aside for at most a month: longer is a closure, not a snooze.
LONGEST_SNOOZE = timedelta(days=31)
# The snoozes the pages offer, in hours, by the key their forms send.
SNOOZES = {"1h": 1.0, "4h": 4.0, "1d": 24.0, "3d": 72.0, "1w": 168.0}


def snooze_words(hours: float) -> str:
    """How long a snooze lasts, as the pages say it: "4 hours", "1 day", "1 week"."""
    if hours == 168:
        return "1 week"
    if hours >= 24 and hours % 24 == 0:
        days = int(hours // 24)
        return f"{days} day{'s' if days > 1 else ''}"
    if hours == int(hours):
        return f"{int(hours)} hour{'s' if hours != 1 else ''}"
    return f"{round(hours * 60)} minutes"


STAFF = (Role.AGENT, Role.LEAD, Role.OPS, Role.ADMIN)
# The rail's counts, read again at most this often for one person: every page asks for them
# and each read counts every open thread of the workspace. Live updates ask again on a change,
# so a count is never more than a few seconds behind.
COUNTS_FRESH_FOR = timedelta(seconds=3)
COUNTS_KEPT = 10_000  # people whose counts one process keeps at once
# Search shows the newest matches only: older ones are found by adding words, not by paging.
SEARCH_LIMIT = 50


class InboxPages:
    def __init__(
        self,
        query: InboxPageQuery,
        *,
        audit: AuditTrail,
        clock: Clock = utc_now,
        media: MediaLinks | None = None,
        waiting: WaitingThreads | None = None,
    ) -> None:
        self._query = query
        self._audit = audit
        self._clock = clock
        self._media = media
        # (workspace, agent) -> (when read, the counts)
        self._counts: dict[tuple[int, int], tuple[datetime, dict[str, int]]] = {}
        # Told when a thread is handed over: its holder's seat may go to a waiting thread.
        self._by_hand = AssignByHand(query, clock=clock, waiting=waiting)

    async def inbox(
        self,
        session: WebSession,
        view: str,
        limit: int = 100,
        filters: InboxFilters = ANY,
        threads: frozenset[int] | None = None,
    ) -> list[InboxRow]:
        """The view's first `limit` rows; with `threads` (a live update), only those of
        them the view holds."""
        _staff(session)
        return await self._query.inbox(
            session.workspace_id,
            _view(view),
            session.agent_id,
            limit,
            _known_states(filters),
            self._clock(),
            threads,
        )

    async def desk(
        self, token: str, view: str, limit: int = 100, filters: InboxFilters = ANY
    ) -> DeskRead | None:
        """The inbox's page for the session of `token`, read in one round trip: the session
        (checked as WebLogins.session checks it, so an ended session or a person deactivated
        or demoted is refused at once), the view's first `limit` rows and whom threads may be
        given to. None without a session; PermissionDeniedError for a person not staff."""
        key = session_key(token)
        if key is None:
            return None
        workspace_id, token_hash = key
        read = await self._query.desk(
            workspace_id, token_hash, _view(view), limit, _known_states(filters), self._clock()
        )
        if read is not None:
            _staff(read.session)
        return read

    async def counts(self, session: WebSession) -> dict[str, int]:
        """Every view's count for the person (the rail shows them), in one query, read again
        at most every COUNTS_FRESH_FOR."""
        kept = self.kept_counts(session)
        if kept is not None:
            return kept
        now = self._clock()
        counts = await self._query.view_counts(session.workspace_id, session.agent_id, now)
        if len(self._counts) >= COUNTS_KEPT:
            self._counts.clear()  # a burst of people: start again rather than grow
        self._counts[(session.workspace_id, session.agent_id)] = (now, counts)
        return dict(counts)

    def kept_counts(self, session: WebSession) -> dict[str, int] | None:
        """The person's counts if read within COUNTS_FRESH_FOR, without reading them: a page
        never waits for a count of every open thread (its script asks for them instead)."""
        _staff(session)
        kept = self._counts.get((session.workspace_id, session.agent_id))
        if kept is None or not timedelta(0) <= self._clock() - kept[0] < COUNTS_FRESH_FOR:
            return None
        return dict(kept[1])

    async def live_page(
        self,
        session: WebSession,
        *,
        view: str | None = None,
        filters: InboxFilters = ANY,
        thread_id: int | None = None,
        page: str | None = None,
    ) -> LivePage:
        """What an open page shows, for its stream of live updates: an inbox view with its
        filters, a thread, the incident list; any other page hears only what is told to its
        person. A page naming nothing hears every change of the workspace (staff only)."""
        staff = session.has(*STAFF)
        agent_id = session.agent_id
        if staff and thread_id is not None:
            return LivePage(PageKind.THREAD, agent_id, thread_id=thread_id)
        if staff and view is not None:
            view = _view(view)
            teams = (
                await self._query.teams_of(session.workspace_id, agent_id)
                if view == "team"
                else frozenset()
            )
            return LivePage(
                PageKind.INBOX, agent_id, view=view, team_ids=teams, filters=_known_states(filters)
            )
        if page == "incidents" and session.has(Role.OPS, Role.LEAD, Role.ADMIN):
            return LivePage(PageKind.INCIDENTS, agent_id)
        if staff and page is None:
            return LivePage(PageKind.WORKSPACE, agent_id)
        return LivePage(PageKind.NOTICES, agent_id)

    async def thread(self, session: WebSession, thread_id: int) -> ThreadPage:
        page = (await self.thread_read_by(session, thread_id)).page
        assert page is not None  # thread_read_by finds it or raises
        return page

    async def thread_read_by(self, session: WebSession, thread_id: int) -> ThreadRead:
        """The thread as its page shows it to the person of `session`, and what the page
        shows around it, in one round trip; NotFoundError for a thread not in their
        workspace."""
        _staff(session)
        read = await self._query.thread_read_by(session, thread_id, self._clock(), EVIDENCE_LIMIT)
        return self._found(read, thread_id)

    async def thread_read(self, token: str, thread_id: int) -> ThreadRead | None:
        """A thread's page for the session of `token`, read in one round trip: the session
        (checked as WebLogins.session checks it, so an ended session or a person deactivated
        or demoted is refused at once) and the thread as it shows to them. None without a
        session; PermissionDeniedError for a person not staff, NotFoundError for a thread
        not in their workspace."""
        key = session_key(token)
        if key is None:
            return None
        workspace_id, token_hash = key
        read = await self._query.thread_read(
            workspace_id, token_hash, thread_id, self._clock(), EVIDENCE_LIMIT
        )
        if read is None:
            return None
        _staff(read.session)
        return self._found(read, thread_id)

    def _found(self, read: ThreadRead, thread_id: int) -> ThreadRead:
        """The read with its pictures shown through the image proxy, by links signed for the
        workspace; NotFoundError without its thread."""
        if read.page is None:
            raise NotFoundError("thread", thread_id)
        if self._media is None:
            return read
        return replace(read, page=self._media.signed(read.session.workspace_id, read.page))

    async def search(self, session: WebSession, words: str) -> SearchResults:
        """Threads whose messages hold the words, and customers by name or @handle."""
        _staff(session)
        words = " ".join(words.split())[:200]
        if not words:
            return SearchResults((), (), SEARCH_LIMIT)
        return await self._query.search(session.workspace_id, words, SEARCH_LIMIT, self._clock())

    async def my_figures(self, session: WebSession) -> dict[str, int]:
        """The agent's own figures and nobody else's."""
        return await self._query.my_figures(session.workspace_id, session.agent_id, self._clock())

    async def take(self, session: WebSession, thread_id: int) -> None:
        _staff(session)
        await self._by_hand.take(session.workspace_id, thread_id, session.agent_id)
        await self._audit.record(entry_by(session, "thread_taken", "thread", thread_id))

    async def add_note(self, session: WebSession, thread_id: int, body: str) -> list[int]:
        """The note, and the ids of the colleagues it names (@handle) who were told."""
        _staff(session)
        text = note_text(body)
        told = await self._query.add_note(
            session.workspace_id, thread_id, session.agent_id, text, named_in(text)
        )
        if told is None:
            raise NotFoundError("thread", thread_id)
        await self._audit.record(entry_by(session, "note_added", "thread", thread_id, told=told))
        return told

    async def add_customer_note(self, session: WebSession, thread_id: int, body: str) -> None:
        """A note about the thread's customer, shown on every thread of theirs."""
        _staff(session)
        text = note_text(body)
        if not await self._query.add_customer_note(
            session.workspace_id, thread_id, session.agent_id, text
        ):
            raise NotFoundError("customer of thread", thread_id)
        await self._audit.record(entry_by(session, "customer_note_added", "thread", thread_id))

    async def assign(
        self, session: WebSession, thread_id: int, agent_id: int | None, team_id: int | None
    ) -> None:
        """Give the thread to a colleague, or to a team's queue (nobody in it yet)."""
        if not session.has(Role.AGENT, Role.LEAD, Role.ADMIN):
            raise PermissionDeniedError("assigning threads is for agents, leads and admins")
        await self._by_hand.give(
            session.workspace_id, thread_id, agent_id, team_id, session.agent_id
        )
        entry = entry_by(
            session, "thread_assigned", "thread", thread_id, agent_id=agent_id, team_id=team_id
        )
        await self._audit.record(entry)

    async def snooze(self, session: WebSession, thread_id: int, hours: float | None) -> None:
        """Set the thread aside for some hours (None wakes it now). Its clocks keep running."""
        _staff(session)
        until = None
        if hours is not None:
            if not 0 < hours <= LONGEST_SNOOZE.total_seconds() / 3600:
                raise ConfigurationError("snooze", "between a few minutes and 31 days")
            until = self._clock() + timedelta(hours=hours)
        if not await self._query.snooze(session.workspace_id, thread_id, until):
            raise NotFoundError("open thread", thread_id)

    async def wake_snoozed(self, workspace_id: int) -> list[int]:
        """Threads whose snooze has passed come back to their views, and the open pages hear
        of it (the worker's pass, every few seconds); the threads woken."""
        return await self._query.wake_snoozed(workspace_id, self._clock())

    async def notifications(self, session: WebSession, limit: int = 50) -> list[PageNotification]:
        """What the person was told, newest first; reading them marks them read."""
        found = await self._query.notifications(session.workspace_id, session.agent_id, limit)
        if any(not n.read for n in found):
            await self._query.mark_read(session.workspace_id, session.agent_id, self._clock())
        return found


def _view(view: str) -> str:
    return view if view in VIEWS else "mine"


def _known_states(filters: InboxFilters) -> InboxFilters:
    if filters.sla is not None and filters.sla not in SLA_STATES:
        return replace(filters, sla=None)  # an unknown state filters nothing out
    return filters


def _staff(session: WebSession) -> None:
    if not session.has(*STAFF):
        raise PermissionDeniedError("the inbox is for agents, leads, ops and admins")
