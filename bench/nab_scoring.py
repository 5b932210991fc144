"""NAB scoring (Lavin & Ahmad 2015), written from the paper and NAB's documented rules.

A detector's anomaly scores become detections at a threshold (score >= threshold). Each file
is scored on its own:

- The first 15% of the rows (at most 750) are a probationary period: detections there count
  for nothing, neither reward nor penalty.
- A labelled anomaly window rewards only its earliest detection, with a scaled sigmoid of the
  detection's place in the window: a detection on the window's first row earns the profile's
  full TP weight, one on its last row almost nothing. A window with no detection costs the FN
  weight.
- A detection outside every window is a false positive. Its penalty (times the FP weight)
  depends on its distance past the end of the preceding window, in window widths: just after
  a window it costs almost nothing (a late detection of that anomaly), three widths or more
  past it, or before any window, it costs the whole FP weight.

The corpus figure is the sum of the file scores normalised between the null detector (no
detection at all: every window missed) and the perfect one (every window caught on its first
row): 100 * (raw - null) / (perfect - null).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PROBATION_PERCENT = 0.15
PROBATION_CAP_ROWS = 5000  # the probationary period never exceeds 15% of 5,000 rows

# Where a row sits past a window's end, in window widths, beyond which a false positive
# costs its whole weight.
FAR_PAST_WINDOW = 3.0


@dataclass(frozen=True)
class CostMatrix:
    """One application profile's weights (profiles.json's CostMatrix)."""

    tp: float
    fp: float
    fn: float

    @classmethod
    def from_profile(cls, profile: dict[str, dict[str, float]]) -> CostMatrix:
        weights = profile["CostMatrix"]
        return cls(tp=weights["tpWeight"], fp=weights["fpWeight"], fn=weights["fnWeight"])


@dataclass(frozen=True)
class Window:
    """A labelled anomaly window as row indices, both ends included."""

    first: int
    last: int

    @property
    def width(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class FileScore:
    """A file's raw score at one threshold and its row counts after the probationary period
    (TP and FN count rows inside windows, FP and TN rows outside)."""

    threshold: float
    score: float
    tp: int
    tn: int
    fp: int
    fn: int


def probation_rows(file_rows: int) -> int:
    return int(
        min(math.floor(PROBATION_PERCENT * file_rows), PROBATION_PERCENT * PROBATION_CAP_ROWS)
    )


def scaled_sigmoid(position: float) -> float:
    """+0.987 at -1 (a window's first row), 0 at 0 (just past its last), down to -1."""
    if position > FAR_PAST_WINDOW:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def windows_from_timestamps(
    timestamps: Sequence[str], limits: Iterable[tuple[str, str]]
) -> list[Window]:
    """Row windows from windows.json's limits (which fall on rows of the file)."""
    rows = {stamp: index for index, stamp in enumerate(timestamps)}
    windows = []
    for start, end in limits:
        try:
            windows.append(Window(rows[_second(start)], rows[_second(end)]))
        except KeyError as exc:
            raise ValueError(f"window limit {exc.args[0]} is not a row of the file") from None
    return sorted(windows, key=lambda w: w.first)


def _second(stamp: str) -> str:
    """windows.json writes microseconds ('.000000'); the data files do not."""
    return stamp.split(".")[0]


@dataclass(frozen=True)
class _Row:
    """One scored row: its reward if it were a detection, and its window (None outside)."""

    window: int | None
    reward: float


def _rows(file_rows: int, windows: Sequence[Window], cost: CostMatrix) -> list[_Row]:
    best_tp = scaled_sigmoid(-1.0)
    probation = probation_rows(file_rows)
    rows: list[_Row] = []
    pending = list(enumerate(windows))
    current: tuple[int, Window] | None = None
    previous: Window | None = None
    for index in range(file_rows):
        if current is None and pending and pending[0][1].first == index:
            current = pending.pop(0)
        if current is not None:
            number, window = current
            position = -(window.last - index + 1) / window.width
            reward = scaled_sigmoid(position) * cost.tp / best_tp
            in_window: int | None = number
        else:
            if previous is None:
                unweighted = -1.0
            else:
                unweighted = scaled_sigmoid(abs(previous.last - index) / (previous.width - 1))
            reward = unweighted * cost.fp
            in_window = None
        if index >= probation:
            rows.append(_Row(in_window, reward))
        else:
            rows.append(_Row(-1, 0.0))  # probationary: neither window nor false positive
        if current is not None and index == current[1].last:
            previous = current[1]
            current = None
    return rows


def score_by_threshold(
    scores: Sequence[float], windows: Sequence[Window], cost: CostMatrix
) -> list[FileScore]:
    """The file's score at every distinct threshold, highest first: the row for threshold t
    counts every score >= t as a detection. The first row (above every score) is the null
    detector's."""
    rows = _rows(len(scores), windows, cost)
    order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)
    # A window wholly inside the probationary period is not scored at all.
    window_parts = {
        row.window: -cost.fn for row in rows if row.window is not None and row.window >= 0
    }
    false_positives = 0.0
    tp = fp = 0
    tn = sum(1 for row in rows if row.window is None)
    fn = sum(1 for row in rows if row.window is not None and row.window >= 0)
    table: list[FileScore] = []
    threshold = math.inf
    for index in order:
        if scores[index] != threshold:
            total = false_positives + math.fsum(window_parts.values())
            table.append(FileScore(threshold, total, tp, tn, fp, fn))
            threshold = scores[index]
        row = rows[index]
        if row.window is None:
            fp += 1
            tn -= 1
            false_positives += row.reward
        elif row.window >= 0:
            tp += 1
            fn -= 1
            window_parts[row.window] = max(window_parts[row.window], row.reward)
    table.append(
        FileScore(threshold, false_positives + math.fsum(window_parts.values()), tp, tn, fp, fn)
    )
    return table


def score_file(
    scores: Sequence[float], windows: Sequence[Window], cost: CostMatrix, threshold: float
) -> FileScore:
    """The file's score when every anomaly score >= threshold is a detection."""
    return score_at(score_by_threshold(scores, windows, cost), threshold)


def score_at(table: Sequence[FileScore], threshold: float) -> FileScore:
    """From a file's `score_by_threshold` table: its score at `threshold` (the last row whose
    threshold is at or above it, found by bisection)."""
    low, high = 0, len(table)  # table[0] (infinite threshold) always qualifies
    while high - low > 1:
        middle = (low + high) // 2
        if table[middle].threshold >= threshold:
            low = middle
        else:
            high = middle
    row = table[low]
    return FileScore(threshold, row.score, row.tp, row.tn, row.fp, row.fn)


def null_score(windows_per_file: Iterable[int], cost: CostMatrix) -> float:
    return -cost.fn * sum(windows_per_file)


def perfect_score(windows_per_file: Iterable[int], cost: CostMatrix) -> float:
    return cost.tp * sum(windows_per_file)


def normalised(raw: float, windows_per_file: Sequence[int], cost: CostMatrix) -> float:
    """100 for the perfect detector, 0 for the null one, over the same files."""
    low = null_score(windows_per_file, cost)
    high = perfect_score(windows_per_file, cost)
    return 100.0 * (raw - low) / (high - low)


def best_threshold(
    files: Sequence[tuple[Sequence[float], Sequence[Window]]], cost: CostMatrix
) -> tuple[float, float]:
    """(threshold, summed raw score) maximising the corpus score, searched exactly over every
    distinct anomaly score of every file (NAB itself climbs towards it)."""
    return best_of_tables([score_by_threshold(s, w, cost) for s, w in files])


def best_of_tables(tables: Iterable[Sequence[FileScore]]) -> tuple[float, float]:
    """`best_threshold` over files already tabled by `score_by_threshold`."""
    changes: dict[float, float] = {}
    base = 0.0
    for table in tables:
        base += table[0].score
        for before, after in itertools.pairwise(table):
            changes[after.threshold] = changes.get(after.threshold, 0.0) + (
                after.score - before.score
            )
    best = (math.inf, base)
    running = base
    for threshold in sorted(changes, reverse=True):
        running += changes[threshold]
        if running > best[1]:
            best = (threshold, running)
    return best
