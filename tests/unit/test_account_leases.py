"""One owner per connected account: the rendezvous decision (spread, stability as workers
come and go, exactly one owner) and a worker's moves against an in-memory lease table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from hypothesis import given
from hypothesis import strategies as st

from inbox.domain.errors import DatabaseUnavailableError
from inbox.ports.leases import AccountKey, ClusterView
from inbox.usecases.account_leases import KeepAccountLeases, owners, plan_leases

ACCOUNTS = [(workspace, account) for workspace in (1, 2, 3) for account in range(1, 1001)]
WORKERS = ["host-a:101:1f2e", "host-a:102:9c0d", "host-b:77:42aa"]
LEASE = 20.0


def test_every_account_has_exactly_one_owner_and_it_is_a_live_worker() -> None:
    assigned = owners(WORKERS, ACCOUNTS)

    assert set(assigned) == set(ACCOUNTS)
    assert set(assigned.values()) <= set(WORKERS)


@given(
    workers=st.sets(st.text(min_size=1, max_size=12), min_size=1, max_size=6),
    accounts=st.sets(st.tuples(st.integers(1, 5), st.integers(1, 10_000)), max_size=50),
)
def test_every_worker_computes_the_same_owners_whatever_order_it_sees_them_in(
    workers: set[str], accounts: set[AccountKey]
) -> None:
    forward = owners(sorted(workers), sorted(accounts))
    backward = owners(sorted(workers, reverse=True), sorted(accounts, reverse=True))

    assert forward == backward
    assert set(forward) == accounts


def test_no_live_worker_means_no_owner() -> None:
    assert owners([], ACCOUNTS) == {}


def test_accounts_spread_evenly_over_the_workers() -> None:
    counts = Counter(owners(WORKERS, ACCOUNTS).values())

    share = len(ACCOUNTS) / len(WORKERS)
    assert all(0.85 * share <= count <= 1.15 * share for count in counts.values()), counts


def test_a_worker_joining_takes_about_its_share_and_only_from_the_others() -> None:
    before = owners(WORKERS, ACCOUNTS)
    after = owners([*WORKERS, "host-c:5:0001"], ACCOUNTS)

    moved = [account for account in ACCOUNTS if before[account] != after[account]]
    assert {after[account] for account in moved} == {"host-c:5:0001"}
    assert 0.18 <= len(moved) / len(ACCOUNTS) <= 0.32


def test_a_worker_leaving_moves_only_its_own_accounts() -> None:
    before = owners(WORKERS, ACCOUNTS)
    after = owners(WORKERS[:2], ACCOUNTS)

    moved = {account for account in ACCOUNTS if before[account] != after[account]}
    assert moved == {account for account, owner in before.items() if owner == WORKERS[2]}


def view(
    me: str,
    *,
    live: Collection[str],
    accounts: Collection[AccountKey],
    holders: Mapping[AccountKey, str] | None = None,
) -> ClusterView:
    holders = dict(holders or {})
    return ClusterView(
        live_workers=frozenset(live),
        accounts=dict.fromkeys(accounts, "v1"),
        holders=holders,
        renewed=frozenset(account for account, holder in holders.items() if holder == me),
    )


def test_a_worker_takes_its_own_free_accounts_and_leaves_others_held_ones_alone() -> None:
    me, other = WORKERS[0], WORKERS[1]
    wanted = owners([me, other], ACCOUNTS[:40])
    mine = {account for account, owner in wanted.items() if owner == me}
    held_by_other = sorted(mine)[0]

    plan = plan_leases(
        me, view(me, live=[me, other], accounts=wanted, holders={held_by_other: other})
    )

    assert plan.take == mine - {held_by_other}
    assert plan.release == frozenset()


def test_a_worker_hands_over_what_now_belongs_to_a_new_worker_and_what_was_paused() -> None:
    me, newcomer = WORKERS[0], WORKERS[1]
    accounts = ACCOUNTS[:40]
    paused = (9, 9)
    holders = dict.fromkeys([*accounts, paused], me)

    plan = plan_leases(me, view(me, live=[me, newcomer], accounts=accounts, holders=holders))

    wanted = owners([me, newcomer], accounts)
    theirs = {account for account, owner in wanted.items() if owner == newcomer}
    assert plan.release == frozenset(theirs | {paused})
    assert plan.take == frozenset()


def test_a_free_account_whose_owner_is_alive_is_left_to_that_owner() -> None:
    me, other = WORKERS[0], WORKERS[1]
    accounts = ACCOUNTS[:40]
    theirs = {account for account, owner in owners([me, other], accounts).items() if owner == other}

    plan = plan_leases(me, view(me, live=[me, other], accounts=accounts))

    assert not plan.take & theirs


@dataclass
class Lease:
    holder: str
    expires_at: float


@dataclass
class FakeDatabase:
    """The lease table and the worker registry, judged by one clock as the server's is."""

    now: float = 0.0
    accounts: dict[AccountKey, str] = field(default_factory=dict)
    leases: dict[AccountKey, Lease] = field(default_factory=dict)
    heartbeats: dict[str, float] = field(default_factory=dict)
    away: bool = False
    # Takes that fail as if the database went away just after the heartbeat.
    failing_takes: int = 0

    def holder(self, account: AccountKey) -> str | None:
        lease = self.leases.get(account)
        return lease.holder if lease and lease.expires_at > self.now else None


@dataclass
class FakeLeases:
    db: FakeDatabase

    def _check(self) -> None:
        if self.db.away:
            raise DatabaseUnavailableError("the database connection failed: OSError")

    async def beat(self, worker_id: str, lease_seconds: float) -> ClusterView:
        self._check()
        db = self.db
        db.heartbeats[worker_id] = db.now
        renewed = set()
        for account, lease in db.leases.items():
            if lease.holder == worker_id and lease.expires_at > db.now:
                lease.expires_at = db.now + lease_seconds
                renewed.add(account)
        holders = {a: h for a in db.accounts if (h := db.holder(a)) is not None}
        live = {w for w, at in db.heartbeats.items() if at > db.now - lease_seconds}
        return ClusterView(frozenset(live), dict(db.accounts), holders, frozenset(renewed))

    async def take(
        self, worker_id: str, accounts: Collection[AccountKey], lease_seconds: float
    ) -> frozenset[AccountKey]:
        self._check()
        if self.db.failing_takes:
            self.db.failing_takes -= 1
            raise DatabaseUnavailableError("the database connection failed: OSError")
        taken = set()
        for account in accounts:
            if account in self.db.accounts and self.db.holder(account) in (None, worker_id):
                self.db.leases[account] = Lease(worker_id, self.db.now + lease_seconds)
                taken.add(account)
        return frozenset(taken)

    async def release(self, worker_id: str, accounts: Collection[AccountKey]) -> None:
        self._check()
        for account in accounts:
            if (lease := self.db.leases.get(account)) and lease.holder == worker_id:
                del self.db.leases[account]

    async def leave(self, worker_id: str) -> None:
        self._check()
        self.db.leases = {
            account: lease for account, lease in self.db.leases.items() if lease.holder != worker_id
        }
        self.db.heartbeats.pop(worker_id, None)


@dataclass
class FakeRunners:
    started: dict[AccountKey, str] = field(default_factory=dict)
    starts: list[AccountKey] = field(default_factory=list)
    followed: Mapping[AccountKey, str] = field(default_factory=dict)

    def running(self) -> Mapping[AccountKey, str]:
        return dict(self.started)

    async def follow(self, accounts: Mapping[AccountKey, str]) -> None:
        self.followed = dict(accounts)

    async def start(self, account: AccountKey, version: str) -> None:
        self.started[account] = version
        self.starts.append(account)

    async def stop(self, account: AccountKey) -> None:
        self.started.pop(account, None)


@dataclass
class Cluster:
    db: FakeDatabase
    workers: dict[str, tuple[KeepAccountLeases, FakeRunners]] = field(default_factory=dict)

    def add(self, worker_id: str) -> FakeRunners:
        runners = FakeRunners()
        keep = KeepAccountLeases(
            FakeLeases(self.db),
            runners,
            worker_id=worker_id,
            lease_seconds=LEASE,
            monotonic=lambda: self.db.now,
        )
        self.workers[worker_id] = (keep, runners)
        return runners

    async def beat(self) -> None:
        """One heartbeat of every worker, then time moves a heartbeat on."""
        for keep, _ in self.workers.values():
            await keep.reconcile()
        self.db.now += LEASE / 5

    def runs(self) -> Counter[AccountKey]:
        return Counter(
            account for _, runners in self.workers.values() for account in runners.started
        )


def cluster_of(*workers: str, accounts: int = 30) -> Cluster:
    cluster = Cluster(FakeDatabase(accounts=dict.fromkeys(ACCOUNTS[:accounts], "v1")))
    for worker in workers:
        cluster.add(worker)
    return cluster


async def settle(cluster: Cluster, beats: int = 3) -> None:
    for _ in range(beats):
        await cluster.beat()
        assert max(cluster.runs().values(), default=1) == 1, "an account ran twice"


async def test_two_workers_share_the_accounts_each_run_by_exactly_one() -> None:
    cluster = cluster_of(*WORKERS[:2])

    await settle(cluster)

    assert cluster.runs() == Counter(dict.fromkeys(cluster.db.accounts, 1))
    assert all(runners.started for _, runners in cluster.workers.values())


async def test_a_worker_that_stops_beating_loses_its_accounts_to_the_other_after_the_lease() -> (
    None
):
    cluster = cluster_of(*WORKERS[:2])
    await settle(cluster)
    # A crash: its runners die with it, its leases stay until they expire.
    del cluster.workers[WORKERS[1]]

    await settle(cluster, beats=7)

    _, survivor = cluster.workers[WORKERS[0]]
    assert set(survivor.started) == set(cluster.db.accounts)


async def test_a_worker_joining_is_handed_its_share_without_an_account_running_twice() -> None:
    cluster = cluster_of(WORKERS[0])
    await settle(cluster)

    newcomer = cluster.add(WORKERS[1])
    await settle(cluster, beats=3)

    assert newcomer.started
    assert cluster.runs() == Counter(dict.fromkeys(cluster.db.accounts, 1))


async def test_a_changed_account_is_restarted_and_a_paused_one_stopped() -> None:
    cluster = cluster_of(WORKERS[0], accounts=3)
    await settle(cluster)
    _, runners = cluster.workers[WORKERS[0]]
    changed, paused = ACCOUNTS[0], ACCOUNTS[1]

    cluster.db.accounts[changed] = "v2"
    del cluster.db.accounts[paused]
    await settle(cluster, beats=1)

    assert runners.started == {changed: "v2", ACCOUNTS[2]: "v1"}
    assert runners.starts.count(changed) == 2
    assert paused not in cluster.db.leases


async def test_runners_stop_before_their_leases_can_expire_when_the_database_is_away() -> None:
    cluster = cluster_of(WORKERS[0], accounts=3)
    await settle(cluster)
    keep, runners = cluster.workers[WORKERS[0]]
    cluster.db.away = True

    await keep.reconcile()  # one heartbeat missed: the leases still hold for a while
    assert runners.started
    for _ in range(4):
        cluster.db.now += LEASE / 5
        await keep.reconcile()
        if not runners.started:
            break

    assert runners.started == {}
    deadline = max(lease.expires_at for lease in cluster.db.leases.values())
    assert cluster.db.now < deadline


async def test_leaving_stops_the_runners_and_frees_every_lease_at_once() -> None:
    cluster = cluster_of(*WORKERS[:2])
    await settle(cluster)
    keep, runners = cluster.workers[WORKERS[1]]

    await keep.leave()
    await keep.reconcile()  # a wake-up after the stop changes nothing
    del cluster.workers[WORKERS[1]]
    await settle(cluster, beats=2)

    assert runners.started == {}
    assert cluster.runs() == Counter(dict.fromkeys(cluster.db.accounts, 1))


async def test_a_failure_after_the_heartbeat_is_logged_and_the_next_pass_carries_on() -> None:
    cluster = cluster_of(WORKERS[0], accounts=3)
    keep, runners = cluster.workers[WORKERS[0]]
    cluster.db.failing_takes = 1

    await keep.reconcile()
    assert runners.started == {}
    await keep.reconcile()

    assert set(runners.started) == set(cluster.db.accounts)
