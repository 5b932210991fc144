"""Subscribing to thread events from the command line: kinds and families, texts opted in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "inbox.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_webhook_subscribes_to_thread_events_and_takes_texts_only_when_asked(
    database_dsn: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    env.update(DATABASE_URL=database_dsn, INBOX_SECRET_KEY_FILE=str(tmp_path / "key"))
    crm = run(
        "webhook", "add", "https://crm.example.com/in", "--event", "thread.*",
        "--event", "message.received", env=env,
    )  # fmt: skip
    assert crm.returncode == 0, crm.stderr
    assert "posts thread.*, message.received to" in crm.stdout
    warehouse = run(
        "webhook", "add", "https://dw.example.com/in", "--event", "message.*", "--with-text",
        env=env,
    )  # fmt: skip
    assert warehouse.returncode == 0, warehouse.stderr
    listed = run("webhook", "list", env=env).stdout.splitlines()
    assert "with texts" not in listed[0]
    assert "active, with texts" in listed[1]
    unknown = run(
        "webhook", "add", "https://crm.example.com/in", "--event", "thread.deleted", env=env
    )
    assert unknown.returncode == 2
    assert "unknown event 'thread.deleted'" in unknown.stderr
    assert "thread.assigned" in unknown.stderr
