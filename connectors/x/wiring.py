"""An X account's parts: its keys, a client on the shared session, the poller and its runner
paced by the account's read budget, the filtered stream where the account asks for it, and a
channel when the keys can post."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from connectors.common.wiring import AccountParts, ConnectorPorts, EnabledAccount, Stream
from connectors.x.api import XApi, XCredentials
from connectors.x.budget import PollingPlan, ReadBudget
from connectors.x.outbound import XOutboundChannel
from connectors.x.poller import XAccount, XPoller
from connectors.x.runner import XAccountRunner
from connectors.x.session import stream_timeout, x_api_session
from connectors.x.stream import XStream, desired_rules
from inbox.domain.clock import Clock

# With the stream on, REST polls are a safety net: they close gaps the stream's backfill
# cannot, so they run rarely.
STREAMED_POLL_SECONDS = 900.0


def polling_plan(account_settings: Mapping[str, Any]) -> PollingPlan:
    default = STREAMED_POLL_SECONDS if account_settings.get("stream") else 60.0
    mentions = float(account_settings.get("poll_mentions_seconds") or default)
    search = float(account_settings.get("poll_search_seconds") or 300)
    return PollingPlan(
        mentions_base_seconds=mentions,
        search_base_seconds=max(search, mentions),
        min_seconds=min(15.0, mentions),
        max_seconds=max(3600.0, search),
    )


@dataclass(frozen=True, slots=True)
class XWiring:
    """`session` serves every account's REST calls; each stream opens its own session to the
    same (pinned) address, with the stream's read timeout."""

    session: aiohttp.ClientSession
    clock: Clock
    pinned_address: tuple[str, int] | None = None
    ca_file: Path | None = None
    network: str = "x"
    missing_credentials: str = "x account has no credentials; run inbox connect x"
    address_refused: str = "x_bad_address"

    def credentials(self, account: EnabledAccount) -> XCredentials | None:
        keys = XCredentials.from_mapping(account.secrets)
        return keys if keys.can_read else None

    def client(self, account: EnabledAccount, credentials: XCredentials) -> XApi:
        return XApi(credentials, self.session, clock=self.clock)

    def parts(
        self,
        account: EnabledAccount,
        credentials: XCredentials,
        client: XApi,
        ports: ConnectorPorts,
    ) -> AccountParts:
        x_account = XAccount(
            account.workspace_id,
            account.account_id,
            account.external_id,
            account.handle,
            tuple(account.settings.get("search_terms") or ()),
        )
        poller = XPoller(x_account, client, ports.ingest, ports.state)
        budget = ReadBudget(
            reads_per_day=account.settings.get("reads_per_day"),
            reads_per_month=account.settings.get("reads_per_month"),
        )
        runner = XAccountRunner(
            poller,
            client,
            ports.ledger,
            ports.health,
            budget=budget,
            plan=polling_plan(account.settings),
            clock=self.clock,
        )
        stream = None
        if account.settings.get("stream") and credentials.bearer_token is not None:
            stream = self._stream(runner, credentials.bearer_token.get_secret_value())
        channel = XOutboundChannel(x_account, client, self.clock) if credentials.can_post else None
        return AccountParts(runner, channel, stream)

    def _stream(self, runner: XAccountRunner, bearer_token: str) -> Stream:
        async def catch_up() -> None:
            # After a reconnection: poll now; the REST cursors close whatever the backfill
            # missed.
            for stream_kind in list(runner.next_at):
                await runner.tick(stream_kind)

        stream = XStream(
            runner.account,
            bearer_token,
            lambda: x_api_session(
                pinned_address=self.pinned_address,
                ca_file=self.ca_file,
                timeout=stream_timeout(30),
            ),
            runner.ingest,
            on_reconnect=catch_up,
        )

        async def streaming(stop: asyncio.Event) -> None:
            # The account's stream rules made right (again after a failure: they may have been
            # it), then the stream.
            await stream.sync_rules(desired_rules(stream.account))
            await stream.run(stop)

        return Stream(f"x:{runner.account.account_id}:stream", streaming)
