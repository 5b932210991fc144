"""A weekly calendar's open time as sorted arrays, so that a deadline is a binary search.

Without pauses, a deadline is the instant at which the open time counted from the start
reaches the budget. Over a block of `BLOCK_DAYS` local dates, the calendar's segments (exactly
those its walk meets, day after day, in that order) are kept as UTC instants with the running
total of open time; a deadline is then one bisection for the segment the start lies in and one
for the segment where the budget runs out, instead of a walk over the days with their dates,
zones and generators. The arithmetic is the walk's, on the same instants and durations, so the
answer is the walk's to the microsecond and in the same time zone. UTC instants compare
without consulting their zone, which is what makes the bisections cheap.

The walk begins on the local date before the start's. That local date comes from the start's
UTC date and the zone's offset on that day, kept per UTC day once the offset is found to be
the same at each hour of it (no zone keeps an offset for less than an hour; the days of a DST
change are converted each time).

Blocks are built on first use and kept per calendar (bounded). Wherever the arrays could
answer otherwise than the walk, they do not answer and the caller walks: segments out of
order (an odd DST transition can make two days' segments overlap), a budget running past
`MOST_BLOCKS` blocks (long closures are the walk's to refuse), a naive start, or a start near
the ends of the calendar's dates.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]

BLOCK_DAYS = 32  # building one costs about as much as thirty walked deadlines
MOST_BLOCKS = 12  # about a year: a budget not used up by then is left to the walk
BLOCKS_KEPT = 256  # per calendar: twenty years of blocks
DAYS_KEPT = 20_000  # UTC days whose offset is known, per calendar
# Starts outside these years are walked: no block ever reaches the ends of `date`.
FIRST_YEAR, LAST_YEAR = 1900, 9000

_ZERO = timedelta()
_HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class _Block:
    day_starts: tuple[int, ...]  # per date of the block, the index of its first segment
    opens: list[datetime]  # UTC
    closes: list[datetime]
    through: list[timedelta]  # open time from the block's first segment to the end of each
    in_order: bool  # each segment opens at or after the previous one closes


def _build(first_day: date, segments_of: Callable[[date], list[Interval]]) -> _Block:
    day_starts: list[int] = []
    opens: list[datetime] = []
    closes: list[datetime] = []
    through: list[timedelta] = []
    total, in_order = _ZERO, True
    for offset in range(BLOCK_DAYS):
        day_starts.append(len(opens))
        for start, end in segments_of(first_day + timedelta(days=offset)):
            start, end = start.astimezone(UTC), end.astimezone(UTC)
            if closes and start < closes[-1]:
                in_order = False
            total += end - start
            opens.append(start)
            closes.append(end)
            through.append(total)
    return _Block(tuple(day_starts), opens, closes, through, in_order)


class OpenTimeIndex:
    """The blocks of one calendar; `segments_of` gives the open segments of a local date."""

    def __init__(
        self,
        zone: ZoneInfo,
        segments_of: Callable[[date], list[Interval]],
        always_open: bool = False,
    ) -> None:
        self._zone = zone
        self._always_open = always_open
        self._segments_of = segments_of
        self._blocks: dict[int, _Block] = {}
        self._offsets: dict[int, timedelta | None] = {}  # None: it changes that day

    def _block(self, number: int) -> _Block:
        block = self._blocks.get(number)
        if block is None:
            if len(self._blocks) >= BLOCKS_KEPT:
                self._blocks.clear()
            first_day = date.fromordinal(number * BLOCK_DAYS)
            block = self._blocks[number] = _build(first_day, self._segments_of)
        return block

    def _local_ordinal(self, utc: datetime) -> int:
        """`utc.astimezone(zone).toordinal()`, without converting on most days."""
        day = utc.toordinal()
        if day in self._offsets:
            offset = self._offsets[day]
        else:
            midnight = datetime.combine(utc.date(), datetime.min.time(), UTC)
            found = {(midnight + n * _HOUR).astimezone(self._zone).utcoffset()
                     for n in range(25)}  # fmt: skip
            if len(self._offsets) >= DAYS_KEPT:
                self._offsets.clear()
            offset = self._offsets[day] = found.pop() if len(found) == 1 else None
        if offset is None:
            return utc.astimezone(self._zone).toordinal()
        return (utc + offset).toordinal()

    def deadline(self, start: datetime, budget: timedelta) -> datetime | None:
        """The instant the walk gives for a positive budget; None where the walk must answer
        (see the module's docstring)."""
        if self._always_open:
            return start + budget  # as `deadlines` answers for a calendar that never closes
        if start.tzinfo is None or not FIRST_YEAR <= start.year <= LAST_YEAR:
            return None
        utc = start if start.tzinfo is UTC else start.astimezone(UTC)
        # The walk begins the day before the start's local date (see open_intervals).
        number, offset = divmod(self._local_ordinal(utc) - 1, BLOCK_DAYS)
        block = self._blocks.get(number) or self._block(number)
        opens, through = block.opens, block.through
        # The first segment closing after `start` (from the walk's first date on), and the
        # block's open time before `start`: counted from `start`, the open time to the end of
        # segment k is `through[k] - skipped`.
        first = bisect_right(block.closes, utc, block.day_starts[offset])
        if not block.in_order or first == len(through):
            return self._later_blocks(number, block, start, utc, budget, _ZERO)
        skipped = (through[first - 1] if first else _ZERO) + max(utc - opens[first], _ZERO)
        k = bisect_left(through, budget + skipped, first)
        if k == len(through):
            return self._later_blocks(number, block, start, utc, budget, through[-1] - skipped)
        if k == first and utc > opens[k]:
            return start + budget  # used up in the segment the start lies in
        return opens[k] + (budget + skipped - (through[k - 1] if k else _ZERO))

    def _later_blocks(
        self,
        number: int,
        block: _Block,
        start: datetime,
        utc: datetime,
        budget: timedelta,
        carried: timedelta,
    ) -> datetime | None:
        """`deadline` when the budget outlasts the start's block (number `number`);
        `carried` the open time counted in it."""
        if not block.in_order:
            return None
        last_close = block.closes[-1] if block.closes else None
        for step in range(1, MOST_BLOCKS):
            block = self._blocks.get(number + step) or self._block(number + step)
            opens, through = block.opens, block.through
            if not block.in_order or (opens and last_close is not None and opens[0] < last_close):
                return None
            first = bisect_right(block.closes, utc)
            if first < len(through):
                skipped = (through[first - 1] if first else _ZERO) + max(utc - opens[first], _ZERO)
                k = bisect_left(through, budget - carried + skipped, first)
                if k < len(through):
                    if k == first and utc > opens[k]:
                        return start + budget  # used up in the segment the start lies in
                    before = through[k - 1] if k else _ZERO
                    return opens[k] + (budget - carried - before + skipped)
                carried += through[-1] - skipped
            if block.closes:
                last_close = block.closes[-1]
        return None
