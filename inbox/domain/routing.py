"""Routing as the rest of the inbox sees it: a workspace's routing configuration, claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    """Stored as JSON: `settings` (fair window, reassignment timeout, community), `lexicon`
    (additions to the classifier's lexicons), `rules` (the ordered rule book)."""

    version: int = 0
    settings: dict[str, object] = field(default_factory=dict)
    lexicon: dict[str, object] = field(default_factory=dict)
    rules: dict[str, object] = field(default_factory=lambda: {"rules": []})


@dataclass(frozen=True, slots=True)
class ClaimedThread:
    thread_id: int
    priority: str
    sla_due_at: datetime | None
