"""How long a workspace keeps what it does not need for ever, and what a pass removed.

Three things have a retention period of their own: the raw payload of every message (the
network's whole answer, kept to read it again: after `raw_payload_days`), the texts of a
closed thread (its messages, replies, notes and what was derived from them: after
`closed_thread_text_months` since it was resolved) and quarantined payloads (kept for an
operator to look at: after `quarantine_days`). None keeps them for ever. Removing a text never
removes its row: the messages, threads and clocks stay, so reports count them as before.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from inbox.domain.errors import ConfigurationError

# A payload is worth reading again for a few weeks (a normaliser fixed, a dispute); a
# quarantined one for as long as an operator may take to look at it.
DEFAULT_RAW_PAYLOAD_DAYS = 90
DEFAULT_CLOSED_THREAD_TEXT_MONTHS = 24
DEFAULT_QUARANTINE_DAYS = 30

# The bounds the database holds too: a hundred years is "for ever" said with a number.
LONGEST_DAYS = 36500
LONGEST_MONTHS = 1200

# The settings' names, as the command line, the page and the JSON documents spell them.
RAW_PAYLOAD_DAYS = "raw_payload_days"
CLOSED_THREAD_TEXT_MONTHS = "closed_thread_text_months"
QUARANTINE_DAYS = "quarantine_days"
FIELDS = (RAW_PAYLOAD_DAYS, CLOSED_THREAD_TEXT_MONTHS, QUARANTINE_DAYS)
_LONGEST = {
    RAW_PAYLOAD_DAYS: LONGEST_DAYS,
    CLOSED_THREAD_TEXT_MONTHS: LONGEST_MONTHS,
    QUARANTINE_DAYS: LONGEST_DAYS,
}
# What a person may type for "keep it for ever".
KEEP_WORDS = frozenset({"", "keep", "none", "never"})


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    """A workspace's periods; None: kept for ever."""

    raw_payload_days: int | None = DEFAULT_RAW_PAYLOAD_DAYS
    closed_thread_text_months: int | None = DEFAULT_CLOSED_THREAD_TEXT_MONTHS
    quarantine_days: int | None = DEFAULT_QUARANTINE_DAYS

    @classmethod
    def checked(cls, values: Mapping[str, object]) -> RetentionSettings:
        """Settings from what a person gave (numbers, or words from the page or the command
        line); a value that is not a whole number of days or months within the bounds is
        refused naming its field. Fields not given keep the defaults."""
        unknown = sorted(set(values) - set(FIELDS))
        if unknown:
            raise ConfigurationError(unknown[0], f"not a retention setting; one of {list(FIELDS)}")
        given = {name: checked_period(name, values[name]) for name in FIELDS if name in values}
        return cls(**given)

    def as_dict(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in FIELDS}

    def cutoffs(self, now: datetime) -> RetentionCutoffs:
        """Before which instant each kind of thing is due, at `now`."""
        return RetentionCutoffs(
            raw_payloads=_days_before(now, self.raw_payload_days),
            closed_threads=_months_before(now, self.closed_thread_text_months),
            quarantined=_days_before(now, self.quarantine_days),
        )


def checked_period(name: str, value: object) -> int | None:
    """A number of days or months from 1 to the field's bound; None for "keep"."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in KEEP_WORDS:
            return None
        if not text.isdigit():
            raise ConfigurationError(name, f"expected a whole number or 'keep', got {value[:40]!r}")
        number = int(text[:12])
    elif isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(name, f"expected a whole number or null, got {value!r}"[:120])
    else:
        number = value
    longest = _LONGEST[name]
    if not 1 <= number <= longest:
        raise ConfigurationError(name, f"must be between 1 and {longest}, got {number}")
    return number


@dataclass(frozen=True, slots=True)
class RetentionCutoffs:
    """What was stored (raw payloads, quarantine) or resolved (threads) before these
    instants is due; None: nothing of that kind is ever due."""

    raw_payloads: datetime | None
    closed_threads: datetime | None
    quarantined: datetime | None


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What a pass removed (or, dry, would remove), counted."""

    raw_payloads: int = 0
    closed_threads: int = 0
    closed_messages: int = 0
    quarantined: int = 0

    def __add__(self, other: RetentionReport) -> RetentionReport:
        return RetentionReport(
            self.raw_payloads + other.raw_payloads,
            self.closed_threads + other.closed_threads,
            self.closed_messages + other.closed_messages,
            self.quarantined + other.quarantined,
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "raw_payloads": self.raw_payloads,
            "closed_threads": self.closed_threads,
            "closed_messages": self.closed_messages,
            "quarantined": self.quarantined,
        }


@dataclass(frozen=True, slots=True)
class RetentionRun:
    """A pass as recorded: when, by what, and what it removed."""

    started_at: datetime
    finished_at: datetime
    run_by: str
    removed: RetentionReport


def _days_before(now: datetime, days: int | None) -> datetime | None:
    return None if days is None else now - timedelta(days=days)


def _months_before(now: datetime, months: int | None) -> datetime | None:
    """The same day of the month `months` earlier (the month's last day when it is shorter):
    "24 months" means what a person reads in it, not 730 days."""
    if months is None:
        return None
    month_index = now.year * 12 + (now.month - 1) - months
    year, month = divmod(month_index, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)
