"""A Mastodon account's parts: its token and instance, a client, the poller and its runner,
the user stream where the account asks for it (then REST polls are its rare safety net), and
the channel that posts replies."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from pydantic import SecretStr

from connectors.common.stored_posts import stored_posts_check
from connectors.common.wiring import AccountParts, ConnectorPorts, EnabledAccount, Stream
from connectors.mastodon.api import STATUSES_PER_LOOKUP, MastodonApi
from connectors.mastodon.outbound import MastodonOutboundChannel
from connectors.mastodon.poller import MastodonAccount, MastodonPoller
from connectors.mastodon.runner import MastodonAccountRunner
from connectors.mastodon.stream import MastodonStream
from inbox.domain.clock import Clock
from inbox.domain.network import Network

# With the user stream on, REST polls are its safety net: they run rarely.
STREAMED_POLL_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class MastodonKeys:
    instance: str
    access_token: SecretStr


@dataclass(frozen=True, slots=True)
class MastodonWiring:
    session: aiohttp.ClientSession
    clock: Clock
    network: str = "mastodon"
    missing_credentials: str = (
        "mastodon account has no token or instance; run inbox connect mastodon"
    )
    address_refused: str = "mastodon_bad_instance"

    def credentials(self, account: EnabledAccount) -> MastodonKeys | None:
        token = account.secrets.get("access_token")
        instance = account.settings.get("instance")
        if token is None or not isinstance(instance, str):
            return None
        return MastodonKeys(instance, token)

    def client(self, account: EnabledAccount, credentials: MastodonKeys) -> MastodonApi:
        return MastodonApi(
            credentials.instance, credentials.access_token, self.session, clock=self.clock
        )

    def parts(
        self,
        account: EnabledAccount,
        credentials: MastodonKeys,
        client: MastodonApi,
        ports: ConnectorPorts,
    ) -> AccountParts:
        mastodon_account = MastodonAccount(
            account.workspace_id,
            account.account_id,
            credentials.instance,
            account.external_id,
            account.handle,
        )
        streamed = bool(account.settings.get("stream"))
        default = STREAMED_POLL_SECONDS if streamed else 60.0
        poll_seconds = float(account.settings.get("poll_seconds") or default)
        # Status ids are the instance's own: asked only where one account was connected.
        check = stored_posts_check(
            ports.held, account.workspace_id, Network.MASTODON.value, client.present_statuses,
            per_call=STATUSES_PER_LOOKUP, clock=self.clock, ids_are_global=False,
        )  # fmt: skip
        poller = MastodonPoller(
            mastodon_account, client, ports.ingest, ports.state, deletions=check
        )
        runner = MastodonAccountRunner(
            poller, client, ports.ledger, ports.health, clock=self.clock, poll_seconds=poll_seconds
        )
        stream = None
        if streamed:
            user_stream = MastodonStream(
                mastodon_account, client, runner.ingest, on_reconnect=runner.tick
            )
            stream = Stream(f"mastodon:{account.account_id}:stream", user_stream.run)
        channel = MastodonOutboundChannel(mastodon_account, client, self.clock)
        return AccountParts(runner, channel, stream)
