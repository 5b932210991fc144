"""One owner per connected account across the worker processes: the leases in the database,
and the account runners of this process that the leases decide."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Protocol

# (workspace_id, account_id)
AccountKey = tuple[int, int]


@dataclass(frozen=True, slots=True)
class ClusterView:
    """What one heartbeat saw, all at the database's one instant.

    `accounts` maps every enabled account that needs an owner to its version (a digest of
    its row and its secrets: it changes when the account must be started again);
    `holders` names the live holder of each account under a lease that has not expired;
    `renewed` are this worker's leases the heartbeat extended (all it still holds)."""

    live_workers: frozenset[str]
    accounts: Mapping[AccountKey, str]
    holders: Mapping[AccountKey, str]
    renewed: frozenset[AccountKey]


class AccountLeases(Protocol):
    async def beat(self, worker_id: str, lease_seconds: float) -> ClusterView:
        """Say this worker is alive, extend every lease it holds that has not expired, and
        read the workers alive, the accounts and their holders."""
        ...

    async def take(
        self, worker_id: str, accounts: Collection[AccountKey], lease_seconds: float
    ) -> frozenset[AccountKey]:
        """Lease those of `accounts` that are free (no lease, or an expired one): the ones
        taken. Two workers asking at once never both get one."""
        ...

    async def release(self, worker_id: str, accounts: Collection[AccountKey]) -> None:
        """Give up these leases (only this worker's own)."""
        ...

    async def leave(self, worker_id: str) -> None:
        """Give up every lease and leave the registry: others take the accounts at once."""
        ...


class AccountRunners(Protocol):
    """The accounts this process runs (their runner and stream)."""

    def running(self) -> Mapping[AccountKey, str]:
        """Each account running, with the version it was started with."""
        ...

    async def follow(self, accounts: Mapping[AccountKey, str]) -> None:
        """The accounts connected now, with their versions: what every worker keeps of every
        account, whoever runs it (the channels its outbox posts replies on)."""
        ...

    async def start(self, account: AccountKey, version: str) -> None:
        """Run the account as it is now, in place of any runner it had."""
        ...

    async def stop(self, account: AccountKey) -> None:
        """Stop its runner: a poll under way ends first, up to a bound."""
        ...
