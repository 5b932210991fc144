"""PgBouncer for the tests (bench/pgbouncer_control.py): skipped, saying why, without it."""

from __future__ import annotations

import pytest

from bench.pgbouncer_control import RunningPgBouncer, pgbouncer_binary, running_pgbouncer

__all__ = ["RunningPgBouncer", "require_pgbouncer", "running_pgbouncer"]


def require_pgbouncer() -> None:
    if pgbouncer_binary() is None:
        pytest.skip("PgBouncer is not installed (Debian: apt-get install pgbouncer)")
