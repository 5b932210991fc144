"""CSV exports for leads: conversations and SLA clocks over a date range, by team and network.

Rows are plain tuples in the order of their columns; an export is read a page at a time and
written as it is read, so its size is bounded by the disk of whoever downloads it, never by
the server's memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from inbox.domain.errors import ConfigurationError
from inbox.domain.network import Network

# A year and a bit: a yearly report, not the whole history by accident.
LONGEST_RANGE = timedelta(days=400)
EXPORT_PAGE = 1000

CONVERSATION_COLUMNS = (
    "thread_id", "network", "status", "priority", "kind", "language", "team", "assignee",
    "customer_id", "customer_handle", "opened_at", "first_answered_at", "resolved_at",
    "message_count", "excerpt",
)  # fmt: skip
SLA_CLOCK_COLUMNS = (
    "clock_id", "thread_id", "network", "team", "kind", "policy", "calendar", "started_at",
    "deadline", "stopped_at", "outcome", "budget_seconds", "warned_at", "breached_at",
)  # fmt: skip

ExportRow = tuple[str | int | datetime | None, ...]


@dataclass(frozen=True, slots=True)
class ExportFilters:
    """Conversations opened, or clocks started, in [since, until); of one team and one network
    when they are given."""

    since: datetime
    until: datetime
    team_id: int | None = None
    network: str | None = None

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise ConfigurationError("since", "dates need a time zone (e.g. 2026-03-01T00:00Z)")
        if self.until <= self.since:
            raise ConfigurationError("until", "must come after since")
        if self.until - self.since > LONGEST_RANGE:
            raise ConfigurationError("until", f"at most {LONGEST_RANGE.days} days after since")
        if self.network is not None and self.network not in {n.value for n in Network}:
            known = ", ".join(n.value for n in Network)
            raise ConfigurationError("network", f"one of {known}")
