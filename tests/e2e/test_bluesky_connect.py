"""`inbox connect bluesky`: the app password from standard input, checked, stored sealed."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from connectors.bluesky.fake import FakeBluesky, FakeBlueskyServer
from inbox.store.database import Database
from inbox.store.secret_box import SecretBox
from tests.factories import allowed_hosts

pytestmark = pytest.mark.integration

BRAND = "acme.bsky.social"
PASSWORD = "abcd-efgh-ijkl-mnop"


async def inbox(
    database_dsn: str, *args: str, stdin: str, allowed: str = ""
) -> tuple[int, str, str]:
    """`inbox ARGS`; `allowed` is INBOX_ALLOWED_INTERNAL_HOSTS (the fake service's address)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    env.update(
        DATABASE_URL=database_dsn,
        INBOX_SECRET_KEY=SecretBox.new_key(),
        INBOX_ALLOWED_INTERNAL_HOSTS=allowed,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inbox.cli",
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate(stdin.encode())
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def world() -> FakeBluesky:
    fake = FakeBluesky()
    fake.add_account(BRAND, "Acme Telecom", app_password=PASSWORD)
    return fake


async def test_an_account_is_stored_under_its_did_with_its_password_sealed(
    db: Database, database_dsn: str
) -> None:
    fake = world()
    async with FakeBlueskyServer(fake) as server:
        code, out, err = await inbox(
            database_dsn,
            "connect",
            "bluesky",
            "--handle",
            f"@{BRAND.upper()}",
            "--service",
            server.url,
            "--poll-seconds",
            "10",
            stdin=PASSWORD + "\n",
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
        code, _, err = await inbox(
            database_dsn,
            "connect",
            "bluesky",
            "--handle",
            BRAND,
            "--service",
            server.url,
            stdin="wxyz-wxyz-wxyz-wxyz\n",
            allowed=allowed_hosts(server.url),
        )
    assert code == 2
    assert "Invalid identifier or password" in err
    assert "wxyz-wxyz" not in err
    assert await db.fetchval("SELECT count(*) FROM network_account") == 0


async def test_a_service_in_clear_beyond_this_machine_is_refused_before_any_call(
    database_dsn: str,
) -> None:
    code, _, err = await inbox(
        database_dsn,
        "connect",
        "bluesky",
        "--handle",
        BRAND,
        "--service",
        "http://pds.example.com",
        stdin=PASSWORD + "\n",
    )
    assert code == 2
    assert "only https is accepted" in err


async def test_a_service_on_this_machine_not_named_in_the_allow_setting_is_never_called(
    db: Database, database_dsn: str
) -> None:
    fake = world()
    async with FakeBlueskyServer(fake) as server:
        code, _, err = await inbox(
            database_dsn,
            "connect",
            "bluesky",
            "--handle",
            BRAND,
            "--service",
            server.url,
            stdin=PASSWORD + "\n",
        )
    assert code == 2
    assert "Bluesky service: points to a loopback address (127.0.0.1)" in err
    assert "INBOX_ALLOWED_INTERNAL_HOSTS" in err
    assert sum(fake.requests.values()) == 0
    assert await db.fetchval("SELECT count(*) FROM network_account") == 0
