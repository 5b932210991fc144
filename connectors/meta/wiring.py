"""Meta's parts: a channel per Facebook Page or Instagram account of every webhook source
with a Page token. Meta has no poller nor runner: its mentions arrive by signed webhook."""

from __future__ import annotations

from collections.abc import Iterable

import aiohttp

from connectors.meta.graph import GRAPH_URL, GraphApi
from connectors.meta.outbound import MetaOutboundChannel
from inbox.domain.clock import Clock
from inbox.domain.inbound_webhooks import InboundSource
from inbox.domain.network import Network
from inbox.ports.connectors import OutboundChannel


def meta_channels(
    sources: Iterable[InboundSource], session: aiohttp.ClientSession, clock: Clock
) -> dict[tuple[int, int], OutboundChannel]:
    channels: dict[tuple[int, int], OutboundChannel] = {}
    for source in sources:
        if source.access_token is None:
            continue
        url = str(source.settings.get("graph_url") or GRAPH_URL)
        api = GraphApi(session, url, source.access_token)
        for network, account_id in (
            (Network.FACEBOOK, source.facebook_account_id),
            (Network.INSTAGRAM, source.instagram_account_id),
        ):
            external_id = source.settings.get(f"{network.value}_id")
            if account_id is not None and external_id:
                handle = str(source.settings.get(f"{network.value}_handle") or "")
                channels[(source.workspace_id, account_id)] = MetaOutboundChannel(
                    network, str(external_id), handle, api, clock
                )
    return channels
