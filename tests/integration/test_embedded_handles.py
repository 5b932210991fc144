"""The embedded server's handle file: processes killed without a chance to leave (SIGKILL)
must not keep the server running for ever."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from inbox.store.embedded import HANDLE_FILE, EmbeddedPostgres, forget_dead_users

pytestmark = pytest.mark.integration


def dead_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def handles(data_dir: Path) -> list[int]:
    return list(json.loads((data_dir / HANDLE_FILE).read_text()))


def test_dead_pids_are_dropped_and_live_ones_kept(tmp_path: Path) -> None:
    gone = dead_pid()
    (tmp_path / HANDLE_FILE).write_text(json.dumps([os.getpid(), gone, os.getppid()]))
    assert forget_dead_users(tmp_path) == [gone]
    assert handles(tmp_path) == [os.getpid(), os.getppid()]
    assert forget_dead_users(tmp_path) == []


def test_a_data_folder_without_a_handle_file_is_left_alone(tmp_path: Path) -> None:
    assert forget_dead_users(tmp_path) == []
    assert not (tmp_path / HANDLE_FILE).exists()


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Not under pytest's temporary folder, which another pytest starting meanwhile makes
    # private: the server runs as another user when the tests run as root.
    with tempfile.TemporaryDirectory(prefix="inbox-handles-") as folder:
        yield Path(folder) / "postgres"


def test_a_server_whose_other_user_was_killed_is_stopped_by_the_last_live_user(
    data_dir: Path,
) -> None:
    server = EmbeddedPostgres(data_dir)
    server.start()
    try:
        killed = dead_pid()  # an `inbox serve` SIGKILLed while it used the server
        (data_dir / HANDLE_FILE).write_text(json.dumps([*handles(data_dir), killed]))
        env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
        env.pop("DATABASE_URL", None)
        env["INBOX_DATA_DIR"] = str(data_dir)
        another = subprocess.run(
            [sys.executable, "-m", "inbox.cli", "migrate"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert another.returncode == 0, another.stderr
        assert killed not in handles(data_dir)
        assert (data_dir / "postmaster.pid").exists(), "still used by this test"
    finally:
        server.stop()
    assert not (data_dir / "postmaster.pid").exists(), "the last live user stopped it"
