"""What the web pages read and the small changes made from them, on one pool: the inbox list
(`inbox_list`), a thread's page (`thread_page`), notes and snoozing (`page_actions`) and a
person's own assignments (`assignment`)."""

from __future__ import annotations

from inbox.store.assignment import PgHandAssignments
from inbox.store.inbox_list import PgInboxList
from inbox.store.page_actions import PgPageActions
from inbox.store.thread_page import PgThreadPage


class PgInboxPages(PgInboxList, PgThreadPage, PgPageActions, PgHandAssignments):
    """The pages' store: each part built on the same database (`_db`)."""
