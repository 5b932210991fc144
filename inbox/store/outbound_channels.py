"""The OutboundChannels port over the channels a worker built for its connected accounts."""

from __future__ import annotations

from collections.abc import Mapping

from inbox.domain.outbox import DeliveryError
from inbox.ports.connectors import OutboundChannel


class ChannelDirectory:
    """Channels by (workspace, account). An item whose account has no channel here (not
    connected, or no posting credentials) cannot be sent by retrying: its failure is
    permanent. `channels` is read at each look-up: the worker keeps it as accounts change."""

    def __init__(self, channels: Mapping[tuple[int, int], OutboundChannel]) -> None:
        self._channels = channels

    async def for_account(self, workspace_id: int, account_id: int | None) -> OutboundChannel:
        channel = self._channels.get((workspace_id, account_id or 0))
        if channel is None:
            raise DeliveryError(
                "no connected account with posting credentials for this thread's network",
                permanent=True,
            )
        return channel
