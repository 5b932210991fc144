"""The process's log lines: JSON, one a line, and what the database driver says during an
outage kept to one line each, without a traceback or the server's address."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from inbox.logs import configure_logging

SOCKET = "/run/inbox-secret-folder/.s.PGSQL.5432"


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """configure_logging sets up the whole process: put back what pytest had."""
    root = logging.getLogger()
    pool = logging.getLogger("asyncpg.pool")
    handlers, level, filters = root.handlers[:], root.level, pool.filters[:]
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    pool.filters[:] = filters


def pool_fails_to_reconnect() -> None:
    """What asyncpg's pool logs at each attempt to restore its connections, server away."""
    try:
        raise ConnectionRefusedError(111, f"Connect call failed ('{SOCKET}')")
    except ConnectionRefusedError:
        logging.getLogger("asyncpg.pool").warning(
            "Failed to restore the pool connection floor; retrying", exc_info=True
        )


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.usefixtures("restored_logging")
def test_each_failed_reconnection_of_the_pool_is_one_line_with_the_error_class() -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream)
    configure_logging("INFO", stream)  # again, as a second command in one process would

    pool_fails_to_reconnect()
    pool_fails_to_reconnect()

    logged = lines(stream)
    assert len(logged) == 2, "one line per attempt"
    for line in logged:
        assert line["level"] == "warning"
        assert line["logger"] == "asyncpg.pool"
        assert line["action"] == "database_pool_retry"
        assert line["error"] == "ConnectionRefusedError"
    assert "Traceback" not in stream.getvalue()
    assert SOCKET not in stream.getvalue()


@pytest.mark.usefixtures("restored_logging")
def test_at_debug_the_pools_failed_reconnection_keeps_its_traceback() -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", stream)

    pool_fails_to_reconnect()

    (line,) = [entry for entry in lines(stream) if entry["logger"] == "asyncpg.pool"]
    assert line["action"] == "database_pool_retry"
    assert line["error"].startswith("Traceback")
