"""One poll of a brand account's Bluesky notifications, into one ingested batch.

`listNotifications` pages from the newest backwards and has no "since" parameter; its
`cursor` only walks further into the past. So the connector keeps its own position: the
`indexedAt` of the newest notification it has read (and the posts read at that very
instant, which are not read again). A poll walks from the newest page back to that instant.

If more arrived since the last poll than one poll may read (`MAX_PAGES`), the position
also remembers where the walk stopped (the API's cursor) and how far back it still has to
go; the next polls read the new notifications first, then finish that catch-up. Nothing is
skipped; at worst a stretch is read twice, and ingestion drops what it already holds.

Replies whose parent the inbox does not hold bring their ancestors along (`getPostThread`
with the parents only). The connector reads no firehose, so it learns of deletions by asking:
once an hour, the customers' posts it stored in the last days go to `getPosts`, which leaves
out those that no longer exist (deleted by their author, or taken down); a thread walk that
ends on a deleted post says so too.

Everything of a poll, with the new position and the deletions seen, goes to ingestion as ONE
batch: the position is saved in the transaction of the mentions it covers, so a crash
before the commit leaves it where it was and the next poll reads the same notifications.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, TypeAdapter, ValidationError

from connectors.bluesky.normalise import (
    deleted_ancestor,
    is_post_notification,
    notification_mention,
    post_view_mention,
    thread_ancestors,
)
from connectors.bluesky.xrpc import BlueskyApi, PermanentApiError
from connectors.common import polling
from connectors.common.http_api import ApiAnswer
from connectors.common.polling import Ingest
from connectors.common.rejected import quarantined, validation_reason
from connectors.common.stored_posts import StoredPostsCheck, deletions_due
from inbox.domain.ingestion import ConnectorCursor, IngestBatch, NetworkDeletion, RejectedPayload
from inbox.domain.mention import Mention
from inbox.domain.network import Network
from inbox.ports.connectors import ConnectorState

log = logging.getLogger(__name__)

READ_REASONS = ("mention", "reply", "quote")
PAGE_SIZE = 100
MAX_PAGES = 10
# On the first poll of an account, only the newest page: older history is not wanted.
FIRST_POLL_PAGES = 1
# Threads completed per poll at most; the rest wait for the next poll (their replies are
# already threaded by their root, only the context is late).
MAX_THREAD_LOOKUPS = 25
PARENT_HEIGHT = 20
_INSTANT: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)


@dataclass(frozen=True, slots=True)
class BlueskyAccount:
    workspace_id: int
    account_id: int
    did: str
    handle: str


class ReadPosition(BaseModel):
    """What the connector cursor holds (as JSON)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # indexedAt of the newest notification read, and the posts read at that instant.
    seen: AwareDatetime | None = None
    seen_uris: tuple[str, ...] = ()
    # An unfinished catch-up: the API cursor to continue from, and how far back to go.
    resume: str | None = None
    until: AwareDatetime | None = None


@dataclass(slots=True)
class PollOutcome(polling.PollOutcome):
    # The catch-up is not finished: the runner polls again soon.
    behind: bool = False


@dataclass(slots=True)
class _Walk:
    """What one walk through notification pages found."""

    items: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[RejectedPayload] = field(default_factory=list)
    pages: int = 0
    # Reached its floor (or the end of the notifications).
    complete: bool = False
    # A page that could not be read: the position must not move past it.
    broken: bool = False
    next_cursor: str | None = None
    newest: datetime | None = None
    newest_uris: set[str] = field(default_factory=set)


def cursor_name(account: BlueskyAccount) -> str:
    return f"bluesky:{account.did}:notifications"


def _indexed_at(item: Any) -> datetime | None:
    value = item.get("indexedAt") if isinstance(item, dict) else None
    try:
        return _INSTANT.validate_python(value)
    except ValidationError:
        return None


def _uri(item: Any) -> str | None:
    value = item.get("uri") if isinstance(item, dict) else None
    return value if isinstance(value, str) else None


class BlueskyPoller:
    def __init__(
        self,
        account: BlueskyAccount,
        api: BlueskyApi,
        ingest: Ingest,
        state: ConnectorState,
        *,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
        deletions: StoredPostsCheck | None = None,
    ) -> None:
        self.account = account
        self._api = api
        self.ingest = ingest
        self._state = state
        # Stored posts asked again (None: never, for tests of other parts).
        self._check = deletions
        self._page_size = page_size
        self._max_pages = max_pages
        self._source = f"bluesky:{account.handle}"

    async def position(self) -> ReadPosition | None:
        stored = await self._state.cursor(self.account.workspace_id, cursor_name(self.account))
        if stored is None:
            return None
        try:
            return ReadPosition.model_validate_json(stored)
        except ValidationError:
            # Not ours to guess at: start again from the newest page, as on a first poll.
            log.warning(
                "bluesky cursor unreadable; starting from the newest notifications",
                extra={"action": "bluesky_cursor_reset", "account": self.account.handle},
            )
            return None

    async def poll(self) -> PollOutcome:
        outcome = PollOutcome()
        deleted = await deletions_due(self._check, outcome)
        before = await self.position()
        # Only the very first poll skips history; after it, everything that arrives is new
        # (even for an account that had no notification then).
        first = before is None
        budget = FIRST_POLL_PAGES if first else self._max_pages
        floor = None if before is None else before.seen
        skip = frozenset(before.seen_uris) if before is not None else frozenset()
        top = await self._walk(None, floor, skip, budget, outcome)
        back = _Walk(complete=True)
        if before is not None and before.resume is not None and not top.broken:
            budget_left = budget - top.pages
            if budget_left > 0 and top.complete:
                back = await self._walk(
                    before.resume, before.until, frozenset(), budget_left, outcome
                )
            else:
                back = _Walk(complete=False, next_cursor=before.resume)
        after = self._next_position(before, top, back, first, outcome)
        mentions, rejected = self._normalise([*top.items, *back.items])
        rejected = [*top.rejected, *back.rejected, *rejected]
        mentions.extend(await self._missing_ancestors(mentions, rejected, deleted, outcome))
        cursor = None
        if after is not None and after != before:
            cursor = ConnectorCursor(
                connector=cursor_name(self.account), position=after.model_dump_json()
            )
        if mentions or rejected or deleted or cursor is not None:
            await self._write(IngestBatch(mentions, rejected, cursor, deleted), outcome)
        return outcome

    def _next_position(
        self,
        before: ReadPosition | None,
        top: _Walk,
        back: _Walk,
        first: bool,
        outcome: PollOutcome,
    ) -> ReadPosition | None:
        """None: leave the stored position as it is."""
        if top.broken or back.broken:
            outcome.notes.append("a page could not be read: the position stays")
            return None
        seen, seen_uris = (before.seen, set(before.seen_uris)) if before else (None, set())
        if top.newest is not None:
            if seen is not None and top.newest == seen:
                seen_uris |= top.newest_uris
            else:
                seen, seen_uris = top.newest, set(top.newest_uris)
        resume, until = (before.resume, before.until) if before else (None, None)
        if first:
            resume, until = None, None  # older history is not wanted
            if not top.complete:
                outcome.notes.append("first poll: only the newest page was read")
        elif not top.complete:
            # New notifications fill a whole poll: continue from where the walk stopped,
            # down to the old floor, or to the older catch-up's floor (folding it in: the
            # stretch between is read twice, never skipped).
            until = until if resume is not None else (before.seen if before else None)
            resume = top.next_cursor
        elif resume is not None:
            resume, until = (None, None) if back.complete else (back.next_cursor, until)
        outcome.behind = resume is not None
        if outcome.behind:
            outcome.notes.append(f"catching up: older notifications down to {until} next")
        return ReadPosition(
            seen=seen, seen_uris=tuple(sorted(seen_uris)), resume=resume, until=until
        )

    async def _walk(
        self,
        cursor: str | None,
        floor: datetime | None,
        skip: frozenset[str],
        budget: int,
        outcome: PollOutcome,
    ) -> _Walk:
        """Pages from `cursor` (None: the newest) back to `floor` (inclusive), at most
        `budget` pages."""
        walk = _Walk()
        previous: datetime | None = None
        while walk.pages < budget:
            answer = await self._api.notifications(
                cursor=cursor, reasons=READ_REASONS, limit=self._page_size
            )
            walk.pages += 1
            outcome.requests += 1
            items, next_cursor, problem = self._page(answer)
            if problem is not None:
                walk.rejected.append(RejectedPayload(self._source, answer.raw, problem))
                walk.broken = True
                return walk
            reached_floor = False
            for item in items:
                # Pages are newest first: one without a readable time sits just below its
                # newer neighbour (it is quarantined once, then skipped with it).
                at = _indexed_at(item) or previous
                previous = at
                if reached_floor or (at is not None and floor is not None and at < floor):
                    reached_floor = True
                    continue
                if at is not None and at == floor and _uri(item) in skip:
                    continue
                walk.items.append(item)
                self._note_newest(walk, at, _uri(item))
            if reached_floor or not items or next_cursor is None:
                walk.complete = True
                return walk
            cursor = next_cursor
        walk.next_cursor = cursor
        return walk

    @staticmethod
    def _note_newest(walk: _Walk, at: datetime | None, uri: str | None) -> None:
        if at is None or uri is None:
            return
        if walk.newest is None or at > walk.newest:
            walk.newest, walk.newest_uris = at, {uri}
        elif at == walk.newest:
            walk.newest_uris.add(uri)

    @staticmethod
    def _page(answer: ApiAnswer) -> tuple[list[Any], str | None, str | None]:
        """(notifications, next cursor, why the page is unreadable)."""
        if not answer.parses:
            return [], None, "the page is not valid JSON"
        body = answer.body
        if not isinstance(body, dict):
            return [], None, f"the page is a JSON {type(body).__name__}, not an object"
        items = body.get("notifications")
        if not isinstance(items, list):
            return [], None, "the page has no 'notifications' list"
        next_cursor = body.get("cursor")
        return items, next_cursor if isinstance(next_cursor, str) and next_cursor else None, None

    def _normalise(self, items: Sequence[Any]) -> tuple[list[Mention], list[RejectedPayload]]:
        mentions: list[Mention] = []
        rejected: list[RejectedPayload] = []
        for position, item in enumerate(items):
            if not isinstance(item, dict):
                error = f"notification {position}: a JSON {type(item).__name__}, not an object"
                rejected.append(quarantined(self._source, item, error))
                continue
            if not is_post_notification(item):
                continue  # a like or a follow the server sent anyway: nothing to answer
            try:
                mentions.append(notification_mention(item))
            except ValidationError as exc:
                label = _uri(item) or position
                error = f"notification {label}: {validation_reason(exc, 'notification')}"
                rejected.append(quarantined(self._source, item, error))
        return mentions, rejected

    async def _write(self, batch: IngestBatch, outcome: PollOutcome) -> None:
        result = await self.ingest(self.account.workspace_id, batch)
        outcome.reads += len(batch.mentions) + len(batch.rejected)
        outcome.count_ingested(result)

    async def _missing_ancestors(
        self,
        mentions: list[Mention],
        rejected: list[RejectedPayload],
        deleted: list[NetworkDeletion],
        outcome: PollOutcome,
    ) -> list[Mention]:
        """The posts that replies answer, up to their roots, that neither this poll nor the
        inbox holds. A post the service answers `NotFound` for, or a chain that ends on a
        `notFoundPost`, was deleted: it goes into `deleted` (the inbox may hold it)."""
        missing, stored = await polling.unknown_parents(
            self._state, self.account.workspace_id, Network.BLUESKY.value, mentions
        )
        if not missing:
            return []
        have = {m.external_id for m in mentions}
        if len(missing) > MAX_THREAD_LOOKUPS:
            outcome.notes.append(f"{len(missing) - MAX_THREAD_LOOKUPS} threads left incomplete")
        found: list[Mention] = []
        for uri in missing[:MAX_THREAD_LOOKUPS]:
            if uri in have:
                continue  # brought in by an earlier lookup of this poll
            try:
                answer = await self._api.post_thread(uri, parent_height=PARENT_HEIGHT)
            except PermanentApiError as error:
                # Deleted or hidden since: the reply stays threaded by its root.
                outcome.notes.append(f"{uri}: {error.error}")
                if error.error == "NotFound":
                    deleted.append(NetworkDeletion(Network.BLUESKY.value, uri))
                continue
            finally:
                outcome.requests += 1
            views, stopped = thread_ancestors(answer.body)
            if stopped:
                outcome.notes.append(stopped)
            if (gone := deleted_ancestor(answer.body)) is not None:
                deleted.append(NetworkDeletion(Network.BLUESKY.value, gone))
            for view in views:
                uri_of_view = _uri(view)
                if uri_of_view in have or uri_of_view in stored:
                    break  # the rest of the chain is known already
                try:
                    mention = post_view_mention(view)
                except ValidationError as exc:
                    reason = f"thread post {uri_of_view}: {validation_reason(exc, 'post')}"
                    rejected.append(quarantined(self._source, view, reason))
                    break
                have.add(mention.external_id)
                found.append(mention)
        return found
