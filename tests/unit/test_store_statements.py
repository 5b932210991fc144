"""Where the store's statements live: every write of `thread` in thread_sql, but for those that
must move a thread together with their own log, and the open statuses spelled once."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import inbox
import inbox.store
from inbox.store import thread_sql

WRITES_THREAD = re.compile(
    r"\b(UPDATE\s+thread|INSERT\s+INTO\s+thread|DELETE\s+FROM\s+thread)\b(?!_)", re.IGNORECASE
)
# Statements that write `thread` inside a larger statement of their own module, for one
# round trip: who holds a thread moves with its `assignment` log; brand posts join a thread
# with its counts.
WRITTEN_BESIDE_THEIR_LOG = {
    ("inbox.store.assignment", "APPLY_DECISIONS"),
    ("inbox.store.assignment", "CLAIM"),
    ("inbox.store.assignment", "TAKE"),
    ("inbox.store.assignment", "ASSIGN_BY_HAND"),
    ("inbox.store.assignment", "ASSIGN_SELECTION"),
    ("inbox.store.ingest_sql", "ATTACH_UNTHREADED"),
    # A thread's event counter moves with the events it numbers (webhook events).
    ("inbox.store.thread_events", "RECORD"),
    ("inbox.store.outbox", "MARK_SENT"),
}


def _statements() -> list[tuple[str, str, str]]:
    """(module, name, text) of each named statement of the store, where it is written."""
    shared = {id(value) for value in vars(thread_sql).values() if isinstance(value, str)}
    found = []
    for module_info in pkgutil.iter_modules(inbox.store.__path__, "inbox.store."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str) and id(value) not in shared:
                found.append((module_info.name, name, value))
    return found


def test_every_write_of_thread_is_in_thread_sql_unless_it_moves_with_its_log() -> None:
    elsewhere = {
        (module, name)
        for module, name, text in _statements()
        if module != "inbox.store.thread_sql" and WRITES_THREAD.search(text)
    }
    assert elsewhere == WRITTEN_BESIDE_THEIR_LOG


def test_the_open_statuses_are_spelled_once_in_the_code() -> None:
    spelled = re.compile(r"""['"]new['"],\s*['"]open['"],\s*['"]pending['"]""")
    root = Path(inbox.__file__).parent.parent
    places = [
        path.relative_to(root).as_posix()
        for package in ("inbox", "web", "routing", "sla", "connectors")
        for path in (root / package).rglob("*.py")
        if spelled.search(path.read_text(encoding="utf-8"))
    ]
    assert places == []
    # As the partial index of the inbox order spells it (migration 0011): PostgreSQL uses
    # the index only for statements whose condition implies its own.
    assert thread_sql.OPEN_STATUSES_SQL == "('new', 'open', 'pending')"
