"""Routing as the rest of the inbox sees it: a workspace's routing configuration, claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    """Stored as JSON: `settings` (fair window, reassignment timeout, community), `lexicon`
    (additions to the classifier's lexicons), `rules` (the ordered rule book); beside them, the
    classifier's adjustment the worker learned from the workspace's corrections."""

    version: int = 0
    settings: dict[str, object] = field(default_factory=dict)
    lexicon: dict[str, object] = field(default_factory=dict)
    rules: dict[str, object] = field(default_factory=lambda: {"rules": []})
    # The classifier's adjustment learned from the workspace's corrections (None: none yet).
    adjustment: dict[str, object] | None = None
    adjustment_version: int = 0


@dataclass(frozen=True, slots=True)
class ClaimedThread:
    thread_id: int
    priority: str
    sla_due_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredCorrection:
    """An agent's latest correction of a thread's kind or urgency, with the text it was
    about and the thread's language: one example for the workspace's own classifier."""

    id: int
    text: str
    language: str | None
    field: str  # "kind" or "urgency"
    value: str
