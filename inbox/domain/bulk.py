"""Acting on several threads at once: what was asked, what was done, and why some were not.

Each action is one transaction over the threads named; a thread of another workspace, or one
the action does not fit (already resolved, already theirs), is skipped and counted with the
reason, so that the agent reads "3 assigned to Léa; 1 skipped: already resolved".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

# The most threads one action takes: a view's rows.
MOST_THREADS = 100


class BulkAction(StrEnum):
    ASSIGN = "assign"
    TAG = "tag"
    UNTAG = "untag"
    SNOOZE = "snooze"
    CLOSE = "close"  # no reply needed


class Skipped(StrEnum):
    """Why a thread named was left as it was."""

    NOT_FOUND = "not found"  # no such thread in the workspace
    CLOSED = "already resolved"
    ALREADY = "already theirs"
    TOO_MANY_TAGS = "too many tags"


@dataclass(frozen=True, slots=True)
class AssignTarget:
    """One colleague, or one team's queue."""

    agent_id: int | None = None
    team_id: int | None = None

    def __post_init__(self) -> None:
        if (self.agent_id is None) == (self.team_id is None):
            raise ValueError("a colleague or a team, not both")


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    action: BulkAction
    done: tuple[int, ...]
    skipped: Counter[Skipped] = field(default_factory=Counter)
    # Whom or what the action named, in words: "Léa", "team Support FR", "billing", "4 hours".
    target: str = ""

    def sentence(self) -> str:
        """ "3 assigned to Léa; 1 skipped: already resolved"."""
        count = len(self.done)
        done = {
            BulkAction.ASSIGN: f"{count} assigned to {self.target}",
            BulkAction.TAG: f"{count} tagged {self.target}",
            BulkAction.UNTAG: f"{self.target} removed from {count}",
            BulkAction.SNOOZE: f"{count} snoozed for {self.target}",
            BulkAction.CLOSE: f"{count} closed: no reply needed",
        }[self.action]
        if not self.skipped:
            return done
        why = ", ".join(f"{n} {reason.value}" for reason, n in sorted(self.skipped.items()))
        total = sum(self.skipped.values())
        if len(self.skipped) == 1:
            why = next(iter(self.skipped)).value
        return f"{done}; {total} skipped: {why}"
