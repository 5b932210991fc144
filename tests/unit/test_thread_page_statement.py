"""The thread page's one statement stays one the driver keeps prepared: longer, it would be
planned anew at every page, costing more than the round trips it saves."""

from __future__ import annotations

from inbox.store.database import MAX_CACHED_STATEMENT_BYTES
from inbox.store.thread_page import THREAD_OF_VIEWER, THREAD_PAGE


def test_the_thread_page_statements_are_short_enough_to_stay_prepared() -> None:
    for statement in (THREAD_PAGE, THREAD_OF_VIEWER):
        assert len(statement.encode()) <= MAX_CACHED_STATEMENT_BYTES
