"""`inbox connect bluesky`: the app password from standard input, checked, stored sealed."""

from __future__ import annotations

import pytest

from connectors.bluesky.fake import FakeBluesky, FakeBlueskyServer
from inbox.store.database import Database
from inbox.store.secret_box import SecretBox
from tests.e2e.worker_process import inbox_command, worker_env
from tests.factories import allowed_hosts

pytestmark = pytest.mark.integration

BRAND = "acme.bsky.social"
PASSWORD = "abcd-efgh-ijkl-mnop"


async def connect(
    database_dsn: str, handle: str, service: str, *more: str, password: str, allowed: str = ""
) -> tuple[int, str, str]:
    """`inbox connect bluesky --handle HANDLE --service SERVICE MORE...`, the app password on
    standard input; `allowed` is INBOX_ALLOWED_INTERNAL_HOSTS (the fake service's address)."""
    env = worker_env(database_dsn, SecretBox.new_key(), INBOX_ALLOWED_INTERNAL_HOSTS=allowed)
    return await inbox_command(
        env,
        *("connect", "bluesky", "--handle", handle, "--service", service, *more),
        stdin=f"{password}\n".encode(),
    )


def world() -> FakeBluesky:
    fake = FakeBluesky()
    fake.add_account(BRAND, "Acme Telecom", app_password=PASSWORD)
    return fake


async def test_an_account_is_stored_under_its_did_with_its_password_sealed(
    db: Database, database_dsn: str
) -> None:
    fake = world()
    async with FakeBlueskyServer(fake) as server:
        code, out, err = await connect(
            database_dsn,
            f"@{BRAND.upper()}",
            server.url,
            "--poll-seconds",
            "10",
            password=PASSWORD,
            allowed=allowed_hosts(server.url),
        )
    assert code == 0, err
    assert f"@{BRAND} ({fake.did_of(BRAND)}) connected" in out
    async with db.connection() as conn:
        account = await conn.fetchrow(
            "SELECT id, external_id, handle, settings FROM network_account "
            "WHERE network = 'bluesky'"
        )
        assert account is not None
        sealed = await conn.fetch(
            "SELECT name, ciphertext FROM account_credential WHERE account_id = $1",
            account["id"],
        )
    assert (account["external_id"], account["handle"]) == (fake.did_of(BRAND), BRAND)
    assert server.url in account["settings"]
    assert [row["name"] for row in sealed] == ["app_password"]
    assert PASSWORD.encode() not in sealed[0]["ciphertext"]
    assert PASSWORD not in out + err


async def test_a_refused_password_is_reported_and_nothing_is_stored(
    db: Database, database_dsn: str
) -> None:
    async with FakeBlueskyServer(world()) as server:
        code, _, err = await connect(
            database_dsn,
            BRAND,
            server.url,
            password="wxyz-wxyz-wxyz-wxyz",
            allowed=allowed_hosts(server.url),
        )
    assert code == 2
    assert "Invalid identifier or password" in err
    assert "wxyz-wxyz" not in err
    assert await db.fetchval("SELECT count(*) FROM network_account") == 0


async def test_a_service_in_clear_beyond_this_machine_is_refused_before_any_call(
    database_dsn: str,
) -> None:
    code, _, err = await connect(database_dsn, BRAND, "http://pds.example.com", password=PASSWORD)
    assert code == 2
    assert "only https is accepted" in err


async def test_a_service_on_this_machine_not_named_in_the_allow_setting_is_never_called(
    db: Database, database_dsn: str
) -> None:
    fake = world()
    async with FakeBlueskyServer(fake) as server:
        code, _, err = await connect(database_dsn, BRAND, server.url, password=PASSWORD)
    assert code == 2
    assert "Bluesky service: points to a loopback address (127.0.0.1)" in err
    assert "INBOX_ALLOWED_INTERNAL_HOSTS" in err
    assert sum(fake.requests.values()) == 0
    assert await db.fetchval("SELECT count(*) FROM network_account") == 0
