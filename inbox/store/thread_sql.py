"""Predicates on threads that many statements share, named once so that they cannot drift."""

from __future__ import annotations

from inbox.domain.thread import OPEN_STATUSES

# The statuses of a thread someone still has to deal with, as an SQL list: `status IN {...}`.
OPEN_STATUSES_SQL = "(" + ", ".join(f"'{status}'" for status in sorted(OPEN_STATUSES)) + ")"
