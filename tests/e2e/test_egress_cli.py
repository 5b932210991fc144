"""Outbound addresses typed on the command line: internal ones refused with the reason (exit
2), named internal receivers accepted through INBOX_ALLOWED_INTERNAL_HOSTS, webhook URLs
stored sealed."""

from __future__ import annotations

import subprocess

import pytest
from pydantic import SecretStr

from inbox.store.database import Database
from inbox.store.secret_box import SecretBox
from tests.e2e.test_cli import INBOX, env_with
from tests.e2e.worker_process import running_worker, worker_env
from tests.waiting import eventually

pytestmark = pytest.mark.integration

APP_SECRET = "0123456789abcdef0123456789abcdef"


def inbox(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [*INBOX, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


async def test_a_webhook_to_an_internal_address_is_refused_naming_the_reason(
    db: Database, database_dsn: str
) -> None:
    env = env_with(DATABASE_URL=database_dsn, INBOX_SECRET_KEY=SecretBox.new_key())
    for url, reason in (
        ("http://127.0.0.1:5432/x", "points to a loopback address (127.0.0.1)"),
        ("https://169.254.169.254/latest/meta-data", "points to a link-local address"),
        ("https://2130706433/x", "points to a loopback address (127.0.0.1)"),
        ("https://metadata.google.internal/x", "metadata.google.internal is a name of the"),
        ("http://hooks.example.com/x", "must use https"),
    ):
        refused = inbox("webhook", "add", url, env=env)
        assert refused.returncode == 2, url
        assert f"inbox: error: webhook url: {reason}" in refused.stderr, refused.stderr
    assert await db.fetchval("SELECT count(*) FROM webhook") == 0


async def test_a_named_internal_receiver_is_accepted_and_its_url_stored_sealed(
    db: Database, database_dsn: str
) -> None:
    env = env_with(
        DATABASE_URL=database_dsn,
        INBOX_SECRET_KEY=SecretBox.new_key(),
        INBOX_ALLOWED_INTERNAL_HOSTS="hooks.internal:8443, 127.0.0.1:5432",
    )
    added = inbox("webhook", "add", "http://127.0.0.1:5432/hooks/s3cret", env=env)
    assert added.returncode == 0, added.stderr
    assert "to http://127.0.0.1:5432/…" in added.stdout
    other_port = inbox("webhook", "add", "http://127.0.0.1:5433/hooks/s3cret", env=env)
    assert other_port.returncode == 2
    async with db.connection() as conn:
        (row,) = await conn.fetch("SELECT url, url_sealed FROM webhook")
    assert row["url"] is None
    assert b"s3cret" not in row["url_sealed"]
    listed = inbox("webhook", "list", env=env)
    assert listed.stdout.split("\t")[1] == "http://127.0.0.1:5432/…"


def test_an_unreadable_allow_setting_is_named_and_nothing_starts(database_dsn: str) -> None:
    env = env_with(DATABASE_URL=database_dsn, INBOX_ALLOWED_INTERNAL_HOSTS="hooks.internal:http")
    refused = inbox("webhook", "list", env=env)
    assert refused.returncode == 2
    assert "allowed_internal_hosts" in refused.stderr
    assert "the port is not from 1 to 65535" in refused.stderr


async def test_a_graph_api_url_in_clear_is_refused_before_the_page_token_is_stored(
    db: Database, database_dsn: str
) -> None:
    env = env_with(DATABASE_URL=database_dsn, INBOX_SECRET_KEY=SecretBox.new_key())
    refused = inbox(
        "webhook-source",
        "add",
        "acme-meta",
        "--kind",
        "meta",
        "--graph-url",
        "http://graph.example.com/v21.0",
        env=env,
        stdin=f"{APP_SECRET}\nlet-me-in-please\nthe-page-token\n",
    )
    assert refused.returncode == 2
    assert "inbox: error: --graph-url: must use https" in refused.stderr
    assert "the-page-token" not in refused.stderr
    assert await db.fetchval("SELECT count(*) FROM inbound_source") == 0


async def test_a_worker_seals_the_webhook_urls_stored_in_clear_before_the_upgrade(
    db: Database, database_dsn: str, workspace_id: int
) -> None:
    key = SecretBox.new_key()
    await db.fetchval(
        "INSERT INTO webhook (workspace_id, url, events, secret_sealed)"
        " VALUES ($1, 'https://hooks.example.com/old/s3cret', '{*}', $2) RETURNING id",
        workspace_id,
        SecretBox(SecretStr(key)).seal(SecretStr("secret")),
    )

    async def sealed() -> bool:
        return await db.fetchval("SELECT url IS NULL FROM webhook") is True

    async with running_worker(worker_env(database_dsn, key)):
        await eventually(sealed, "the worker to seal the clear URL")
    shown = await db.fetchval("SELECT url_shown FROM webhook")
    assert shown == "https://hooks.example.com/…"
