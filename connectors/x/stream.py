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
import logging
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
from tweepy import StreamRule
from tweepy.asynchronous import AsyncStreamingClient

from connectors.common.live_stream import BatchedStream, CatchUp, StreamBatches
from connectors.common.polling import Ingest
from connectors.jsonl import JsonLine, parse_line
from connectors.x.api import EXPANSIONS, MEDIA_FIELDS, TWEET_FIELDS, USER_FIELDS
from connectors.x.normalise import normalise_page
from connectors.x.poller import XAccount, search_query
from inbox.domain.ingestion import NetworkDeletion
from inbox.domain.network import Network

log = logging.getLogger(__name__)


def desired_rules(account: XAccount) -> list[str]:
    """Mentions of the account (not its own posts) and, if any, its search terms."""
    rules = [f"@{account.handle} -from:{account.handle}"]
    if account.search_terms:
        rules.append(search_query(account.search_terms, account.handle))
    return rules


def rule_tag(account: XAccount) -> str:
    return f"inbox:{account.user_id}"


class XStream(BatchedStream, AsyncStreamingClient):  # type: ignore[misc]  # tweepy ships no types
    def __init__(
        self,
        account: XAccount,
        bearer_token: str,
        session_factory: Callable[[], aiohttp.ClientSession],
        ingest: Ingest,
        *,
        on_reconnect: CatchUp | None = None,
        flush_seconds: float = 0.5,
        backfill_minutes: int | None = 2,
    ) -> None:
        super().__init__(bearer_token, return_type=dict)
        self.account = account
        self._session_factory = session_factory
        self._flush_seconds = flush_seconds
        self._backfill_minutes = backfill_minutes
        # The backfill covers a few minutes; the REST polls (`on_reconnect`) any longer gap.
        self._batches = StreamBatches(
            ingest,
            account.workspace_id,
            f"x:{account.user_id}:stream",
            network="x",
            handle=account.handle,
            on_reconnect=on_reconnect,
        )
        self._lines = 0
        self._source = f"x-stream:{account.handle}"

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
            media_fields=MEDIA_FIELDS,
        )
        await self._batches.write_while_running(
            stop, task, every_seconds=self._flush_seconds, halt=self.disconnect
        )

    # -- tweepy's callbacks -----------------------------------------------------------------

    async def on_connect(self) -> None:
        self._batches.connected()

    async def on_data(self, raw_data: bytes) -> None:
        self._lines += 1
        line = parse_line(self._lines, raw_data, source=self._source)
        if not isinstance(line, JsonLine):
            self._batches.rejected.append(line)
            return
        if not self._is_for_this_account(line.value):
            return
        page = normalise_page(line.value, source=self._source)
        self._batches.mentions.extend(page.mentions)
        self._batches.rejected.extend(page.rejected)
        # A post answering a tweet deleted since: the line's errors name the tweet.
        self._batches.deletions.extend(NetworkDeletion(Network.X.value, i) for i in page.deleted)
        for mention in page.mentions:
            newest = self._batches.newest
            if newest is None or int(mention.external_id) > int(newest):
                self._batches.newest = mention.external_id

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
