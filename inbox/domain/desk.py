"""What the inbox's page reads at each request: who asks, their view's rows, and whom the
list's selection may be given to."""

from __future__ import annotations

from dataclasses import dataclass

from inbox.domain.web import InboxRow, WebSession

# (id, name) of each colleague or team, by name.
Named = tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class DeskRead:
    """Read together, in one statement: the session (checked then), the first rows of its
    view, and the colleagues and teams threads may be given to (the list's toolbar)."""

    session: WebSession
    rows: list[InboxRow]
    colleagues: Named
    teams: Named
