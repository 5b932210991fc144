"""What a reply is checked against before it leaves: the facts of its thread."""

from __future__ import annotations

from dataclasses import dataclass

from inbox.domain.web import can_go_private


@dataclass(frozen=True, slots=True)
class ThreadIncident:
    """An open incident the thread is linked to, with the words that name it."""

    title: str
    keywords: tuple[str, ...] = ()
    places: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ThreadReplyFacts:
    network: str
    private: bool  # a direct-message thread: its replies are private
    language: str | None
    # What selects its SLA policy, whose calendar holds the team's hours...
    kind: str
    priority: str
    team_id: int | None
    team: str | None
    vip: bool
    # ...unless a clock already ran on it: the calendar of its latest clock.
    calendar: str | None
    # The customer's latest message: its author (the reply addresses them) and its id.
    customer_handle: str | None
    customer_id: str | None  # their account on the network (an X direct message's recipient)
    latest_inbound: str | None
    customer_texts: tuple[str, ...] = ()  # what they wrote on the thread, the latest first
    incidents: tuple[ThreadIncident, ...] = ()

    @property
    def can_go_private(self) -> bool:
        """A public thread of a network with direct messages, with a customer to write to."""
        if self.latest_inbound is None:
            return False
        return can_go_private(self.network, self.private, self.customer_id, self.customer_handle)
