"""`inbox connect mastodon` against the fake instance: the token is checked, then sealed."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest
from pydantic import SecretStr

from connectors.mastodon.fake import FakeMastodon, FakeMastodonServer
from inbox.store.credentials import PgCredentialStore
from inbox.store.database import Database
from inbox.store.secret_box import SecretBox
from tests.factories import allowed_hosts

pytestmark = pytest.mark.integration

TOKEN = "the-brand-token"


async def connect(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "inbox.cli", "connect", "mastodon", *args,
        env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate(f"{TOKEN}\n".encode())
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_connect_stores_the_account_and_seals_the_token(
    db: Database, database_dsn: str
) -> None:
    world = FakeMastodon()
    brand = world.add_account("acme", "Acme", token=TOKEN)
    key = SecretBox.new_key()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    env.update(DATABASE_URL=database_dsn, INBOX_SECRET_KEY=key)
    async with FakeMastodonServer(world) as server:
        env.update(INBOX_ALLOWED_INTERNAL_HOSTS=allowed_hosts(server.url))
        code, out, err = await connect(
            env, "--instance", server.url, "--handle", "@acme", "--stream"
        )
        assert code == 0, err
        refused, _, why = await connect(env, "--instance", server.url, "--handle", "someone")
    assert "mastodon account @acme" in out
    assert TOKEN not in out + err + why
    assert refused == 2
    assert "the token is @acme's, not @someone's" in why
    async with db.connection() as conn:
        row = await conn.fetchrow(
            "SELECT id, workspace_id, external_id, handle, settings FROM network_account "
            "WHERE network = 'mastodon'"
        )
    assert row is not None
    assert (row["external_id"], row["handle"]) == (brand, "acme")
    assert f'"instance": "{server.url}"' in row["settings"]
    secrets = await PgCredentialStore(db, SecretBox(SecretStr(key))).load(
        row["workspace_id"], row["id"]
    )
    assert secrets["access_token"].get_secret_value() == TOKEN


async def test_an_instance_on_this_machine_not_named_in_the_allow_setting_is_never_called(
    db: Database, database_dsn: str
) -> None:
    world = FakeMastodon()
    world.add_account("acme", "Acme", token=TOKEN)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    env.update(DATABASE_URL=database_dsn, INBOX_SECRET_KEY=SecretBox.new_key())
    async with FakeMastodonServer(world) as server:
        code, _, err = await connect(env, "--instance", server.url, "--handle", "acme")
    assert code == 2
    assert "--instance: points to a loopback address (127.0.0.1)" in err
    assert TOKEN not in err
    assert world.requests == {}
    assert await db.fetchval("SELECT count(*) FROM network_account") == 0
