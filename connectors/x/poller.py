"""One poll of a brand account's mentions or searches, into one ingested batch.

A poll reads every page newer than the cursor (`since_id`), newest first, normalises them,
fetches in batch lookups the parents that replies point to and that the inbox does not have,
and hands all of it to ingestion as ONE batch that carries the new cursor. If anything fails
before that batch commits, the cursor has not moved and the next poll reads the same posts
again (ingestion drops what it already has): nothing is lost and nothing is stored twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.common import polling
from connectors.common.http_api import ApiAnswer
from connectors.common.polling import Ingest
from connectors.x.api import XApi
from connectors.x.normalise import NormalisedPage, normalise_page
from inbox.domain.errors import ConfigurationError
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

# X returns at most 800 mentions through since_id pagination; past that a gap is reported.
MAX_PAGES = 8
# On the first poll of an account, only the newest page: older history costs reads.
FIRST_POLL_PAGES = 1
PARENT_LOOKUP_ROUNDS = 3
MAX_QUERY_LENGTH = 512


@dataclass(frozen=True, slots=True)
class XAccount:
    workspace_id: int
    account_id: int
    user_id: str
    handle: str
    search_terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _EndOfPages:
    newest: str | None


@dataclass(slots=True)
class PollOutcome(polling.PollOutcome):
    truncated: bool = False


def search_query(terms: Sequence[str], handle: str) -> str:
    """X search syntax for any of the terms, leaving out retweets and the brand's own posts."""
    cleaned = [t.replace('"', "").strip() for t in terms]
    parts = [f'"{t}"' if " " in t else t for t in cleaned if t]
    if not parts:
        raise ConfigurationError("search terms", "no usable term")
    query = f"({' OR '.join(parts)}) -is:retweet -from:{handle}"
    if len(query) > MAX_QUERY_LENGTH:
        raise ConfigurationError(
            "search terms", f"the query is {len(query)} characters; X accepts {MAX_QUERY_LENGTH}"
        )
    return query


def cursor_name(account: XAccount, stream: str, query: str | None = None) -> str:
    if query is None:
        return f"x:{account.user_id}:{stream}"
    # A new set of terms is a new search: it starts from its own cursor.
    digest = hashlib.sha256(query.encode()).hexdigest()[:12]
    return f"x:{account.user_id}:{stream}:{digest}"


def _meta(answer: ApiAnswer) -> dict[str, Any]:
    meta = answer.body.get("meta") if isinstance(answer.body, dict) else None
    return meta if isinstance(meta, dict) else {}


def _newest(current: str | None, candidate: Any) -> str | None:
    if not isinstance(candidate, str) or not candidate.isdigit():
        return current
    if current is None or int(candidate) > int(current):
        return candidate
    return current


class XPoller:
    def __init__(
        self,
        account: XAccount,
        api: XApi,
        ingest: Ingest,
        state: ConnectorState,
    ) -> None:
        self.account = account
        self._api = api
        self.ingest = ingest
        self._state = state
        self._source = f"x:{account.handle}"

    async def poll_mentions(self) -> PollOutcome:
        name = cursor_name(self.account, "mentions")
        since = await self._state.cursor(self.account.workspace_id, name)

        async def page(token: str | None) -> ApiAnswer:
            return await self._api.mentions(
                self.account.user_id, since_id=since, pagination_token=token
            )

        return await self._poll(name, since, page)

    async def poll_search(self) -> PollOutcome:
        if not self.account.search_terms:
            return PollOutcome()
        query = search_query(self.account.search_terms, self.account.handle)
        name = cursor_name(self.account, "search", query)
        since = await self._state.cursor(self.account.workspace_id, name)

        async def page(token: str | None) -> ApiAnswer:
            return await self._api.search_recent(query, since_id=since, next_token=token)

        return await self._poll(name, since, page)

    async def _poll(
        self,
        cursor: str,
        since: str | None,
        fetch: Callable[[str | None], Awaitable[ApiAnswer]],
    ) -> PollOutcome:
        """Pages are ingested while the next ones are fetched; only the last batch carries
        the cursor, so a failure part-way leaves it where it was (re-reading is harmless)."""
        outcome = PollOutcome()
        pages: asyncio.Queue[NormalisedPage | _EndOfPages | BaseException] = asyncio.Queue()
        fetcher = asyncio.create_task(self._fetch_pages(since, fetch, pages, outcome))
        seen: set[str] = set()
        wanted: set[str] = set()
        try:
            finished: _EndOfPages | None = None
            while finished is None:
                mentions: list[Mention] = []
                rejected: list[RejectedPayload] = []
                deleted: list[str] = []
                # Whatever has arrived while the previous batch was being written.
                for item in await polling.arrived(pages):
                    if isinstance(item, BaseException):
                        raise item
                    if isinstance(item, _EndOfPages):
                        finished = item
                    else:
                        mentions.extend(item.mentions)
                        rejected.extend(item.rejected)
                        deleted.extend(item.deleted)
                seen.update(m.external_id for m in mentions)
                wanted.update(m.in_reply_to for m in mentions if m.in_reply_to)
                position = None
                if finished is not None:
                    # Parents are looked up last: on a later page they would come for free.
                    mentions.extend(
                        await self._missing_parents(wanted, seen, rejected, deleted, outcome)
                    )
                    if finished.newest is not None:
                        position = ConnectorCursor(connector=cursor, position=finished.newest)
                deletions = [NetworkDeletion(Network.X.value, i) for i in dict.fromkeys(deleted)]
                moved = position is not None and position.position != since
                if mentions or rejected or deletions or moved:
                    batch = IngestBatch(mentions, rejected, position, deletions)
                    await self._write(batch, outcome)
        finally:
            fetcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await fetcher
        return outcome

    async def _write(self, batch: IngestBatch, outcome: PollOutcome) -> None:
        result = await self.ingest(self.account.workspace_id, batch)
        outcome.count_ingested(result)

    async def _fetch_pages(
        self,
        since: str | None,
        fetch: Callable[[str | None], Awaitable[ApiAnswer]],
        pages: asyncio.Queue[NormalisedPage | _EndOfPages | BaseException],
        outcome: PollOutcome,
    ) -> None:
        newest = since
        token: str | None = None
        limit = MAX_PAGES if since is not None else FIRST_POLL_PAGES
        try:
            for number in range(limit):
                answer = await fetch(token)
                outcome.requests += 1
                await pages.put(self._read(answer, outcome))
                meta = _meta(answer)
                newest = _newest(newest, meta.get("newest_id"))
                next_token = meta.get("next_token")
                token = next_token if isinstance(next_token, str) else None
                if token is None:
                    break
                if number == limit - 1 and since is not None:
                    outcome.truncated = True
                    outcome.notes.append(f"more than {limit} pages since {since}: older skipped")
        except Exception as error:  # handed to the consumer, which raises it
            await pages.put(error)
            return
        await pages.put(_EndOfPages(newest))

    def _read(self, answer: ApiAnswer, outcome: PollOutcome) -> NormalisedPage:
        if not answer.parses:
            return NormalisedPage(
                [], [RejectedPayload(self._source, answer.raw, "the page is not valid JSON")]
            )
        page = normalise_page(answer.body, source=self._source)
        outcome.reads += len(page.mentions) + sum(1 for _ in page.rejected)
        return page

    async def _missing_parents(
        self,
        wanted: set[str],
        have: set[str],
        rejected: list[RejectedPayload],
        deleted: list[str],
        outcome: PollOutcome,
    ) -> list[Mention]:
        """Posts that replies answer and that neither this poll nor the inbox holds; those
        X says are not found go into `deleted`."""
        found: list[Mention] = []
        have = set(have)
        for _ in range(PARENT_LOOKUP_ROUNDS):
            missing = sorted(wanted - have)
            if not missing:
                break
            stored = await self._state.known_external_ids(
                self.account.workspace_id, Network.X.value, missing
            )
            to_fetch = [i for i in missing if i not in stored]
            have.update(missing)
            if not to_fetch:
                break
            wanted = set()
            for start in range(0, len(to_fetch), 100):
                answer = await self._api.lookup(to_fetch[start : start + 100])
                outcome.requests += 1
                page = self._read(answer, outcome)
                rejected.extend(page.rejected)
                deleted.extend(page.deleted)
                found.extend(page.mentions)
                wanted.update(m.in_reply_to for m in page.mentions if m.in_reply_to)
        return found
