"""Adoption: whether the inbox is really used, week by week, seen by team.

A lead learns whether the tool is used without watching anyone: how many people of each team
were active each week, and how many of the brand's public answers went through the inbox
rather than straight on the network. Figures per person exist only where the workspace turned
comparisons on, and then each person sees their own.

- **Active.** A person is active in a week when they did something to a thread through the
  inbox, from what the product keeps anyway: replied (an outbox item of theirs, keyed
  `reply:{agent}:…` by the replies use case), wrote a note, assigned a thread (claimed it,
  took it, or gave it to someone), or resolved one (a closure recorded as theirs). Reading
  leaves no trace, by design: someone who only read was not active.
- **Through the inbox.** The brand's public answers are the posts of its own accounts that
  reply to another post, as the connectors saw them (automated acknowledgements and private
  messages aside). One that an outbox item sent went through the inbox; the others were
  written straight on the network.
- **Weeks** start on Monday at midnight in the reader's zone, from the week the workspace
  started (its creation or its first customer message, whichever came first), at most a year
  back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

# At most this many weeks are shown (the last ones).
MOST_WEEKS = 52


@dataclass(frozen=True, slots=True)
class WeekSpan:
    """The weeks a report covers: from `since` to `until` (instants, local Monday midnights),
    counted in the reader's zone."""

    since: datetime
    until: datetime
    time_zone: str


def week_of(day: date) -> date:
    """The Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


def weeks_between(first: date, last: date, most: int = MOST_WEEKS) -> tuple[date, ...]:
    """The Mondays from the week of `first` to that of `last`, the last `most` of them."""
    start, end = week_of(first), week_of(last)
    count = max(0, (end - start).days // 7 + 1)
    kept = min(count, most)
    return tuple(end - timedelta(weeks=kept - 1 - n) for n in range(kept))


@dataclass(frozen=True, slots=True)
class Team:
    """A team and how many people it counts now (people in no team: `team_id` None)."""

    team_id: int | None
    name: str
    members: int


@dataclass(frozen=True, slots=True)
class TeamWeek:
    """The people of a team active in a week; `departed` of them have left since (they
    count in that week's headcount, beside the team's people now)."""

    team_id: int | None
    week: date
    active: int
    departed: int = 0


@dataclass(frozen=True, slots=True)
class AnswerWeek:
    """The brand's public answers of one week on one network, and how many the inbox sent."""

    week: date
    network: str
    answers: int
    through_inbox: int


@dataclass(frozen=True, slots=True)
class PersonWeeks:
    """The weeks a person was active (only where the workspace turned comparisons on)."""

    agent_id: int
    name: str
    weeks: frozenset[date]


@dataclass(frozen=True, slots=True)
class AdoptionReport:
    weeks: tuple[date, ...]  # every week shown, oldest first
    teams: tuple[Team, ...]
    active: tuple[TeamWeek, ...]
    answers: tuple[AnswerWeek, ...]
    # None: the workspace keeps comparisons off, and nobody's weeks are read.
    people: tuple[PersonWeeks, ...] | None
    # Weeks before the first shown were left out (the workspace is older than MOST_WEEKS).
    capped: bool

    def active_in(self, team: Team, week: date) -> tuple[int, int]:
        """(active, headcount) of the team that week: its people now, and those active
        then who have left since."""
        rows = [r for r in self.active if r.team_id == team.team_id and r.week == week]
        return sum(r.active for r in rows), team.members + sum(r.departed for r in rows)

    def answers_in(self, week: date, network: str | None = None) -> tuple[int, int]:
        """(through the inbox, all) for the week, on one network or all of them."""
        rows = [
            r for r in self.answers if r.week == week and (network is None or r.network == network)
        ]
        return sum(r.through_inbox for r in rows), sum(r.answers for r in rows)

    @property
    def networks(self) -> tuple[str, ...]:
        return tuple(sorted({r.network for r in self.answers}))

    def answers_on(self, network: str | None = None) -> tuple[int, int]:
        """(through the inbox, all) over every week shown."""
        rows = [r for r in self.answers if network is None or r.network == network]
        return sum(r.through_inbox for r in rows), sum(r.answers for r in rows)
