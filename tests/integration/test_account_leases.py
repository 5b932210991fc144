"""One owner per connected account, on the real database: the lease statements under races,
the notification of account changes, and two whole workers (each with its own pool) over one
database, polling a fake Mastodon instance."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr

from connectors.mastodon.fake import FakeMastodon, FakeMastodonServer
from inbox.bootstrap import Runtime, open_runtime, workspace_setup
from inbox.domain.network import Network
from inbox.settings import Settings
from inbox.store.account_leases import PgAccountChanges, PgAccountLeases
from inbox.store.admin_accounts import PgAccountAdmin
from inbox.store.database import Database
from inbox.store.secret_box import SecretBox
from inbox.store.workspaces import PgWorkspaceStore
from inbox.worker_wiring import run_workers

pytestmark = pytest.mark.integration

DEADLINE_SECONDS = 30.0
MENTIONS = "SELECT count(*) FROM mention WHERE workspace_id = $1"


async def eventually(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_SECONDS
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {DEADLINE_SECONDS} s: {what}")
        await asyncio.sleep(0.05)


async def mastodon_accounts(db: Database, workspace_id: int, count: int) -> list[tuple[int, int]]:
    store = PgWorkspaceStore(db)
    ids = [
        await store.configure_account(
            workspace_id, Network.MASTODON, f"m{n}", f"brand{n}", {"instance": "x"}
        )
        for n in range(count)
    ]
    return [(workspace_id, account_id) for account_id in ids]


async def test_two_workers_taking_the_same_free_accounts_at_once_get_each_exactly_once(
    db: Database, database_dsn: str, workspace_id: int
) -> None:
    accounts = await mastodon_accounts(db, workspace_id, 40)
    other_pool = await Database.connect(database_dsn, size=2)
    try:
        first, second = PgAccountLeases(db), PgAccountLeases(other_pool)
        for _ in range(5):
            await db.fetchval("DELETE FROM account_lease")
            a, b = await asyncio.gather(
                first.take("a", accounts, 30), second.take("b", list(reversed(accounts)), 30)
            )
            assert not a & b
            assert a | b == set(accounts)
    finally:
        await other_pool.close()


async def test_a_lease_is_renewed_by_its_holder_and_taken_by_another_only_once_it_expired(
    db: Database, workspace_id: int
) -> None:
    [account] = await mastodon_accounts(db, workspace_id, 1)
    leases = PgAccountLeases(db)
    assert await leases.take("a", [account], 1.0) == {account}
    assert await leases.take("b", [account], 1.0) == frozenset()

    view = await leases.beat("a", 1.0)
    assert view.renewed == {account}
    assert view.holders == {account: "a"}
    assert view.live_workers == {"a"}

    async def taken_by_b() -> bool:
        return await leases.take("b", [account], 30.0) == {account}

    await eventually(taken_by_b, "the expired lease taken by another worker")
    # The old holder finds it lost: nothing of its own left to renew.
    assert (await leases.beat("a", 30.0)).renewed == frozenset()


async def test_a_paused_account_cannot_be_taken_and_is_not_offered(
    db: Database, workspace_id: int
) -> None:
    [account] = await mastodon_accounts(db, workspace_id, 1)
    await PgAccountAdmin(db, lambda: SecretBox(SecretStr(SecretBox.new_key()))).set_enabled(
        *account, False
    )
    leases = PgAccountLeases(db)

    assert await leases.take("a", [account], 30) == frozenset()
    assert account not in (await leases.beat("a", 30)).accounts


async def test_the_version_changes_with_the_settings_and_the_secrets_only(
    db: Database, workspace_id: int
) -> None:
    [account] = await mastodon_accounts(db, workspace_id, 1)
    leases = PgAccountLeases(db)
    box = SecretBox(SecretStr(SecretBox.new_key()))
    admin = PgAccountAdmin(db, lambda: box)

    async def version() -> str:
        return (await leases.beat("a", 30)).accounts[account]

    first = await version()
    assert await version() == first
    await admin.set_credentials(*account, {"access_token": SecretStr("t1")})
    with_secret = await version()
    await PgWorkspaceStore(db).configure_account(
        workspace_id, Network.MASTODON, "m0", "brand0", {"instance": "y"}
    )
    assert len({first, with_secret, await version()}) == 3


async def test_every_change_to_an_account_or_its_secrets_wakes_the_listener(
    db: Database, workspace_id: int
) -> None:
    changed = asyncio.Event()
    stop = asyncio.Event()
    listening = asyncio.create_task(PgAccountChanges(db).listen(changed.set, stop))
    box = SecretBox(SecretStr(SecretBox.new_key()))
    admin = PgAccountAdmin(db, lambda: box)
    try:
        # Once on connecting: what changed while nobody listened is caught up.
        await asyncio.wait_for(changed.wait(), DEADLINE_SECONDS)
        changed.clear()
        [account] = await mastodon_accounts(db, workspace_id, 1)  # added
        await asyncio.wait_for(changed.wait(), DEADLINE_SECONDS)
        changed.clear()
        await admin.set_credentials(*account, {"access_token": SecretStr("t")})
        await asyncio.wait_for(changed.wait(), DEADLINE_SECONDS)
        changed.clear()
        await admin.set_enabled(*account, False)  # paused
        await asyncio.wait_for(changed.wait(), DEADLINE_SECONDS)
        changed.clear()
        await db.fetchval("DELETE FROM network_account WHERE id = $1", account[1])  # removed
        await asyncio.wait_for(changed.wait(), DEADLINE_SECONDS)
    finally:
        stop.set()
        await asyncio.wait_for(listening, DEADLINE_SECONDS)


# -- two workers over one database -----------------------------------------------------------

BRANDS = 16
LEASE_SECONDS = 2.0
SECRET_KEY = SecretBox.new_key()


@dataclass
class RunningWorker:
    runtime: Runtime
    stop: asyncio.Event
    task: asyncio.Task[None]

    def accounts(self) -> set[int]:
        """The accounts this worker runs, as its health board shows them."""
        return {
            int(part.split(":")[1])
            for part, health in self.runtime.services.health.board.parts().items()
            if part.startswith("mastodon:") and part.count(":") == 1 and health.ok
        }


@asynccontextmanager
async def worker(settings: Settings) -> AsyncIterator[RunningWorker]:
    async with open_runtime(settings) as runtime:
        stop = asyncio.Event()
        task = asyncio.create_task(run_workers(runtime, stop))
        try:
            yield RunningWorker(runtime, stop, task)
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, DEADLINE_SECONDS)


@dataclass
class Brands:
    fake: FakeMastodon
    url: str
    ids: list[str]
    customer: str


def settings_for(database_dsn: str, fake_url: str) -> Settings:
    return Settings.model_validate(
        {
            "DATABASE_URL": database_dsn,
            "secret_key": SECRET_KEY,
            "account_lease_seconds": LEASE_SECONDS,
            "allowed_internal_hosts": urlsplit(fake_url).netloc,
            "pool_size": 4,
        }
    )


@contextlib.contextmanager
def watching_overlaps(first: RunningWorker, second: RunningWorker) -> Iterator[set[int]]:
    """The accounts seen running on both workers at one instant, sampled until the end."""
    seen: set[int] = set()

    async def watch() -> None:
        while True:
            seen.update(first.accounts() & second.accounts())
            await asyncio.sleep(0.01)

    task = asyncio.get_running_loop().create_task(watch())
    try:
        yield seen
    finally:
        task.cancel()


async def connect(runtime: Runtime, brands: Brands, n: int) -> int:
    return await workspace_setup(runtime).accounts.connect(
        runtime.default_workspace_id,
        Network.MASTODON,
        brands.ids[n],
        f"brand{n}",
        {"instance": brands.url, "poll_seconds": 1},
        {"access_token": SecretStr(f"token-{n}")},
    )


async def test_two_workers_run_each_account_once_and_follow_crashes_and_changes(
    database_dsn: str,
) -> None:
    fake = FakeMastodon()
    ids = [fake.add_account(f"brand{n}", token=f"token-{n}") for n in range(BRANDS + 1)]
    customer = fake.add_account("ann", domain="other.example")
    async with AsyncExitStack() as stack:
        server = await stack.enter_async_context(FakeMastodonServer(fake))
        brands = Brands(fake, server.url, ids, customer)
        settings = settings_for(database_dsn, server.url)
        first = await stack.enter_async_context(worker(settings))
        accounts = {await connect(first.runtime, brands, n) for n in range(BRANDS)}
        for n in range(BRANDS):
            fake.post(customer, f"@brand{n} my line is down")
        second = await stack.enter_async_context(worker(settings))

        overlaps = stack.enter_context(watching_overlaps(first, second))

        async def shared() -> bool:
            by_first, by_second = first.accounts(), second.accounts()
            return bool(by_first and by_second) and by_first | by_second == accounts

        await eventually(shared, "the accounts shared out between the two workers")

        async def all_polled() -> bool:
            workspace = first.runtime.default_workspace_id
            return int(await first.runtime.db.fetchval(MENTIONS, workspace)) == BRANDS

        await eventually(all_polled, "every account's mention polled")

        # Added while they run: one of them starts it.
        added = await connect(first.runtime, brands, BRANDS)

        async def added_runs_once() -> bool:
            return [added in first.accounts(), added in second.accounts()].count(True) == 1

        await eventually(added_runs_once, "the account added is run by one worker")

        # Paused: whoever ran it stops it.
        admin = PgAccountAdmin(first.runtime.db, lambda: SecretBox(SecretStr("unused")))
        paused = min(accounts)
        await admin.set_enabled(first.runtime.default_workspace_id, paused, False)

        async def paused_stopped() -> bool:
            return paused not in first.accounts() | second.accounts()

        await eventually(paused_stopped, "the paused account stopped")
        assert overlaps == set(), "an account ran on both workers at once"

        # A crash: the second worker's tasks are cancelled, its leases never given back.
        second.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await second.task
        running = (accounts - {paused}) | {added}

        async def all_on_first() -> bool:
            return first.accounts() == running

        await eventually(all_on_first, "the survivor runs every account once the leases expired")


async def test_a_running_worker_uses_new_credentials_at_once_and_stops_a_removed_account(
    database_dsn: str,
) -> None:
    fake = FakeMastodon()
    ids = [fake.add_account(f"brand{n}", token=f"token-{n}") for n in range(2)]
    customer = fake.add_account("ann", domain="other.example")
    async with FakeMastodonServer(fake) as server:
        brands = Brands(fake, server.url, ids, customer)
        async with worker(settings_for(database_dsn, server.url)) as only:
            db, workspace = only.runtime.db, only.runtime.default_workspace_id
            kept, removed = [await connect(only.runtime, brands, n) for n in range(2)]
            fake.post(customer, "@brand0 first")

            def mentions(count: int) -> Callable[[], Awaitable[bool]]:
                async def reached() -> bool:
                    return int(await db.fetchval(MENTIONS, workspace)) == count

                return reached

            await eventually(mentions(1), "the first mention polled")

            # The token is replaced and the old one revoked: a runner still on the old one
            # would be refused from now on.
            fake.tokens["token-0-new"] = fake.tokens.pop("token-0")
            await workspace_setup(only.runtime).accounts.connect(
                workspace,
                Network.MASTODON,
                ids[0],
                "brand0",
                {"instance": server.url, "poll_seconds": 1},
                {"access_token": SecretStr("token-0-new")},
            )
            fake.post(customer, "@brand0 second")
            await eventually(mentions(2), "the mention after the new token polled")

            async def removed_runs() -> bool:
                return removed in only.accounts()

            await eventually(removed_runs, "the second account running")
            await db.fetchval(
                "DELETE FROM network_account WHERE workspace_id = $1 AND id = $2",
                workspace,
                removed,
            )

            async def removed_stopped() -> bool:
                return only.accounts() == {kept}

            await eventually(removed_stopped, "the removed account stopped")
