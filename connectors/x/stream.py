"""The optional filtered stream of an X account: rules kept in sync, reconnection, backfill.

tweepy's AsyncStreamingClient holds the connection and reconnects with X's recommended
backoff. Lines are parsed here (a line cut by a broken connection is quarantined, never a
crash) and written in batches every `flush_seconds`, each batch with the stream's cursor.
Every reconnection asks X to replay the last `backfill_minutes`; and because a disconnect
may last longer than that, each reconnection also triggers `on_reconnect` (the runner's REST
polls of mentions and searches, whose own cursors close any gap). Duplicates from the
overlap are dropped by ingestion.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import aiohttp
from tweepy import StreamRule
from tweepy.asynchronous import AsyncStreamingClient

from connectors.common.polling import Ingest
from connectors.jsonl import JsonLine, parse_line
from connectors.x.api import EXPANSIONS, TWEET_FIELDS, USER_FIELDS
from connectors.x.normalise import normalise_page
from connectors.x.poller import XAccount, search_query
from inbox.domain.ingestion import ConnectorCursor, IngestBatch, RejectedPayload
from inbox.domain.mention import Mention

log = logging.getLogger(__name__)


def desired_rules(account: XAccount) -> list[str]:
    """Mentions of the account (not its own posts) and, if any, its search terms."""
    rules = [f"@{account.handle} -from:{account.handle}"]
    if account.search_terms:
        rules.append(search_query(account.search_terms, account.handle))
    return rules


def rule_tag(account: XAccount) -> str:
    return f"inbox:{account.user_id}"


class XStream(AsyncStreamingClient):  # type: ignore[misc]  # tweepy ships no types
    def __init__(
        self,
        account: XAccount,
        bearer_token: str,
        session_factory: Callable[[], aiohttp.ClientSession],
        ingest: Ingest,
        *,
        on_reconnect: Callable[[], Coroutine[Any, Any, object]] | None = None,
        flush_seconds: float = 0.5,
        backfill_minutes: int | None = 2,
    ) -> None:
        super().__init__(bearer_token, return_type=dict)
        self.account = account
        self._session_factory = session_factory
        self._ingest = ingest
        self._on_reconnect = on_reconnect
        self._flush_seconds = flush_seconds
        self._backfill_minutes = backfill_minutes
        self._mentions: list[Mention] = []
        self._rejected: list[RejectedPayload] = []
        self._newest: str | None = None
        self._lines = 0
        self._source = f"x-stream:{account.handle}"
        self.connections = 0
        self.ingested = 0
        self.catch_ups: list[asyncio.Task[object]] = []

    # -- rules ------------------------------------------------------------------------------

    async def sync_rules(self, wanted: Sequence[str]) -> tuple[int, int]:
        """Make this account's rules exactly `wanted`; returns (added, deleted)."""
        self.session: aiohttp.ClientSession | None = self._session_factory()
        try:
            answer = await self.get_rules()
            tag = rule_tag(self.account)
            mine = [r for r in answer.get("data") or [] if r.get("tag") == tag]
            stale = [r["id"] for r in mine if r.get("value") not in wanted]
            have = {r.get("value") for r in mine}
            missing = [value for value in wanted if value not in have]
            if stale:
                await self.delete_rules(stale)
            if missing:
                await self.add_rules([StreamRule(value=v, tag=tag) for v in missing])
            return len(missing), len(stale)
        finally:
            if self.session is not None:
                await self.session.close()
            self.session = None

    # -- running ----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Stream until `stop` is set, writing what arrives every `flush_seconds`."""
        self.session = self._session_factory()
        task = self.filter(
            backfill_minutes=self._backfill_minutes,
            expansions=EXPANSIONS,
            tweet_fields=TWEET_FIELDS,
            user_fields=USER_FIELDS,
        )
        try:
            while not stop.is_set() and not task.done():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self._flush_seconds)
                await self.flush()
        finally:
            self.disconnect()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.flush()
            for catch_up in self.catch_ups:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await catch_up

    async def flush(self) -> None:
        if not self._mentions and not self._rejected:
            return
        mentions, self._mentions = self._mentions, []
        rejected, self._rejected = self._rejected, []
        cursor = (
            ConnectorCursor(connector=f"x:{self.account.user_id}:stream", position=self._newest)
            if self._newest
            else None
        )
        result = await self._ingest(
            self.account.workspace_id, IngestBatch(mentions, rejected, cursor)
        )
        self.ingested += result.mentions_added

    # -- tweepy's callbacks -----------------------------------------------------------------

    async def on_connect(self) -> None:
        self.connections += 1
        log.info(
            "x stream connected",
            extra={
                "action": "x_stream_connect",
                "account": self.account.handle,
                "connections": self.connections,
            },
        )
        if self.connections > 1 and self._on_reconnect is not None:
            # The backfill covers a few minutes; the REST polls cover any longer gap.
            self.catch_ups.append(asyncio.create_task(self._on_reconnect()))

    async def on_data(self, raw_data: bytes) -> None:
        self._lines += 1
        line = parse_line(self._lines, raw_data, source=self._source)
        if not isinstance(line, JsonLine):
            self._rejected.append(line)
            return
        if not self._is_for_this_account(line.value):
            return
        page = normalise_page(line.value, source=self._source)
        self._mentions.extend(page.mentions)
        self._rejected.extend(page.rejected)
        for mention in page.mentions:
            if self._newest is None or int(mention.external_id) > int(self._newest):
                self._newest = mention.external_id

    def _is_for_this_account(self, value: dict[str, Any]) -> bool:
        rules = value.get("matching_rules")
        if not isinstance(rules, list):
            return True  # errors and odd lines go through normalisation and quarantine
        tag = rule_tag(self.account)
        return any(isinstance(r, dict) and r.get("tag") == tag for r in rules)

    async def on_connection_error(self) -> None:
        log.warning(
            "x stream connection lost; reconnecting",
            extra={"action": "x_stream_disconnect", "account": self.account.handle},
        )

    async def on_request_error(self, status_code: int) -> None:
        log.warning(
            "x stream refused",
            extra={
                "action": "x_stream_http_error",
                "account": self.account.handle,
                "status": status_code,
            },
        )

    async def on_exception(self, exception: Exception) -> None:
        log.error(
            "x stream stopped on an error",
            extra={
                "action": "x_stream_error",
                "account": self.account.handle,
                "error": exception.__class__.__name__,
            },
        )
