"""Every network's accounts become a worker's parts the same way: the stored secrets read as
the network's credentials, then a client, then a poller and its runner, with a stream where
the account asks for one and a channel that posts the replies.

What differs by network (which secrets, which client, which runner) is in its own
`connectors/<network>/wiring.py`, a `NetworkWiring`; `wire_account` is the walk they share.
An account that cannot start (no secrets yet, an address refused) is logged and left out: the
others start regardless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pydantic import SecretStr

from connectors.common.account_runner import AccountRunner
from connectors.common.polling import Ingest
from inbox.domain.errors import ConfigurationError
from inbox.ports.connectors import (
    ApiUsageLedger,
    ChannelHealthStore,
    ConnectorState,
    OutboundChannel,
)
from inbox.ports.retention import HeldMessages

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EnabledAccount:
    """An account the worker runs: its stored row and its secrets (open here: never logged)."""

    workspace_id: int
    account_id: int
    external_id: str
    handle: str
    settings: Mapping[str, Any]
    secrets: Mapping[str, SecretStr]


@dataclass(frozen=True, slots=True)
class ConnectorPorts:
    """Where every account's runner writes: mentions, cursors, API use and channel health."""

    ingest: Ingest
    state: ConnectorState
    ledger: ApiUsageLedger
    health: ChannelHealthStore
    # What a connector that learns of deletions by asking checks is still on its network.
    held: HeldMessages | None = None


@dataclass(frozen=True, slots=True)
class Stream:
    """A long-running part beside an account's runner, named for the health board by network
    and account id (never the handle: /healthz needs no login)."""

    part: str
    run: Callable[[asyncio.Event], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class AccountParts:
    runner: AccountRunner[Any, Any, Any]
    # None when the account's secrets can read but not post.
    channel: OutboundChannel | None = None
    stream: Stream | None = None


Credentials = TypeVar("Credentials")
Client = TypeVar("Client")


class NetworkWiring(Protocol[Credentials, Client]):
    """One network's steps; `network` names it in log lines and their actions."""

    @property
    def network(self) -> str: ...

    @property
    def missing_credentials(self) -> str:
        """The log line of an account without usable secrets, with the command that adds
        them."""
        ...

    @property
    def address_refused(self) -> str:
        """The action of the log line of an account whose client refused its address."""
        ...

    def credentials(self, account: EnabledAccount) -> Credentials | None:
        """The account's credentials, None when its secrets cannot read."""
        ...

    def client(self, account: EnabledAccount, credentials: Credentials) -> Client:
        """Raises ConfigurationError when the account's address is refused."""
        ...

    def parts(
        self,
        account: EnabledAccount,
        credentials: Credentials,
        client: Client,
        ports: ConnectorPorts,
    ) -> AccountParts: ...


def wire_account(
    wiring: NetworkWiring[Credentials, Client], account: EnabledAccount, ports: ConnectorPorts
) -> AccountParts | None:
    """One account's parts; None (and a log line) when it cannot start."""
    network = wiring.network
    credentials = wiring.credentials(account)
    if credentials is None:
        log.warning(
            wiring.missing_credentials,
            extra={"action": f"{network}_no_credentials", "account": account.handle},
        )
        return None
    try:
        client = wiring.client(account, credentials)
    except ConfigurationError as error:
        log.error(
            f"{network} account not started",
            extra={"action": wiring.address_refused, "account": account.handle,
                   "error": str(error)},
        )  # fmt: skip
        return None
    return wiring.parts(account, credentials, client, ports)
