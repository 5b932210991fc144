"""The brand's own accounts: registered (`inbox account add`), or connected with their
settings and sealed credentials (`inbox connect`, the demo).

Checking the credentials with the network is the connector's part, done before; here they are
stored."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import SecretStr

from inbox.domain.network import Network, NetworkAccount
from inbox.ports.people import AccountRegistry, CredentialStore

log = logging.getLogger(__name__)


class ConnectAccounts:
    def __init__(
        self, accounts: AccountRegistry, credentials: Callable[[], CredentialStore]
    ) -> None:
        """`credentials` is asked for when secrets are first stored: registering an account
        needs no key, and must not make one."""
        self._accounts = accounts
        self._credentials = credentials

    async def register(
        self, workspace_id: int, network: Network, external_id: str, handle: str
    ) -> NetworkAccount:
        """Its messages become outbound; no connector reads it."""
        return await self._accounts.add_account(workspace_id, network, external_id, handle)

    async def connect(
        self,
        workspace_id: int,
        network: Network,
        external_id: str,
        handle: str,
        settings: dict[str, Any],
        secrets: Mapping[str, SecretStr],
    ) -> int:
        """The account's id: created or updated with these settings, enabled, and these
        secrets in place of any it had. Running workers pick the change up within seconds."""
        account_id = await self._accounts.configure_account(
            workspace_id, network, external_id, handle, settings
        )
        await self._credentials().replace(workspace_id, account_id, secrets)
        log.info(
            "account connected",
            extra={"action": "account_connect", "workspace_id": workspace_id,
                   "account_id": account_id, "network": network.value},
        )  # fmt: skip
        return account_id
