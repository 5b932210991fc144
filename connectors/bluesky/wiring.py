"""A Bluesky account's parts: its app password, a client of its service (the account's own
PDS or the workspace's default), the poller and its runner, and the channel that posts
replies."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from connectors.bluesky.outbound import BlueskyOutboundChannel
from connectors.bluesky.poller import BlueskyAccount, BlueskyPoller
from connectors.bluesky.runner import BlueskyAccountRunner
from connectors.bluesky.xrpc import POSTS_PER_CALL, BlueskyApi, BlueskyCredentials
from connectors.common.stored_posts import stored_posts_check
from connectors.common.wiring import AccountParts, ConnectorPorts, EnabledAccount
from inbox.domain.clock import Clock
from inbox.domain.network import Network


@dataclass(frozen=True, slots=True)
class BlueskyWiring:
    session: aiohttp.ClientSession
    clock: Clock
    # Where accounts without a service of their own sign in.
    default_service: str
    network: str = "bluesky"
    missing_credentials: str = "bluesky account has no app password; run inbox connect bluesky"
    address_refused: str = "bluesky_bad_service"

    def credentials(self, account: EnabledAccount) -> BlueskyCredentials | None:
        return BlueskyCredentials.from_mapping(account.secrets)

    def client(self, account: EnabledAccount, credentials: BlueskyCredentials) -> BlueskyApi:
        service = account.settings.get("service") or self.default_service
        return BlueskyApi(str(service), account.handle, credentials, self.session, clock=self.clock)

    def parts(
        self,
        account: EnabledAccount,
        credentials: BlueskyCredentials,
        client: BlueskyApi,
        ports: ConnectorPorts,
    ) -> AccountParts:
        bluesky_account = BlueskyAccount(
            account.workspace_id, account.account_id, account.external_id, account.handle
        )
        # AT-URIs name a post wherever they are asked.
        check = stored_posts_check(
            ports.held, account.workspace_id, Network.BLUESKY.value, client.present_posts,
            per_call=POSTS_PER_CALL, clock=self.clock, ids_are_global=True,
        )  # fmt: skip
        poller = BlueskyPoller(bluesky_account, client, ports.ingest, ports.state, deletions=check)
        poll_seconds = float(account.settings.get("poll_seconds") or 30.0)
        runner = BlueskyAccountRunner(
            poller, client, ports.ledger, ports.health, clock=self.clock, poll_seconds=poll_seconds
        )
        channel = BlueskyOutboundChannel(bluesky_account, client, self.clock)
        return AccountParts(runner, channel)
