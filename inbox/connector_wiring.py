"""The worker's connectors, wired: every enabled account of every workspace, with its secrets
from the store, through its network's wiring (`connectors/<network>/wiring.py`); and the
HTTP sessions they share. Part of the composition root: only `inbox.bootstrap` imports it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp

from connectors.bluesky.wiring import BlueskyWiring
from connectors.bluesky.xrpc import bluesky_session
from connectors.common.polling import Ingest
from connectors.common.wiring import (
    ConnectorPorts,
    ConnectorWorkers,
    EnabledAccount,
    wire_accounts,
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
from inbox.settings import Settings
from inbox.store.connector_state import PgApiUsageLedger, PgChannelHealthStore, PgConnectorState
from inbox.store.credentials import PgCredentialStore
from inbox.store.database import Database
from inbox.store.inbound_webhooks import PgInboundSourceStore
from inbox.store.secret_box import SecretBox
from inbox.store.workspaces import PgWorkspaceStore


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


async def connector_workers(
    sources: ConnectorSources, sessions: NetworkSessions
) -> ConnectorWorkers:
    """The runners, streams and channels of every enabled account, and Meta's channels."""
    settings, db, clock = sources.settings, sources.db, sources.clock
    ports = ConnectorPorts(
        sources.ingest, PgConnectorState(db), PgApiUsageLedger(db), PgChannelHealthStore(db)
    )
    x = XWiring(sessions.x, clock, _x_pinned_address(settings), settings.x_api_ca_file)
    mastodon = MastodonWiring(sessions.mastodon, clock)
    bluesky = BlueskyWiring(sessions.bluesky, clock, settings.bluesky_service)
    workers = ConnectorWorkers()
    workers.add(wire_accounts(x, await _enabled_accounts(sources, Network.X), ports))
    workers.add(wire_accounts(mastodon, await _enabled_accounts(sources, Network.MASTODON), ports))
    workers.add(wire_accounts(bluesky, await _enabled_accounts(sources, Network.BLUESKY), ports))
    replying = await PgInboundSourceStore(db, sources.box).replying()
    workers.channels.update(meta_channels(replying, sessions.graph, clock))
    return workers


async def _enabled_accounts(sources: ConnectorSources, network: Network) -> list[EnabledAccount]:
    credentials = PgCredentialStore(sources.db, sources.box)
    return [
        EnabledAccount(
            configured.workspace_id,
            configured.account_id,
            configured.external_id,
            configured.handle,
            configured.settings,
            await credentials.load(configured.workspace_id, configured.account_id),
        )
        for configured in await PgWorkspaceStore(sources.db).enabled_accounts(network)
    ]
