"""The networks: connector state, API usage, channel health, outbound channels, inbound sources."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from inbox.domain.inbound_webhooks import (
    InboundSource,
    NewSource,
    ParsedDelivery,
    SourceSummary,
)
from inbox.domain.mention import Mention
from inbox.domain.network import ChannelStatus
from inbox.domain.outbox import OutboxItem

if TYPE_CHECKING:
    pass


class HealthCheck(Protocol):
    async def ping(self) -> None:
        """Raises DatabaseUnavailableError when the database does not answer."""
        ...


class ConnectorState(Protocol):
    """What a connector reads back between polls: its cursors and which posts are stored."""

    async def cursor(self, workspace_id: int, connector: str) -> str | None: ...

    async def known_external_ids(
        self, workspace_id: int, network: str, external_ids: Sequence[str]
    ) -> set[str]: ...


class ApiUsageLedger(Protocol):
    """Requests and posts read per account and day (what a network bills)."""

    async def record(
        self, workspace_id: int, account_id: int, day: date, requests: int, reads: int
    ) -> None: ...

    async def reads(
        self, workspace_id: int, account_id: int, day: date, month_start: date
    ) -> tuple[int, int]:
        """Posts read on `day` and since `month_start` (inclusive)."""
        ...


class ChannelHealthStore(Protocol):
    async def save(
        self,
        workspace_id: int,
        account_id: int,
        health: Mapping[str, Any],
        events: Sequence[tuple[str, str, datetime]],
    ) -> None:
        """The channel's latest health; events (kind, reason, at) are stored and notified."""
        ...

    async def load(self, workspace_id: int, account_id: int) -> dict[str, Any] | None: ...


class OutboundChannel(Protocol):
    """Posts for one connected account. Raises DeliveryError, permanent or not."""

    async def send(self, item: OutboxItem) -> Mention:
        """Post the item; the answer is the message as posted, an outbound mention."""
        ...

    async def find_sent(self, item: OutboxItem) -> Mention | None:
        """The message if an earlier attempt posted it (looked up on the network)."""
        ...


class OutboundChannels(Protocol):
    async def for_account(self, workspace_id: int, account_id: int | None) -> OutboundChannel:
        """Raises DeliveryError(permanent=True) when the account cannot post."""
        ...


class ChannelQuery(Protocol):
    async def list_channels(self, workspace_id: int) -> list[ChannelStatus]: ...


class InboundSourceStore(Protocol):
    """Sources that push events to the inbox, with their secrets unsealed."""

    async def find(self, workspace_slug: str, name: str) -> InboundSource | None: ...

    async def add(self, workspace_id: int, source: NewSource) -> InboundSource | None:
        """None when the workspace already has a source of that name."""
        ...

    async def all(self, workspace_id: int) -> list[SourceSummary]: ...

    async def remove(self, workspace_id: int, name: str) -> bool: ...


class InboundFormat(Protocol):
    """How one kind of source signs its deliveries and what they contain."""

    def verify(
        self, source: InboundSource, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> None:
        """Raises SignatureRejected; runs before anything of the body is read."""
        ...

    async def parse(self, source: InboundSource, body: bytes) -> ParsedDelivery:
        """Mentions and rejects; never raises on bad input."""
        ...
