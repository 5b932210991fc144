"""An agent's status, as they set it, and as routing and colleagues see it with their shift.

The agent chooses: available, busy (keeps their threads, gets no new ones) or away (gets
nothing; the threads they leave unanswered are reassigned after the workspace's timeout).
Their shift follows their team's calendar: outside it an available agent is "off shift" and
routing gives them nothing either.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from inbox.domain.errors import ConfigurationError


class AgentStatus(StrEnum):
    AVAILABLE = "available"
    BUSY = "busy"
    AWAY = "away"

    @classmethod
    def parse(cls, value: str) -> AgentStatus:
        try:
            return cls(value)
        except ValueError:
            choices = ", ".join(s.value for s in cls)
            raise ConfigurationError("status", f"one of {choices}") from None


@dataclass(frozen=True, slots=True)
class Presence:
    """What the agent chose and whether their shift is on now."""

    status: AgentStatus = AgentStatus.AVAILABLE
    on_shift: bool = True

    @property
    def state(self) -> str:
        """The one word shown beside their name: away, busy, off_shift or available."""
        if self.status is AgentStatus.AVAILABLE and not self.on_shift:
            return "off_shift"
        return self.status.value

    @property
    def label(self) -> str:
        return PRESENCE_LABELS[self.state]

    @property
    def takes_new_threads(self) -> bool:
        return self.state == "available"


PRESENCE_LABELS = {
    "available": "Available",
    "busy": "Busy",
    "away": "Away",
    "off_shift": "Off shift",
}
