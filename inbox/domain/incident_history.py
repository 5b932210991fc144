"""What an incident's page says of it, in plain words: a title from its topics and places
("Network outage, Lyon"), a sentence ("14 complaints in 10 minutes; usually about 1"), its
strength in words ("very unusual"), and its history from the database: the complaints it
matches per bucket, from hours before the burst to now, against their usual level.

The usual level of a bucket is the mean count of the same bucket of the day over the days
before (up to a week, those the workspace has history for): what a reader means by
"usually", and the same for an incident the detector opened and one declared by hand. The
detector's own figures (its expectation, its evidence in nats) stay on demand.

Pure: every instant comes in with the data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from inbox.domain.incidents import Incident, IncidentSource

# The chart starts this long before the burst: the build-up.
BUILD_UP = timedelta(hours=3)
# A closed incident's chart goes on this long after it closed: the way back to normal.
AFTER_CLOSE = timedelta(minutes=30)
MOST_BUCKETS = 48
# Bucket widths in minutes, each a divisor of a day (a bucket then falls at the same time of
# day every day).
WIDTHS = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 720, 1440)
USUAL_DAYS = 7
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ChartWindow:
    """The chart's buckets: `start` (aligned on `width`) to `end`, the last one running
    when the incident is open; the burst from `burst_start` to `burst_end` (its close, or
    now)."""

    start: datetime
    end: datetime
    width: timedelta
    burst_start: datetime
    burst_end: datetime

    @property
    def buckets(self) -> int:
        return math.ceil((self.end - self.start) / self.width)

    @property
    def per_day(self) -> int:
        return int(DAY / self.width)

    def bucket_start(self, index: int) -> datetime:
        return self.start + self.width * index

    def index_of(self, instant: datetime) -> int:
        return math.floor((instant - self.start) / self.width)

    @property
    def burst(self) -> tuple[int, int]:
        """The first and last buckets of the burst (those the chart highlights)."""
        last = self.index_of(self.burst_end)
        if self.start + self.width * last == self.burst_end and last > 0:
            last -= 1  # ended exactly on a bucket's start: that bucket is after it
        last = min(max(last, 0), self.buckets - 1)
        return min(max(self.index_of(self.burst_start), 0), last), last


def _floor(instant: datetime, width: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=instant.tzinfo)
    return epoch + width * math.floor((instant - epoch) / width)


def chart_window(started_at: datetime, closed_at: datetime | None, now: datetime) -> ChartWindow:
    """From BUILD_UP before the burst to now (or a little after its close), in at most
    MOST_BUCKETS buckets of a width that divides a day."""
    burst_start = min(started_at, now)
    burst_end = max(min(closed_at or now, now), burst_start)
    last = min(now, burst_end + AFTER_CLOSE) if closed_at is not None else now
    first = burst_start - BUILD_UP
    width = timedelta(minutes=WIDTHS[-1])
    for minutes in WIDTHS:
        candidate = timedelta(minutes=minutes)
        start = _floor(first, candidate)
        if math.floor((last - start) / candidate) + 1 <= MOST_BUCKETS:
            width = candidate
            break
    start = _floor(first, width)
    end = _floor(last, width) + width
    return ChartWindow(start, end, width, burst_start, burst_end)


@dataclass(frozen=True, slots=True)
class IncidentHistory:
    window: ChartWindow
    observed: tuple[int, ...]
    # The usual level of each bucket; None while the workspace has less than a day of
    # history before the chart.
    usual: tuple[float, ...] | None
    days_known: int

    @property
    def burst_observed(self) -> int:
        first, last = self.window.burst
        return sum(self.observed[first : last + 1])

    @property
    def burst_duration(self) -> timedelta:
        """From the start of the burst's first bucket to its end (now, while it lasts)."""
        first, _ = self.window.burst
        return self.window.burst_end - self.window.bucket_start(first)

    @property
    def burst_usual(self) -> float | None:
        """What the burst's span usually holds (its running bucket in proportion)."""
        if self.usual is None:
            return None
        first, last = self.window.burst
        spanned = self.window.width * (last - first + 1)
        share = self.burst_duration / spanned if spanned else 1.0
        return sum(self.usual[first : last + 1]) * min(share, 1.0)


def history(
    window: ChartWindow, counts: Mapping[int, int], known_since: datetime | None
) -> IncidentHistory:
    """The chart's counts and their usual level. `counts`: the complaints the incident
    matches per bucket, by the bucket's index from the window's start (negative: the
    USUAL_DAYS days before it); `known_since`: since when the workspace has history (its
    start), so that days before it do not pass for quiet ones."""
    observed = tuple(counts.get(i, 0) for i in range(window.buckets))
    per_day = window.per_day
    days = USUAL_DAYS
    if known_since is not None:
        days = min(USUAL_DAYS, max(0, (window.start - known_since) // DAY))
    if days == 0:
        return IncidentHistory(window, observed, None, 0)
    usual = tuple(
        sum(counts.get(i - k * per_day, 0) for k in range(1, days + 1)) / days
        for i in range(window.buckets)
    )
    return IncidentHistory(window, observed, usual, days)


@dataclass(frozen=True, slots=True)
class Counted:
    """A word the linked complaints share, and how many of them carry it."""

    name: str
    count: int


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """What an incident's linked complaints share, most frequent first."""

    topics: tuple[Counted, ...] = ()
    keyword_groups: tuple[Counted, ...] = ()
    places: tuple[Counted, ...] = ()
    complaints: int = 0  # linked complaints counted
    authors: int = 0  # customers linked (each acknowledged once)


# The detector's keyword groups as a reader names the burst.
_NOUNS = {
    "outage": "outage",
    "safety": "safety complaints",
    "legal": "legal complaints",
    "churn": "complaints",
}
# The group that names a burst when several do, the most telling first.
_GROUP_ORDER = ("outage", "safety", "legal", "churn")


def _leading(counted: Sequence[Counted], most: int = 2) -> list[str]:
    """The first, and those after it holding at least half as many."""
    if not counted:
        return []
    top = counted[0].count
    return [c.name for c in counted[:most] if c is counted[0] or 2 * c.count >= top]


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def incident_title(incident: Incident, facts: IncidentFacts | None = None) -> str:
    """ "Network outage, Lyon": the topics its complaints share most, what kind of burst it
    is (an outage where the outage words run through it), and the places named most. An
    incident declared by hand keeps the title ops gave it."""
    if incident.source is IncidentSource.MANUAL:
        return incident.title
    facts = facts or IncidentFacts()
    own = set(incident.topics)
    topics = [c for c in facts.topics if not own or c.name in own]
    if not topics:
        topics = [Counted(t, 0) for t in incident.topics]
    groups = set(incident.keyword_groups)
    # A group present in a third of the linked complaints names the burst too.
    groups |= {c.name for c in facts.keyword_groups if 3 * c.count >= max(facts.complaints, 1)}
    group = next((g for g in _GROUP_ORDER if g in groups), None)
    subject = _and([t.replace("_", " ") for t in _leading(topics)])
    if subject:
        noun = _NOUNS.get(group or "", "complaints")
        title = f"{subject[0].upper()}{subject[1:]} {noun}"
    else:
        title = "Outage" if group == "outage" else "Complaint burst"
    places = _leading(facts.places) or list(incident.places[:1])
    return f"{title}, {_and(places)}" if places else title


def duration_words(duration: timedelta) -> str:
    minutes = round(duration.total_seconds() / 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    if hours < 48:
        return f"{hours} hours"
    return f"{round(hours / 24)} days"


def usual_words(usual: float | None) -> str:
    if usual is None:
        return "no usual level yet (less than a day of history)"
    if usual < 0.05:
        return "usually none"
    if usual < 1:
        return "usually fewer than 1"
    return f"usually about {round(usual)}"


def incident_sentence(history: IncidentHistory) -> str:
    """ "14 complaints in 10 minutes; usually about 1." over the burst the chart highlights."""
    count = history.burst_observed
    noun = "complaint" if count == 1 else "complaints"
    return (
        f"{count} {noun} in {duration_words(history.burst_duration)};"
        f" {usual_words(history.burst_usual)}."
    )


def strength_words(incident: Incident) -> str:
    """How unusual the detector found the burst, in words (its score, from 0 to 1, is the
    chance that a normal month of the series holds no evidence as strong)."""
    if incident.source is IncidentSource.MANUAL:
        return "declared by hand"
    score = incident.peak_score
    if score >= 0.99:
        return "extremely unusual"
    if score >= 0.9:
        return "very unusual"
    if score >= 0.5:
        return "unusual"
    return "slightly unusual"
