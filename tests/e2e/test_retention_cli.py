"""`inbox retention show|set|run` as an operator runs it: the periods in force, a change
refused naming the field (exit 2), a dry run that removes nothing, a pass that is shown after."""

from __future__ import annotations

import pytest

from inbox.store.secret_box import SecretBox
from tests.e2e.test_cli import env_with, run

pytestmark = pytest.mark.integration


@pytest.fixture
def env(database_dsn: str) -> dict[str, str]:
    return env_with(DATABASE_URL=database_dsn, INBOX_SECRET_KEY=SecretBox.new_key())


def test_the_periods_are_shown_set_and_applied_from_the_command_line(env: dict[str, str]) -> None:
    shown = run("retention", "show", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "raw payloads of messages: 90 days" in shown.stdout
    assert "last pass: never" in shown.stdout

    refused = run("retention", "set", "--quarantine-days", "0", env=env)
    assert refused.returncode == 2
    assert "quarantine_days: must be between 1 and 36500, got 0" in refused.stderr

    saved = run(
        "retention", "set", "--raw-payload-days", "30", "--closed-thread-text-months", "keep",
        env=env,
    )  # fmt: skip
    assert saved.returncode == 0, saved.stderr
    assert "raw payloads of messages: 30 days" in saved.stdout
    assert "closed threads' texts: kept for ever" in saved.stdout
    assert "quarantined payloads: 30 days" in saved.stdout

    dry = run("retention", "run", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("would remove: 0 raw payloads")
    assert "last pass: never" in run("retention", "show", env=env).stdout

    ran = run("retention", "run", env=env)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("removed: 0 raw payloads")
    assert "(command line), removed 0 raw payloads" in run("retention", "show", env=env).stdout
