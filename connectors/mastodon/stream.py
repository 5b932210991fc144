"""The user stream of a Mastodon account: live mentions, reconnection, REST catch-up.

`GET /api/v1/streaming/user` sends server-sent events: `notification` (a mention among them),
`update` and `status.update` (home timeline posts), `delete`, and a `:thump` heartbeat. Mention
notifications are kept, and `delete` events, whose data is the deleted status's bare id: the
instance sends one to the author's followers and to every local account the status mentioned,
so a customer deleting a post that mentioned the brand is seen here (ingestion removes its
text, or ignores an id it does not hold). Both are written in batches every `flush_seconds`.

The stream's batches carry a cursor of their own (`...:stream`), never the REST one: a stream
cannot prove it missed nothing, so only the REST poll, reading page by page from its cursor,
moves that cursor. After every break the stream reconnects with backoff and, once connected
again, runs `on_reconnect` (the runner's REST poll), which reads whatever arrived while it was
away; ingestion drops what both paths delivered. Silence longer than `read_timeout` (three
heartbeats) means the connection is dead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable

import aiohttp

from connectors.common.live_stream import BatchedStream, CatchUp, StreamBatches
from connectors.common.polling import Ingest
from connectors.mastodon.api import MastodonApi, MastodonApiError, instance_url, is_status_id
from connectors.mastodon.normalise import newer, normalise_notification
from connectors.mastodon.poller import MastodonAccount, cursor_name
from connectors.mastodon.sse import EventParser, ServerEvent
from inbox.domain.errors import ConfigurationError
from inbox.domain.ingestion import NetworkDeletion, RejectedPayload
from inbox.domain.network import Network

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
STREAM_PATH = "/api/v1/streaming/user"


async def streaming_base(api: MastodonApi) -> str:
    """Where the instance serves its streaming API (`configuration.urls.streaming`, often
    another host); the instance itself when it does not say."""
    try:
        answer = await api.instance_info()
    except MastodonApiError:
        return api.instance
    body = answer.body if isinstance(answer.body, dict) else {}
    configuration = body.get("configuration")
    urls = configuration.get("urls") if isinstance(configuration, dict) else None
    streaming = urls.get("streaming") if isinstance(urls, dict) else None
    if not isinstance(streaming, str):
        return api.instance
    as_http = streaming.replace("wss://", "https://", 1).replace("ws://", "http://", 1)
    try:
        return instance_url(as_http)
    except ConfigurationError:
        return api.instance


class MastodonStream(BatchedStream):
    def __init__(
        self,
        account: MastodonAccount,
        api: MastodonApi,
        ingest: Ingest,
        *,
        on_reconnect: CatchUp | None = None,
        flush_seconds: float = 0.5,
        read_timeout: float = 50.0,
        max_backoff_seconds: float = 60.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.account = account
        self._api = api
        self._flush_seconds = flush_seconds
        self._read_timeout = read_timeout
        self._max_backoff = max_backoff_seconds
        self._sleep = sleep
        self._batches = StreamBatches(
            ingest,
            account.workspace_id,
            cursor_name(account, "stream"),
            network="mastodon",
            handle=account.handle,
            on_reconnect=on_reconnect,
        )
        self._source = f"mastodon-stream:{account.handle}"
        self._base: str | None = None
        self.breaks = 0
        self.events: dict[str, int] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Stream until `stop` is set, writing what arrives every `flush_seconds`."""
        listening = asyncio.create_task(self._listen(stop))
        await self._batches.write_while_running(
            stop, listening, every_seconds=self._flush_seconds, halt=listening.cancel
        )

    # -- the connection ---------------------------------------------------------------------

    async def _listen(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            delivered = False
            try:
                delivered = await self._connect_once()
            except (aiohttp.ClientError, TimeoutError, ValueError) as error:
                # ValueError: aiohttp's "line too long"; a stream that sends one is broken.
                log.warning(
                    "mastodon stream connection lost; reconnecting",
                    extra={
                        "action": "mastodon_stream_disconnect",
                        "account": self.account.handle,
                        "error": error.__class__.__name__,
                    },
                )
            except MastodonApiError as error:
                log.warning(
                    "mastodon stream refused",
                    extra={
                        "action": "mastodon_stream_http_error",
                        "account": self.account.handle,
                        "error": str(error),
                    },
                )
            self.breaks += 1
            failures = 0 if delivered else failures + 1
            if failures:
                await self._sleep(self._delay(failures))

    def _delay(self, failures: int) -> float:
        """Exponential backoff with jitter, so that many accounts do not reconnect at once."""
        ceiling = min(self._max_backoff, 2.0 ** min(failures - 1, 16))
        return ceiling * (0.5 + random.random() / 2)

    async def _connect_once(self) -> bool:
        """One connection until it breaks; True when it delivered anything."""
        if self._base is None:
            self._base = await streaming_base(self._api)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=self._read_timeout)
        async with self._api.session.get(
            self._base + STREAM_PATH,
            headers={**self._api.authorization(), "Accept": "text/event-stream"},
            timeout=timeout,
            allow_redirects=False,
        ) as response:
            if response.status != 200:
                detail = (await response.read())[:200].decode("utf-8", "replace")
                raise MastodonApiError(f"stream: HTTP {response.status}: {detail}")
            self._batches.connected()
            parser = EventParser()
            delivered = False
            try:
                while True:
                    line = await response.content.readline()
                    if not line:
                        break
                    delivered = True
                    event = parser.feed(line)
                    if event is not None:
                        self._on_event(event)
            finally:
                cut = parser.pending()
                if cut is not None:
                    error = "the stream broke in the middle of an event"
                    self._batches.rejected.append(RejectedPayload(self._source, cut, error))
            return delivered

    # -- events -------------------------------------------------------------------------------

    def _on_event(self, event: ServerEvent) -> None:
        self.events[event.name] = self.events.get(event.name, 0) + 1
        if event.name == "delete":
            self._on_delete(event)
            return
        if event.name != "notification":
            return  # timeline updates and edits: mentions come as notifications
        try:
            value = json.loads(event.data)
        except (ValueError, RecursionError) as exc:
            error = f"notification event: not valid JSON ({exc})"
            self._batches.rejected.append(RejectedPayload(self._source, event.raw, error))
            return
        result = normalise_notification(value, source=self._source)
        if result.mention is not None:
            self._batches.mentions.append(result.mention)
        if result.rejected is not None:
            self._batches.rejected.append(result.rejected)
        if result.mention is not None or result.rejected is not None:
            self._batches.newest = newer(self._batches.newest, result.notification_id)

    def _on_delete(self, event: ServerEvent) -> None:
        status_id = event.data.strip()
        if not is_status_id(status_id):
            error = "delete event: the data is not a status id"
            self._batches.rejected.append(RejectedPayload(self._source, event.raw, error))
            return
        self._batches.deletions.append(NetworkDeletion(Network.MASTODON.value, status_id))
