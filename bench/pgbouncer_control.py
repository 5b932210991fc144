"""Debian's PgBouncer in transaction mode, on loopback in front of an embedded PostgreSQL.

Started by the tests that need it (which skip, saying why, without the `pgbouncer` binary:
Debian's package, `apt-get install pgbouncer`) and by `bench/pgbouncer.py`. Its pool to the
server may be smaller than the clients' pools, so clients really share server connections:
anything that leaned on a session (a prepared statement kept by name, a session lock,
LISTEN) would meet another client's session.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

START_TIMEOUT_S = 30.0


def pgbouncer_binary() -> str | None:
    """The path of `pgbouncer` (Debian installs it in /usr/sbin), or None."""
    return shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin:/sbin")


@dataclass(frozen=True, slots=True)
class RunningPgBouncer:
    port: int
    log: Path

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def logins(self, database: str) -> int:
        """How many clients logged in to `database` through it (its own log says)."""
        return self.log.read_text().count(f"login attempt: db={database} ")


@contextmanager
def running_pgbouncer(
    folder: Path, server_dsn: str, *, server_connections: int = 2
) -> Iterator[RunningPgBouncer]:
    """PgBouncer in transaction mode in front of the server `server_dsn` names (a Unix socket
    folder and port, as the embedded server's DSN has them), trusting its users as the
    server does, until the block ends."""
    binary = pgbouncer_binary()
    if binary is None:
        raise FileNotFoundError("PgBouncer is not installed (Debian: apt-get install pgbouncer)")
    socket_dir, server_port = _socket_of(server_dsn)
    port = _free_port()
    folder.mkdir(parents=True, exist_ok=True)
    # trust: the embedded server trusts local users; the file only names who may log in.
    (folder / "users.txt").write_text('"postgres" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={socket_dir} port={server_port}\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        "unix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {folder / 'users.txt'}\n"
        "pool_mode = transaction\n"
        f"default_pool_size = {server_connections}\n"
        "max_client_conn = 500\n"
        "ignore_startup_parameters = extra_float_digits\n"
    )
    # PgBouncer refuses to run as root: it runs as whoever owns the server's socket (the
    # embedded server's own user when the tests run as root), which may also reach it.
    owner = Path(socket_dir).stat().st_uid
    as_user: list[str] = []
    if os.geteuid() == 0 and owner != 0:
        as_user = ["-u", pwd.getpwuid(owner).pw_name]
        folder.chmod(0o755)
    log = folder / "pgbouncer.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 (the installed binary, our own file)
            [binary, *as_user, str(folder / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        _until_listening(port, process, log)
        yield RunningPgBouncer(port, log)
    finally:
        process.terminate()
        try:
            process.wait(START_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _socket_of(dsn: str) -> tuple[str, int]:
    parts = urlsplit(dsn)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or ""])[0]
    port = int(query.get("port", [str(parts.port or 5432)])[0])
    if not host.startswith("/"):
        raise ValueError("the server is expected on a Unix socket")
    return host, port


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited with {process.returncode}: {log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"pgbouncer did not listen in time: {log.read_text()}")
