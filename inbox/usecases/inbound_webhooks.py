"""Receiving signed webhook deliveries, and configuring the sources that send them.

A delivery is checked before anything of it is read: an unknown source is NotFoundError, a
body over the limit PayloadTooLarge, a missing or wrong signature SignatureRejected, and none
of these stores anything (an unsigned body is untrusted, even for quarantine). A signed
delivery is ingested as one batch: its mentions deduplicated and threaded like any other, its
malformed parts quarantined with the reason. A replayed delivery therefore adds nothing.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping

from pydantic import SecretStr

from inbox.domain.clock import Clock
from inbox.domain.errors import ConfigurationError, NotFoundError
from inbox.domain.inbound_webhooks import (
    MAX_BODY_BYTES,
    SOURCE_NAME,
    DeliveryReceipt,
    InboundSource,
    NewSource,
    PayloadTooLarge,
    SignatureRejected,
    SourceKind,
    SourceSummary,
    check_handshake,
    checked_name,
)
from inbox.domain.ingestion import IngestBatch
from inbox.domain.network import Network
from inbox.ports.connectors import InboundFormat, InboundSourceStore
from inbox.ports.outbox import OutboundDestinations
from inbox.usecases.group_commit import Ingest

log = logging.getLogger(__name__)


class ReceiveWebhooks:
    def __init__(
        self,
        sources: InboundSourceStore,
        formats: Mapping[SourceKind, InboundFormat],
        ingest: Ingest,
        *,
        clock: Clock,
    ) -> None:
        self._sources = sources
        self._formats = dict(formats)
        self._ingest = ingest
        self._clock = clock

    async def _source(self, workspace: str, name: str) -> InboundSource:
        # Names that could not exist are refused before any query.
        if not SOURCE_NAME.fullmatch(name) or not SOURCE_NAME.fullmatch(workspace):
            raise NotFoundError("webhook source", name[:64])
        source = await self._sources.find(workspace, name)
        if source is None or source.kind not in self._formats:
            raise NotFoundError("webhook source", name)
        return source

    async def handshake(
        self,
        workspace: str,
        name: str,
        mode: str | None,
        token: str | None,
        challenge: str | None,
    ) -> str:
        """Meta's subscription check: the challenge to echo, or HandshakeRefused."""
        source = await self._source(workspace, name)
        if source.kind is not SourceKind.META:
            raise NotFoundError("subscription handshake of source", name)
        answer = check_handshake(source.verify_token, mode, token, challenge)
        log.info(
            "webhook subscription confirmed",
            extra={
                "action": "inbound_handshake",
                "workspace_id": source.workspace_id,
                "source": source.name,
            },
        )
        return answer

    async def deliver(
        self, workspace: str, name: str, body: bytes, headers: Mapping[str, str]
    ) -> DeliveryReceipt:
        source = await self._source(workspace, name)
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(len(body))
        kind = self._formats[source.kind]
        try:
            kind.verify(source, body, headers, self._clock())
        except SignatureRejected as error:
            log.warning(
                "webhook delivery refused",
                extra={
                    "action": "inbound_refused",
                    "workspace_id": source.workspace_id,
                    "source": source.name,
                    "reason": str(error),
                },
            )
            raise
        parsed = await kind.parse(source, body)
        if not parsed.mentions and not parsed.rejected:
            return DeliveryReceipt(0, 0, 0, parsed.ignored)
        result = await self._ingest(
            source.workspace_id, IngestBatch(parsed.mentions, parsed.rejected)
        )
        return DeliveryReceipt(
            result.mentions_added, result.duplicates, result.quarantined, parsed.ignored
        )


def _taken(name: str) -> ConfigurationError:
    return ConfigurationError("source name", f"the workspace already has a source {name!r}")


class ManageWebhookSources:
    """Adding, listing and removing sources; a generic source's secret is made here."""

    def __init__(self, sources: InboundSourceStore, destinations: OutboundDestinations) -> None:
        self._sources = sources
        self._destinations = destinations

    async def add_generic(self, workspace_id: int, name: str) -> tuple[InboundSource, SecretStr]:
        secret = SecretStr("whsec_" + secrets.token_urlsafe(32))
        source = await self._sources.add(
            workspace_id, NewSource(checked_name(name), SourceKind.GENERIC, secret)
        )
        if source is None:
            raise _taken(name)
        return source, secret

    async def add_meta(
        self,
        workspace_id: int,
        name: str,
        *,
        app_secret: SecretStr,
        verify_token: SecretStr,
        access_token: SecretStr | None,
        graph_url: str,
        page: tuple[str, str] | None,
        instagram: tuple[str, str] | None,
    ) -> InboundSource:
        """`page` and `instagram` are (id, name or username) of the brand's own accounts."""
        if len(app_secret.get_secret_value()) < 16:
            raise ConfigurationError("app secret", "Meta app secrets are 32 hex digits")
        if len(verify_token.get_secret_value()) < 8:
            raise ConfigurationError("verify token", "at least 8 characters")
        # The Page token goes with every Graph call: https, to an address the policy allows.
        await self._destinations.check(graph_url, "--graph-url")
        accounts: dict[Network, tuple[str, str]] = {}
        for network, account in ((Network.FACEBOOK, page), (Network.INSTAGRAM, instagram)):
            if account is not None:
                if not account[0].isdigit():
                    raise ConfigurationError(f"{network.value} id", "a numeric Graph id")
                accounts[network] = account
        settings: dict[str, object] = {"graph_url": graph_url}
        for network, (account_id, handle) in accounts.items():
            settings[f"{network.value}_id"] = account_id
            settings[f"{network.value}_handle"] = handle
        source = await self._sources.add(
            workspace_id,
            NewSource(
                checked_name(name),
                SourceKind.META,
                app_secret,
                verify_token=verify_token,
                access_token=access_token,
                settings=settings,
                accounts=accounts,
            ),
        )
        if source is None:
            raise _taken(name)
        return source

    async def all(self, workspace_id: int) -> list[SourceSummary]:
        return await self._sources.all(workspace_id)

    async def remove(self, workspace_id: int, name: str) -> None:
        if not await self._sources.remove(workspace_id, name):
            raise NotFoundError("webhook source", name)
