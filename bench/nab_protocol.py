"""Choosing a detector's threshold, and scoring it on series it was not chosen on.

Each series a detector scored is tabled once per profile (`score_by_threshold`: its raw NAB
score at every threshold); every figure below is read from those tables.

Two rules choose a threshold on a set of series:
- `nab_best`: the threshold that maximises their summed score, as NAB chose the thresholds of
  `thresholds.json` (searched exactly over every distinct anomaly score);
- `plateau`: a threshold in the middle of a plateau, not on a peak. For each threshold t of a
  grid (0.10 to 0.90 by 0.005), its worst summed score within t +- 0.05; the thresholds whose
  worst is within three normalised points of the best worst form stretches of the grid; the
  middle of the widest stretch is chosen. A threshold so chosen can be moved by 0.05 either
  way at little cost, on the series it was chosen on.

`leave_one_out` scores each series of a set at the threshold a rule chose on the others, and
normalises the sum over the set: a figure of the detector and its threshold rule together, out
of sample.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bench.nab_corpus import SeriesFile
from bench.nab_scoring import (
    CostMatrix,
    FileScore,
    Window,
    best_of_tables,
    normalised,
    score_at,
    score_by_threshold,
)

PLATEAU_HALF_WIDTH = 0.05
PLATEAU_TOLERANCE_POINTS = 3.0
_GRID_STEP = 0.005
PLATEAU_GRID = tuple(round(_GRID_STEP * i, 3) for i in range(20, 181))  # 0.10 .. 0.90
# The thresholds a reader is shown the figures at: 0.30 to 0.70 by 0.025.
SWEEP = tuple(round(0.30 + 0.025 * i, 3) for i in range(17))

Table = Sequence[FileScore]
# A rule: (the training series' tables, the profile, their number of windows) -> threshold.
ThresholdRule = Callable[[Sequence[Table], CostMatrix, int], float]


@dataclass(frozen=True)
class Tabled:
    """One detector's anomaly scores over some series, tabled per profile."""

    profiles: Mapping[str, CostMatrix]
    tables: Mapping[str, Mapping[str, Table]]  # profile -> series name -> table
    windows: Mapping[str, int]  # series name -> number of labelled windows

    def raw(self, profile: str, names: Sequence[str], threshold: float) -> float:
        return sum(score_at(self.tables[profile][n], threshold).score for n in names)

    def figure(self, profile: str, names: Sequence[str], threshold: float) -> float:
        """The normalised score over `names` at one threshold (100 perfect, 0 null)."""
        counts = [self.windows[n] for n in names]
        return normalised(self.raw(profile, names, threshold), counts, self.profiles[profile])

    def figures(self, names: Sequence[str], threshold: float) -> dict[str, float]:
        return {p: self.figure(p, names, threshold) for p in self.profiles}

    def figures_per_profile(
        self, names: Sequence[str], thresholds: Mapping[str, float]
    ) -> dict[str, float]:
        return {p: self.figure(p, names, thresholds[p]) for p in self.profiles}


def tabled(
    scores: Mapping[str, Sequence[float]],
    windows: Mapping[str, Sequence[Window]],
    profiles: Mapping[str, CostMatrix],
) -> Tabled:
    """`scores` and `windows` by series name."""
    tables = {
        profile: {n: score_by_threshold(scores[n], w, cost) for n, w in windows.items()}
        for profile, cost in profiles.items()
    }
    return Tabled(profiles, tables, {n: len(w) for n, w in windows.items()})


def windows_of(series: Sequence[SeriesFile]) -> dict[str, Sequence[Window]]:
    return {s.name: s.windows for s in series}


def nab_best(tables: Sequence[Table], cost: CostMatrix, windows: int) -> float:
    threshold, _ = best_of_tables(tables)
    return threshold


def plateau(tables: Sequence[Table], cost: CostMatrix, windows: int) -> float:
    summed = {t: sum(score_at(table, t).score for table in tables) for t in _wide_grid()}
    worst = {t: min(summed[u] for u in _around(t)) for t in PLATEAU_GRID}
    best = max(worst.values())
    # Normalised points, in raw units: the span from null to perfect is windows * (tp + fn).
    tolerance = PLATEAU_TOLERANCE_POINTS / 100.0 * windows * (cost.tp + cost.fn)
    stretches: list[list[float]] = []
    for t in PLATEAU_GRID:
        if worst[t] < best - tolerance:
            continue
        if stretches and abs(t - stretches[-1][-1] - _GRID_STEP) < 1e-9:
            stretches[-1].append(t)
        else:
            stretches.append([t])
    widest = max(stretches, key=len)
    return widest[len(widest) // 2]


def _wide_grid() -> list[float]:
    low = PLATEAU_GRID[0] - PLATEAU_HALF_WIDTH
    high = PLATEAU_GRID[-1] + PLATEAU_HALF_WIDTH
    steps = round((high - low) / _GRID_STEP)
    return [round(low + _GRID_STEP * i, 3) for i in range(steps + 1)]


def _around(threshold: float) -> list[float]:
    steps = round(PLATEAU_HALF_WIDTH / _GRID_STEP)
    return [round(threshold + _GRID_STEP * i, 3) for i in range(-steps, steps + 1)]


def choose(scored: Tabled, names: Sequence[str], rule: ThresholdRule) -> dict[str, float]:
    """Per profile, the threshold `rule` chooses on `names`."""
    windows = sum(scored.windows[n] for n in names)
    return {
        profile: rule([scored.tables[profile][n] for n in names], cost, windows)
        for profile, cost in scored.profiles.items()
    }


@dataclass(frozen=True)
class LeaveOneOut:
    figures: dict[str, float]  # profile -> normalised score over the held-out series
    thresholds: dict[str, dict[str, float]]  # profile -> held-out series -> its threshold


def leave_one_out(scored: Tabled, names: Sequence[str], rule: ThresholdRule) -> LeaveOneOut:
    figures: dict[str, float] = {}
    thresholds: dict[str, dict[str, float]] = {}
    for profile, cost in scored.profiles.items():
        raw = 0.0
        thresholds[profile] = {}
        for held_out in names:
            others = [n for n in names if n != held_out]
            windows = sum(scored.windows[n] for n in others)
            threshold = rule([scored.tables[profile][n] for n in others], cost, windows)
            thresholds[profile][held_out] = threshold
            raw += score_at(scored.tables[profile][held_out], threshold).score
        figures[profile] = normalised(raw, [scored.windows[n] for n in names], cost)
    return LeaveOneOut(figures, thresholds)


def sweep(
    scored: Tabled, names: Sequence[str], thresholds: Sequence[float] = SWEEP
) -> dict[float, dict[str, float]]:
    """The figures over `names` at each threshold."""
    return {t: scored.figures(names, t) for t in thresholds}


def plateau_loss(scored: Tabled, names: Sequence[str], threshold: float) -> float:
    """The most any profile loses when the threshold moves by up to 0.05 either way."""
    at = scored.figures(names, threshold)
    return max(
        at[p] - scored.figure(p, names, t) for p in scored.profiles for t in _around(threshold)
    )
