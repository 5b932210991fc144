"""The command line and the audit trail, as an operator runs it: changes it makes are
recorded as the command line's, `inbox audit verify` finds a removed row, and `inbox
two-factor reset` lets a person who lost their authenticator back in."""

from __future__ import annotations

import asyncpg
import pytest

from inbox.store.secret_box import SecretBox
from tests.e2e.test_cli import env_with, run

pytestmark = pytest.mark.integration


@pytest.fixture
def env(database_dsn: str) -> dict[str, str]:
    return env_with(DATABASE_URL=database_dsn, INBOX_SECRET_KEY=SecretBox.new_key())


async def _rows(dsn: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def test_commands_that_change_settings_are_recorded_as_the_command_lines(
    env: dict[str, str], database_dsn: str
) -> None:
    created = run("token", "create", "--name", "crm", "--role", "lead", env=env)
    assert created.returncode == 0, created.stderr
    saved = run("agent", "add", "ana@example.com", "--name", "Ana", env=env)
    assert saved.returncode == 0, saved.stderr
    rows = await _rows(
        database_dsn,
        "SELECT actor_kind, actor_id, actor_name, action, summary::text FROM audit_entry"
        " ORDER BY id",
    )
    assert [(r["actor_kind"], r["actor_id"], r["action"]) for r in rows] == [
        ("command_line", None, "token_created"),
        ("command_line", None, "agent_saved"),
    ]
    assert created.stdout.strip() not in rows[0]["summary"]  # the token itself never


async def test_audit_verify_names_the_row_after_a_removed_one(
    env: dict[str, str], database_dsn: str
) -> None:
    for name in ("one", "two", "three"):
        assert run("token", "create", "--name", name, env=env).returncode == 0
    intact = run("audit", "verify", env=env)
    assert intact.returncode == 0, intact.stderr
    assert "intact" in intact.stdout
    ids = [r["id"] for r in await _rows(database_dsn, "SELECT id FROM audit_entry ORDER BY id")]
    await _rows(database_dsn, "DELETE FROM audit_entry WHERE id = $1", ids[1])
    broken = run("audit", "verify", env=env)
    assert broken.returncode == 2
    assert f"broken at row {ids[2]}" in broken.stderr


def test_two_factor_reset_of_someone_without_one_is_refused_by_name(
    env: dict[str, str],
) -> None:
    assert run("agent", "add", "ana@example.com", "--name", "Ana", env=env).returncode == 0
    refused = run("two-factor", "reset", "ana@example.com", env=env)
    assert refused.returncode == 2
    assert "second factor of person 'ana@example.com' not found" in refused.stderr
