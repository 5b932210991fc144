"""One poll of an account's mention notifications, page by page from the saved cursor.

The cursor is the newest notification id read. A poll asks for the page just above it
(`min_id`), which Mastodon answers with the oldest notifications newer than the cursor; the
next page starts at that page's newest id. Pages are fetched while the previous batch is
written, and the pages that arrived meanwhile are ingested together as the next batch, which
carries the newest id of its last page as the new cursor. The cursor so moves forward with the
mentions, in their transaction: a crash part-way keeps every batch already written and
re-reads none of them, and a poll capped at `max_pages` (which also bounds the pages held in
memory) leaves the rest for the next one, skipping nothing.

Replies whose parent neither the batch nor the inbox holds get their status context fetched
(`/api/v1/statuses/:id/context`); its ancestors join the batch, so the thread is whole.
Once an hour the statuses stored in the last days are looked up again (`GET
/api/v1/statuses?id[]=`, Mastodon 4.3+): those the instance no longer returns were deleted,
which an account without the stream would not otherwise learn.
The first poll of an account reads only the newest page: older history is not the inbox's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

from connectors.common import polling
from connectors.common.http_api import ApiAnswer, PermanentApiError
from connectors.common.polling import Ingest
from connectors.common.stored_posts import StoredPostsCheck, deletions_due
from connectors.mastodon.api import NOTIFICATIONS_PAGE, MastodonApi
from connectors.mastodon.normalise import (
    NormalisedPage,
    id_order,
    newest_notification_id,
    normalise_notifications,
    normalise_statuses,
)
from inbox.domain.ingestion import (
    ConnectorCursor,
    IngestBatch,
    NetworkDeletion,
    RejectedPayload,
)
from inbox.domain.mention import Mention
from inbox.domain.network import Network
from inbox.ports.connectors import ConnectorState

log = logging.getLogger(__name__)

MAX_PAGES = 10
# Each missing parent costs one context request out of ~300 per five minutes.
MAX_CONTEXT_LOOKUPS = 20


@dataclass(frozen=True, slots=True)
class MastodonAccount:
    """A connected account: `user_id` is its id on `instance`, `handle` its acct."""

    workspace_id: int
    account_id: int
    instance: str
    user_id: str
    handle: str


@dataclass(slots=True)
class PollOutcome(polling.PollOutcome):
    skipped: int = 0
    # More pages were waiting when the poll stopped: the next poll should come soon.
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class _ReadPage:
    page: NormalisedPage
    # The page's newest id as the new cursor; None: the cursor must not move for this page.
    cursor: ConnectorCursor | None


@dataclass(frozen=True, slots=True)
class _EndOfPages:
    pass


def cursor_name(account: MastodonAccount, stream: str = "mentions") -> str:
    host = urlsplit(account.instance).netloc
    return f"mastodon:{host}:{account.user_id}:{stream}"


class MastodonPoller:
    def __init__(
        self,
        account: MastodonAccount,
        api: MastodonApi,
        ingest: Ingest,
        state: ConnectorState,
        *,
        max_pages: int = MAX_PAGES,
        page_size: int = NOTIFICATIONS_PAGE,
        deletions: StoredPostsCheck | None = None,
    ) -> None:
        self.account = account
        self.ingest = ingest
        self._api = api
        self._state = state
        # Stored statuses asked again (None: never, for tests of other parts).
        self._check = deletions
        self._max_pages = max_pages
        self._page_size = page_size
        self.source = f"mastodon:{account.handle}"

    async def poll_mentions(self) -> PollOutcome:
        outcome = PollOutcome()
        if gone := await deletions_due(self._check, outcome):
            await self._write(IngestBatch([], deletions=gone), outcome)
        name = cursor_name(self.account)
        position = await self._state.cursor(self.account.workspace_id, name)
        pages: asyncio.Queue[_ReadPage | _EndOfPages | BaseException] = asyncio.Queue()
        fetcher = asyncio.create_task(self._fetch_pages(name, position, pages, outcome))
        try:
            finished = False
            while not finished:
                batch: list[_ReadPage] = []
                failure: BaseException | None = None
                for item in await polling.arrived(pages):
                    if isinstance(item, BaseException):
                        failure = item
                    elif isinstance(item, _EndOfPages):
                        finished = True
                    else:
                        batch.append(item)
                if batch:
                    await self._write_pages(batch, outcome)
                if failure is not None:
                    # The pages read before it are written with their cursor; it raises.
                    raise failure
        finally:
            fetcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await fetcher
        return outcome

    async def _fetch_pages(
        self,
        name: str,
        position: str | None,
        pages: asyncio.Queue[_ReadPage | _EndOfPages | BaseException],
        outcome: PollOutcome,
    ) -> None:
        """Each page, read, into `pages`, then the end (or the error that stopped them). The
        next page is asked for before this one is read: the server prepares it meanwhile."""
        first_poll = position is None
        fetching = asyncio.create_task(self._fetch(position))
        try:
            for number in range(1 if first_poll else self._max_pages):
                answer = await fetching
                outcome.requests += 1
                body = answer.body if answer.parses else None
                ahead = newest_notification_id(body) if isinstance(body, list) else None
                more = isinstance(body, list) and len(body) >= self._page_size
                more = more and ahead is not None and _after(ahead, position)
                if more and not first_poll and number + 1 < self._max_pages:
                    fetching = asyncio.create_task(self._fetch(ahead))
                page = self._read(answer, outcome)
                newest = page.newest_id
                if newest is not None and position is not None and not _after(newest, position):
                    newest = None  # a server going backwards: never move the cursor back
                if newest != ahead:
                    more = False  # a page read otherwise than its ids said: stop at it
                cursor = ConnectorCursor(connector=name, position=newest) if newest else None
                await pages.put(_ReadPage(page, cursor))
                if not more:
                    break
                position = newest
                if number + 1 == self._max_pages:
                    outcome.truncated = True
                    outcome.notes.append(f"more than {self._max_pages} pages waiting")
        except Exception as error:  # handed to the writer, which raises it
            await pages.put(error)
            return
        finally:
            if not fetching.done():
                fetching.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await fetching
        await pages.put(_EndOfPages())

    async def _write_pages(self, batch: list[_ReadPage], outcome: PollOutcome) -> None:
        """The pages as one batch, with their missing parents, and the newest cursor."""
        mentions = [m for read in batch for m in read.page.mentions]
        rejected = [r for read in batch for r in read.page.rejected]
        cursors = [read.cursor for read in batch if read.cursor is not None]
        cursor = cursors[-1] if cursors else None
        lookups = MAX_CONTEXT_LOOKUPS * len(batch)
        deleted: list[NetworkDeletion] = []
        mentions += await self._missing_parents(mentions, rejected, deleted, lookups, outcome)
        if mentions or rejected or cursor is not None:
            await self._write(IngestBatch(mentions, rejected, cursor, deleted), outcome)

    async def _fetch(self, position: str | None) -> ApiAnswer:
        return await self._api.mentions(min_id=position, limit=self._page_size)

    def _read(self, answer: ApiAnswer, outcome: PollOutcome) -> NormalisedPage:
        if not answer.parses:
            # The cursor stays: the same page is asked for again on the next poll.
            return NormalisedPage(
                [], [RejectedPayload(self.source, answer.raw, "the page is not valid JSON")]
            )
        page = normalise_notifications(answer.body, source=self.source)
        outcome.reads += len(page.mentions) + len(page.rejected) + page.skipped
        outcome.skipped += page.skipped
        return page

    async def _write(self, batch: IngestBatch, outcome: PollOutcome) -> None:
        result = await self.ingest(self.account.workspace_id, batch)
        outcome.count_ingested(result)

    async def _missing_parents(
        self,
        mentions: list[Mention],
        rejected: list[RejectedPayload],
        deleted: list[NetworkDeletion],
        most_lookups: int,
        outcome: PollOutcome,
    ) -> list[Mention]:
        """The ancestors of replies whose parent is neither in the batch nor in the inbox
        (at most `most_lookups` contexts fetched; the rest are left to later). A reply whose
        context answers 404 was deleted since it was listed: it goes into `deleted`."""
        unknown, _ = await polling.unknown_parents(
            self._state, self.account.workspace_id, Network.MASTODON.value, mentions
        )
        missing = set(unknown)
        if not missing:
            return []
        have = {m.external_id for m in mentions}
        found: list[Mention] = []
        lookups = 0
        for reply in mentions:
            if reply.in_reply_to not in missing:
                continue
            if lookups == most_lookups:
                outcome.notes.append(f"parents of more than {lookups} replies left to later")
                break
            lookups += 1
            ancestors = await self._ancestors(reply.external_id, outcome, deleted)
            found.extend(m for m in ancestors.mentions if m.external_id not in have)
            rejected.extend(ancestors.rejected)
            have.update(m.external_id for m in ancestors.mentions)
            missing -= have
        return found

    async def _ancestors(
        self, status_id: str, outcome: PollOutcome, deleted: list[NetworkDeletion]
    ) -> NormalisedPage:
        try:
            answer = await self._api.context(status_id)
        except PermanentApiError as error:
            # Deleted since (404), or not visible: the reply still threads under its
            # parent's id; a deleted one is stored without its text.
            outcome.notes.append(f"no context for status {status_id}: {error.detail}")
            if error.status == HTTPStatus.NOT_FOUND:
                deleted.append(NetworkDeletion(Network.MASTODON.value, status_id))
            return NormalisedPage([], [])
        finally:
            outcome.requests += 1
        body = answer.body
        ancestors = body.get("ancestors") if isinstance(body, dict) else None
        if not isinstance(ancestors, list):
            reason = f"context of status {status_id}: no list of ancestors"
            return NormalisedPage([], [RejectedPayload(self.source, answer.raw, reason)])
        return normalise_statuses(ancestors, source=self.source)


def _after(candidate: str, position: str | None) -> bool:
    return position is None or id_order(candidate) > id_order(position)
