"""The worker's connectors, wired: every enabled account of every workspace, with its secrets
from the store, through its network's wiring (`connectors/<network>/wiring.py`); and the
HTTP sessions they share. Part of the composition root: only `inbox.bootstrap` imports it.

The accounts are followed, not read once: `AccountCatalog` builds an account's parts again
whenever its version (its row and secrets) changes. Every worker keeps the channels of every
account (its outbox may post any thread's reply); only the worker that holds an account's
lease runs its runner and stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from connectors.bluesky.wiring import BlueskyWiring
from connectors.bluesky.xrpc import bluesky_session
from connectors.common.polling import Ingest
from connectors.common.wiring import (
    AccountParts,
    ConnectorPorts,
    EnabledAccount,
    NetworkWiring,
    wire_account,
)
from connectors.mastodon.api import mastodon_session
from connectors.mastodon.wiring import MastodonWiring
from connectors.meta.graph import graph_session
from connectors.meta.wiring import meta_channels
from connectors.webhooks.outbound import webhook_session
from connectors.x.session import parse_address, x_api_session
from connectors.x.wiring import XWiring
from inbox.domain.clock import Clock
from inbox.domain.network import Network
from inbox.ports.connectors import OutboundChannel
from inbox.ports.leases import AccountKey
from inbox.settings import Settings
from inbox.store.connector_state import PgApiUsageLedger, PgChannelHealthStore, PgConnectorState
from inbox.store.credentials import PgCredentialStore
from inbox.store.database import Database
from inbox.store.inbound_webhooks import PgInboundSourceStore
from inbox.store.retention import PgHeldMessages
from inbox.store.secret_box import SecretBox
from inbox.store.workspaces import PgWorkspaceStore
from inbox.worker import LongRunning


@dataclass(frozen=True, slots=True)
class NetworkSessions:
    """The HTTP sessions a worker's accounts share, one per network, each to the addresses the
    egress policy allows (X's may be pinned to a test double)."""

    x: aiohttp.ClientSession
    webhooks: aiohttp.ClientSession
    graph: aiohttp.ClientSession
    bluesky: aiohttp.ClientSession
    mastodon: aiohttp.ClientSession


def _x_pinned_address(settings: Settings) -> tuple[str, int] | None:
    return parse_address(settings.x_api_address) if settings.x_api_address else None


@asynccontextmanager
async def network_sessions(settings: Settings) -> AsyncIterator[NetworkSessions]:
    egress = settings.egress_policy()
    sessions = NetworkSessions(
        x_api_session(pinned_address=_x_pinned_address(settings), ca_file=settings.x_api_ca_file),
        webhook_session(egress),
        graph_session(egress),
        bluesky_session(egress),
        mastodon_session(egress),
    )
    try:
        yield sessions
    finally:
        await sessions.x.close()
        await sessions.webhooks.close()
        await sessions.graph.close()
        await sessions.bluesky.close()
        await sessions.mastodon.close()


@dataclass(frozen=True, slots=True)
class ConnectorSources:
    """Where the accounts, their secrets and their mentions' way in come from."""

    settings: Settings
    db: Database
    box: SecretBox
    ingest: Ingest
    clock: Clock


class AccountCatalog:
    """Every enabled account's parts (implements the worker's AccountCatalog), and the
    channels the outbox posts on: a live mapping, kept as accounts come, change and go."""

    def __init__(self, sources: ConnectorSources, sessions: NetworkSessions) -> None:
        settings, db, clock = sources.settings, sources.db, sources.clock
        self._sources = sources
        self._ports = ConnectorPorts(
            sources.ingest,
            PgConnectorState(db),
            PgApiUsageLedger(db),
            PgChannelHealthStore(db),
            PgHeldMessages(db),
        )
        self._wirings: dict[Network, NetworkWiring[Any, Any]] = {
            Network.X: XWiring(
                sessions.x, clock, _x_pinned_address(settings), settings.x_api_ca_file
            ),
            Network.MASTODON: MastodonWiring(sessions.mastodon, clock),
            Network.BLUESKY: BlueskyWiring(sessions.bluesky, clock, settings.bluesky_service),
        }
        self._built: dict[AccountKey, tuple[str, AccountParts | None]] = {}
        self.channels: dict[AccountKey, OutboundChannel] = {}

    async def follow(self, accounts: Mapping[AccountKey, str]) -> None:
        for gone in set(self._built) - set(accounts):
            del self._built[gone]
            self.channels.pop(gone, None)
        changed = {
            account
            for account, version in accounts.items()
            if account not in self._built or self._built[account][0] != version
        }
        if not changed:
            return
        credentials = PgCredentialStore(self._sources.db, self._sources.box)
        for network, wiring in self._wirings.items():
            for configured in await PgWorkspaceStore(self._sources.db).enabled_accounts(network):
                key = (configured.workspace_id, configured.account_id)
                if key not in changed:
                    continue
                account = EnabledAccount(
                    configured.workspace_id,
                    configured.account_id,
                    configured.external_id,
                    configured.handle,
                    configured.settings,
                    await credentials.load(configured.workspace_id, configured.account_id),
                )
                parts = wire_account(wiring, account, self._ports)
                self._built[key] = (accounts[key], parts)
                if parts is not None and parts.channel is not None:
                    self.channels[key] = parts.channel
                else:
                    self.channels.pop(key, None)

    def parts(self, account: AccountKey) -> list[LongRunning]:
        _, parts = self._built.get(account, ("", None))
        if parts is None:
            return []
        runner = parts.runner
        # Named by network and account id, not handle: /healthz needs no login.
        running = [LongRunning(f"{runner.network}:{runner.account.account_id}", runner.run)]
        if parts.stream is not None:
            running.append(LongRunning(parts.stream.part, parts.stream.run))
        return running


async def account_catalog(sources: ConnectorSources, sessions: NetworkSessions) -> AccountCatalog:
    """The catalog, with Meta's channels (webhook sources that reply: no runner, no lease)."""
    catalog = AccountCatalog(sources, sessions)
    replying = await PgInboundSourceStore(sources.db, sources.box).replying()
    catalog.channels.update(meta_channels(replying, sessions.graph, sources.clock))
    return catalog
