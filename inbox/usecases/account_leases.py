"""Each connected account run by one worker of the cluster at a time, spread over the live
workers, and each worker following the accounts as they are added, changed, paused or
removed.

The decision is pure (`owners`, `plan_leases`): rendezvous (highest random weight) hashing
gives each account to the live worker with the highest weight for it, so accounts spread
evenly and, when a worker joins or leaves, only the accounts it gains or held move (about
1/n of them). The lease in the database makes the decision safe: a worker runs an account
only while it holds an unexpired lease, and takes one only when it is free, so two workers
that briefly disagree about who is alive still never run one account together.

Time: expiry is the database's clock alone (`now()` in every statement), so machines whose
clocks differ still agree on which leases have run out. The worker's own side is a
monotonic deadline: its runners stop before the leases it last renewed could expire on the
server, when heartbeats fail (the database away).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from inbox.domain.errors import InboxError
from inbox.ports.leases import AccountKey, AccountLeases, AccountRunners, ClusterView

log = logging.getLogger(__name__)

# Heartbeats per lease: one failed heartbeat is ridden out; the runners stop before a second
# could leave them running past their lease.
BEATS_PER_LEASE = 5


def weight(worker_id: str, account: AccountKey) -> int:
    """The worker's stable weight for the account: the same in every process (not Python's
    salted `hash`)."""
    digest = hashlib.blake2b(
        f"{worker_id}|{account[0]}:{account[1]}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big")


def owners(workers: Iterable[str], accounts: Iterable[AccountKey]) -> dict[AccountKey, str]:
    """Who should run each account: the worker with the highest weight for it (ties, which
    need equal 64-bit digests, go to the greatest id). Empty when no worker is alive."""
    alive = sorted(set(workers))
    if not alive:
        return {}
    return {
        account: max(alive, key=lambda worker: (weight(worker, account), worker))
        for account in accounts
    }


@dataclass(frozen=True, slots=True)
class LeasePlan:
    """What one worker does after a heartbeat: give up `release` (stopping their runners
    first), try to take `take` (free or expired), and keep the rest of what it holds."""

    take: frozenset[AccountKey]
    release: frozenset[AccountKey]


def plan_leases(me: str, view: ClusterView) -> LeasePlan:
    """This worker's moves. It takes the accounts that are its own and that no live lease
    holds; it gives up the accounts it holds that are gone (paused, removed) or that are
    now another live worker's (that worker takes them once they are free). An account held
    by another worker stays there until it is given up or its lease expires."""
    alive = view.live_workers | {me}
    wanted = owners(alive, view.accounts)
    mine = {account for account, owner in wanted.items() if owner == me}
    take = frozenset(account for account in mine if account not in view.holders)
    release = frozenset(account for account in view.renewed if account not in mine)
    return LeasePlan(take, release)


class KeepAccountLeases:
    """One worker's side of the leases: `reconcile` is its heartbeat (a periodic pass, run
    early when the accounts change); `leave` gives everything up on a clean stop."""

    def __init__(
        self,
        leases: AccountLeases,
        runners: AccountRunners,
        *,
        worker_id: str,
        lease_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._leases = leases
        self._runners = runners
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self._monotonic = monotonic
        # Until when, on this process's monotonic clock, the leases last renewed hold for
        # sure: the renewal was sent after this instant's start, so the server's expiry is
        # later still.
        self._valid_until = 0.0
        # Passes from the scheduler and wake-ups from NOTIFY never overlap.
        self._lock = asyncio.Lock()
        self._waiting = 0
        self._left = False

    @property
    def waiting(self) -> bool:
        """A pass waits for the one under way: a change seen now will be seen by it."""
        return self._waiting > 0

    @property
    def heartbeat_seconds(self) -> float:
        return self.lease_seconds / BEATS_PER_LEASE

    async def reconcile(self) -> None:
        """Heartbeat, renew, then start, restart and stop runners as the leases and the
        accounts now say. When the database cannot be reached, the runners keep going while
        their leases surely hold, and stop before they could expire."""
        self._waiting += 1
        async with self._lock:
            self._waiting -= 1
            if self._left:  # a wake-up that came after the worker stopped
                return
            started = self._monotonic()
            try:
                async with asyncio.timeout(self.heartbeat_seconds):
                    view = await self._leases.beat(self.worker_id, self.lease_seconds)
            except (InboxError, TimeoutError) as error:
                await self._unsure(error)
                return
            self._valid_until = started + self.lease_seconds
            try:
                await self._follow(view)
            except Exception as error:
                # Never out of the pass: a failure here (the database gone after the
                # heartbeat, one account that cannot be built) must not hold up the next
                # heartbeat behind a retry's backoff while the runners go on. The next pass
                # tries again.
                log.warning(
                    "accounts not reconciled",
                    extra={"action": "lease_reconcile_failed", "error": type(error).__name__},
                    exc_info=not isinstance(error, InboxError),
                )

    async def _follow(self, view: ClusterView) -> None:
        runners = self._runners
        # Leases lost (expired while away, then taken; the account removed): stop at once.
        lost = set(runners.running()) - view.renewed
        await self._stop(lost)
        for account in sorted(lost):
            _log("account lease lost", "lease_lost", account)
        await runners.follow(view.accounts)
        plan = plan_leases(self.worker_id, view)
        await self._stop(plan.release)
        if plan.release:
            await self._leases.release(self.worker_id, plan.release)
            for account in sorted(plan.release):
                _log("account handed over", "lease_released", account)
        taken: frozenset[AccountKey] = frozenset()
        if plan.take:
            taken = await self._leases.take(self.worker_id, plan.take, self.lease_seconds)
            for account in sorted(taken):
                _log("account taken", "lease_taken", account)
        held = (view.renewed - plan.release) | taken
        running = runners.running()
        for account in sorted(held):
            version = view.accounts.get(account)
            if version is not None and running.get(account) != version:
                await runners.start(account, version)

    async def _unsure(self, error: Exception) -> None:
        """A heartbeat failed: stop every runner if the next one could come too late."""
        now = self._monotonic()
        late = now + 2 * self.heartbeat_seconds >= self._valid_until
        log.warning(
            "account heartbeat failed",
            extra={"action": "lease_heartbeat_failed", "error": type(error).__name__,
                   "stopping_runners": late and bool(self._runners.running())},
        )  # fmt: skip
        if late:
            await self._stop(self._runners.running())

    async def leave(self) -> None:
        """Stop every runner, then give up the leases so that others take them at once."""
        async with self._lock:
            self._left = True
            await self._stop(self._runners.running())
            await self._leases.leave(self.worker_id)

    async def _stop(self, accounts: Iterable[AccountKey]) -> None:
        # Together: each may wait for a poll under way, and the next heartbeat waits for all.
        await asyncio.gather(*(self._runners.stop(account) for account in sorted(accounts)))


def _log(message: str, action: str, account: AccountKey) -> None:
    log.info(
        message, extra={"action": action, "workspace_id": account[0], "account_id": account[1]}
    )
