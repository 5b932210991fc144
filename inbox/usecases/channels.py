"""Connected channels as the API and metrics show them."""

from __future__ import annotations

from inbox.domain.network import ChannelStatus
from inbox.ports.connectors import ChannelQuery


class ListChannels:
    def __init__(self, query: ChannelQuery) -> None:
        self._query = query

    async def __call__(self, workspace_id: int) -> list[ChannelStatus]:
        return await self._query.list_channels(workspace_id)
