"""What the pages read: the inbox and threads, live changes, media, adoption, incident history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from inbox.domain.adoption import AnswerWeek, PersonWeeks, Team, TeamWeek, WeekSpan
from inbox.domain.desk import DeskRead, ThreadRead
from inbox.domain.incident_history import ChartWindow, IncidentFacts
from inbox.domain.live import LiveChange, ThreadState
from inbox.domain.media import MediaAttachment
from inbox.domain.media_proxy import FetchedImage
from inbox.domain.web import (
    InboxFilters,
    InboxRow,
    PageNotification,
    SearchResults,
    ThreadPage,
    WebSession,
)
from inbox.ports.routing import HandAssignmentStore

if TYPE_CHECKING:
    from inbox.ports.routing import (
        HandAssignmentStore,
    )


class InboxPageQuery(HandAssignmentStore, Protocol):
    async def inbox(
        self,
        workspace_id: int,
        view: str,
        agent_id: int,
        limit: int,
        filters: InboxFilters = ...,
        now: datetime | None = None,
        threads: frozenset[int] | None = None,
    ) -> list[InboxRow]:
        """The view's open threads; snoozed ones only in the "snoozed" view, until `now`
        passes their time. With `threads`, only those of them the view holds."""
        ...

    async def desk(
        self,
        workspace_id: int,
        token_hash: bytes,
        view: str,
        limit: int,
        filters: InboxFilters,
        now: datetime,
    ) -> DeskRead | None:
        """The session whose token hashes to `token_hash` (as WebSessionStore.find finds it)
        with its view's first rows and whom threads may be given to, in one round trip;
        None without such a session."""
        ...

    async def teams_of(self, workspace_id: int, agent_id: int) -> frozenset[int]:
        """The teams the agent belongs to (what their "team" view shows)."""
        ...

    async def view_counts(self, workspace_id: int, agent_id: int, now: datetime) -> dict[str, int]:
        """How many threads each view holds for the agent now, without filters."""
        ...

    async def thread(
        self, workspace_id: int, thread_id: int, viewer_id: int = 0, now: datetime | None = None
    ) -> ThreadPage | None: ...

    async def thread_read(
        self,
        workspace_id: int,
        token_hash: bytes,
        thread_id: int,
        now: datetime,
        evidence_limit: int,
    ) -> ThreadRead | None:
        """The session whose token hashes to `token_hash` (as WebSessionStore.find finds it)
        with the thread as its page shows it to them, in one round trip; None without such
        a session. At most `evidence_limit` rows of evidence about its customer."""
        ...

    async def thread_read_by(
        self, session: WebSession, thread_id: int, now: datetime, evidence_limit: int
    ) -> ThreadRead:
        """The thread as its page shows it to the person of `session` (checked before), and
        what the page shows around it, in one round trip."""
        ...

    async def my_figures(
        self, workspace_id: int, agent_id: int, now: datetime
    ) -> dict[str, int]: ...

    async def search(
        self, workspace_id: int, words: str, limit: int, now: datetime
    ) -> SearchResults:
        """At most `limit` threads whose newest match is the newest, as of `now` (the windows
        of the search start there), and customers by name or @handle."""
        ...

    async def add_note(
        self,
        workspace_id: int,
        thread_id: int,
        agent_id: int,
        body: str,
        named: frozenset[str] = frozenset(),
    ) -> list[int] | None:
        """Add the note and tell the active colleagues it names (by their handle); the ids of
        those told, or None when the thread does not exist."""
        ...

    async def add_customer_note(
        self, workspace_id: int, thread_id: int, agent_id: int, body: str
    ) -> bool:
        """A note about the thread's customer; False without such a thread or customer."""
        ...

    async def snooze(self, workspace_id: int, thread_id: int, until: datetime | None) -> bool: ...

    async def wake_snoozed(self, workspace_id: int, now: datetime) -> list[int]:
        """Ends the snoozes whose time has come (announcing the threads); their ids."""
        ...

    async def notifications(
        self, workspace_id: int, agent_id: int, limit: int
    ) -> list[PageNotification]: ...

    async def mark_read(self, workspace_id: int, agent_id: int, at: datetime) -> None: ...


class ListeningConnection(Protocol):
    async def closed(self) -> str:
        """Returns, with the reason, once the connection is gone (however it went)."""
        ...


class ChangeFeed(Protocol):
    def listening(
        self, deliver: Callable[[LiveChange], None]
    ) -> AbstractAsyncContextManager[ListeningConnection]:
        """Opens a connection that calls `deliver(change)` for each change announced while it
        lasts; raises DatabaseUnavailableError (or any error of the driver) when it cannot."""
        ...


class LiveRows(Protocol):
    async def rows(
        self, workspace_id: int, thread_ids: Sequence[int]
    ) -> list[tuple[ThreadState, InboxRow]]:
        """The threads as the inbox views select them and as their rows show them, read now
        in one query; a thread that no longer exists is left out."""
        ...


class MediaLookup(Protocol):
    async def attachment(
        self, workspace_id: int, network: str, external_id: str, index: int
    ) -> MediaAttachment | None:
        """One stored attachment of a message, by its index; None when the message or the
        attachment is not there (erased, or never was)."""
        ...


class ImageFetcher(Protocol):
    """Fetches a picture for the image proxy, from where the egress policy allows only."""

    def running(self) -> AbstractAsyncContextManager[None]:
        """Holds the fetcher's connections while the application serves."""
        ...

    async def fetch(self, url: str) -> FetchedImage:
        """The picture at `url`: an accepted image (by its bytes), within the proxy's bounds of
        size, time and redirects (inbox/domain/media_proxy.py); MediaUnavailableError
        otherwise, saying why."""


class AdoptionQuery(Protocol):
    """Who acted on threads through the inbox, and how the brand's answers were posted,
    week by week in the reader's zone (see inbox/domain/adoption.py)."""

    async def started(self, workspace_id: int) -> datetime | None:
        """Its creation, or its first customer message if that is earlier."""
        ...

    async def teams(self, workspace_id: int) -> list[Team]: ...

    async def active_by_team(self, workspace_id: int, span: WeekSpan) -> list[TeamWeek]: ...

    async def weeks_by_person(
        self, workspace_id: int, span: WeekSpan, agent_id: int | None = None
    ) -> list[PersonWeeks]:
        """Each person's active weeks (one person's with `agent_id`)."""
        ...

    async def answers(self, workspace_id: int, span: WeekSpan) -> list[AnswerWeek]: ...


class IncidentHistoryQuery(Protocol):
    async def complaint_counts(
        self, workspace_id: int, incident_id: int, window: ChartWindow, days_before: int
    ) -> dict[int, int]:
        """The complaints the incident matches per bucket of the window's width from its
        start (negative indexes: the `days_before` days before it) until its end."""
        ...

    async def known_since(self, workspace_id: int) -> datetime | None:
        """Since when the workspace has history."""
        ...

    async def facts(
        self, workspace_id: int, incident_ids: Sequence[int]
    ) -> dict[int, IncidentFacts]: ...

    async def linked_rows(self, workspace_id: int, incident_id: int, limit: int) -> list[InboxRow]:
        """Its linked threads as the inbox shows them, those still open first."""
        ...
