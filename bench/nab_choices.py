"""Each design choice of the outage detector, against its alternatives, out of sample.

    python bench/nab_choices.py [--data ../shared/data/nab]

Every variant changes one step of the detector (routing/signals) and runs online over the
count series at hand: the five realTweets series (DEV) and the extra series that count events
(bench/nab_corpus.py). Each is scored leave one series out (bench/nab_protocol.py): every
series at the threshold the plateau rule chose on the others, the sum normalised over the set.
Beside it: the same over DEV alone, and the flatness of the score against the threshold: the
most any profile loses over the count series when a threshold anywhere from 0.35 to 0.65 moves
by up to 0.05. A choice is kept unless an alternative scores more than a point higher out of
sample on the standard profile while keeping that loss under 3 points. The shipped design and
the one before it also run over the continuous series, as a check that nothing breaks (false
alarms outside the labelled windows, per 30 days).

The last lines are the figures, one a line.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.nab_corpus import SeriesFile, default_corpus_dir, load_corpus
from bench.nab_protocol import (
    Tabled,
    choose,
    leave_one_out,
    plateau,
    plateau_loss,
    tabled,
    windows_of,
)
from routing.signals import BaselineSettings, DetectorSettings, SignalDetector
from routing.signals.baseline import SeasonalBaseline
from routing.signals.decay import retention
from routing.signals.rarity import EvidenceTail

Factory = Callable[[DetectorSettings], SignalDetector]


@dataclass(frozen=True)
class Variant:
    step: str
    name: str
    settings: Callable[[DetectorSettings], DetectorSettings] = lambda s: s
    factory: Factory = SignalDetector


# Alternative steps, each a subclass that changes one method.


class _OverallOnly(SeasonalBaseline):
    def profile(self, at: datetime) -> float:
        return self.overall.mean


class _HourOfDayOnly(SeasonalBaseline):
    def profile(self, at: datetime) -> float:
        day = self.daily[self._local(at).hour]
        prior = self.settings.buckets_per_hour
        weight = day.weight_at(at)
        return (day.mean * weight + self.overall.mean * prior) / (weight + prior)


class _NoRecentLevel(SeasonalBaseline):
    def expected(self, at: datetime) -> float:
        return self.profile(at)


def _with_baseline(kind: type[SeasonalBaseline]) -> Factory:
    def make(settings: DetectorSettings) -> SignalDetector:
        detector = SignalDetector(settings)
        detector.baseline = kind(settings.baseline)
        return detector

    return make


class _Poisson(SignalDetector):
    def dispersion_at(self, expected: float) -> float:
        return 0.0


class _FixedTail(EvidenceTail):
    """The tail of a right count model, never learned from the series."""

    def add(self, at: datetime, evidence: float) -> None:
        self.last = at


def _fixed_tail(settings: DetectorSettings) -> SignalDetector:
    detector = SignalDetector(settings)
    detector.tail = _FixedTail(
        settings.tail_memory,
        settings.peak_level,
        prior_buckets=detector.buckets_per_day,
        prior_peaks=settings.prior_peaks,
    )
    return detector


class _FadingScore(SignalDetector):
    """The score before: a run starts when the strength reaches 0.5; its first bucket carries
    the strength whole, the later ones the strength fading within five minutes."""

    def report(self, at: datetime, strength: float) -> float:
        if self.abnormal_since is None and strength >= 0.5:
            self.abnormal_since = at
        elif self.abnormal_since is not None and strength < 0.25:
            self.abnormal_since = None
        if self.abnormal_since is None:
            return strength
        return strength * retention(at - self.abnormal_since, timedelta(minutes=5))


def _scales(count: int, first: int = 0) -> Callable[[DetectorSettings], DetectorSettings]:
    scales = tuple(timedelta(minutes=15 * 4**k) for k in range(first, count))
    return lambda s: replace(s, scales=scales)


def _baseline(**changes: timedelta) -> Callable[[DetectorSettings], DetectorSettings]:
    return lambda s: replace(s, baseline=replace(s.baseline, **changes))


def _set(**changes: object) -> Callable[[DetectorSettings], DetectorSettings]:
    return lambda s: replace(s, **changes)  # type: ignore[arg-type]


SHIPPED = Variant("shipped", "as shipped (routing/signals)")
BEFORE = Variant(
    "before",
    "the design before: fading score, 30-day tail",
    _set(tail_memory=timedelta(days=30)),
    _FadingScore,
)
VARIANTS = (
    SHIPPED,
    BEFORE,
    Variant("baseline", "whole-series level only", factory=_with_baseline(_OverallOnly)),
    Variant("baseline", "hour of day, no hour of week", factory=_with_baseline(_HourOfDayOnly)),
    Variant("baseline", "no recent level", factory=_with_baseline(_NoRecentLevel)),
    Variant("baseline", "recent level over 3 h", _baseline(level_memory=timedelta(hours=3))),
    Variant("baseline", "recent level over 48 h", _baseline(level_memory=timedelta(hours=48))),
    Variant("evidence", "Poisson counts (no overdispersion)", factory=_Poisson),
    Variant("evidence", "learned unclipped", _set(learn_clip_sd=math.inf)),
    Variant("evidence", "learned clipped at 3 sd", _set(learn_clip_sd=3.0)),
    Variant("stretches", "the bucket alone", _scales(0)),
    Variant("stretches", "up to 1 h", _scales(2)),
    Variant("stretches", "up to 4 h", _scales(3)),
    Variant("stretches", "up to 64 h", _scales(5)),
    Variant("stretches", "1 h to 16 h (no 15 min)", _scales(4, first=1)),
    Variant("calibration", "a right model's tail, not learned", factory=_fixed_tail),
    Variant("calibration", "tail memory 30 days", _set(tail_memory=timedelta(days=30))),
    Variant("calibration", "tail memory 7 days", _set(tail_memory=timedelta(days=7))),
    Variant("calibration", "rarity over 7 days", _set(rarity_horizon=timedelta(days=7))),
    Variant("calibration", "rarity over 90 days", _set(rarity_horizon=timedelta(days=90))),
    Variant("score", "fading after the run's first bucket", factory=_FadingScore),
    Variant("score", "rungs of 0.1", _set(rungs=10)),
    Variant("score", "rungs of 0.5", _set(rungs=2)),
)


def run(variant: Variant, series: Sequence[SeriesFile]) -> dict[str, list[float]]:
    scores = {}
    for one in series:
        stamps = [datetime.fromisoformat(t) for t in one.timestamps]
        width = stamps[1] - stamps[0]
        settings = variant.settings(DetectorSettings(baseline=BaselineSettings(bucket=width)))
        detector = variant.factory(settings)
        row_scores, previous = [], None
        for at, value in zip(stamps, one.values(), strict=True):
            if previous is not None and at <= previous:  # a clock change: not a bucket
                row_scores.append(0.0)
                continue
            row_scores.append(detector.update(at, value).score)
            previous = at
        scores[one.name] = row_scores
    return scores


def false_alarms_per_30_days(
    scores: dict[str, list[float]], series: Sequence[SeriesFile], threshold: float
) -> float:
    alarms, days = 0, 0.0
    for one in series:
        inside = {row for w in one.windows for row in range(w.first, w.last + 1)}
        alarms += sum(
            1 for row, s in enumerate(scores[one.name]) if s >= threshold and row not in inside
        )
        first, last = (datetime.fromisoformat(one.timestamps[i]) for i in (0, -1))
        days += (last - first) / timedelta(days=1)
    return 30 * alarms / days


def main(arguments: argparse.Namespace) -> None:
    corpus = load_corpus(arguments.data)
    counts = corpus.count_series
    names = [s.name for s in counts]
    dev = [s.name for s in corpus.files]
    profiles = list(corpus.profiles)
    print(f"{len(names)} count series, each scored at the threshold chosen on the others")
    head = "".join(f"{'LOO ' + p:>26s}" for p in profiles)
    print(f"{'step':12s}{'variant':42s}{head}{'DEV LOO std':>13s}{'+-0.05 loss':>13s}")
    print(f"{'':54s}{'':78s}{'':13s}{'0.35..0.65':>13s}")
    results: dict[str, tuple[Tabled, dict[str, float]]] = {}
    losses: dict[str, float] = {}
    started = time.perf_counter()
    for variant in VARIANTS:
        scored = tabled(run(variant, counts), windows_of(counts), corpus.profiles)
        loo = leave_one_out(scored, names, plateau).figures
        dev_loo = leave_one_out(scored, dev, plateau).figures["standard"]
        loss = max(plateau_loss(scored, names, t / 100) for t in range(35, 66))
        figures = "".join(f"{loo[p]:26.2f}" for p in profiles)
        print(f"{variant.step:12s}{variant.name:42s}{figures}{dev_loo:13.2f}{loss:13.2f}")
        results[variant.name] = (scored, loo)
        losses[variant.name] = loss
    print(f"({time.perf_counter() - started:.0f} s)")

    continuous = corpus.extra_continuous
    alarms = {}
    for variant in (SHIPPED, BEFORE):
        scored = results[variant.name][0]
        threshold = choose(scored, dev, plateau)["standard"]
        alarms[variant.name] = false_alarms_per_30_days(
            run(variant, continuous), continuous, threshold
        )
        print(
            f"{variant.name}: {len(continuous)} continuous series, false alarms per 30 days "
            f"at its DEV threshold {threshold:.3f}: {alarms[variant.name]:.2f}"
        )
    print()
    for variant in VARIANTS:
        key = f"{variant.step}_{variant.name}".lower()
        key = "".join(c if c.isalnum() else "_" for c in key).strip("_")
        while "__" in key:
            key = key.replace("__", "_")
        print(f"choice_loo_standard_{key}: {results[variant.name][1]['standard']:.2f}")
    for variant in (SHIPPED, BEFORE):
        print(f"choice_plateau_loss_{variant.step}: {losses[variant.name]:.2f}")
    print(f"choice_continuous_false_alarms_per_30_days_shipped: {alarms[SHIPPED.name]:.2f}")
    print(f"choice_continuous_false_alarms_per_30_days_before: {alarms[BEFORE.name]:.2f}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_corpus_dir())
    arguments = parser.parse_args(argv)
    if not (arguments.data / "windows.json").is_file():
        parser.error(f"no NAB data in {arguments.data} (set --data or INBOX_SHARED_DATA)")
    return arguments


if __name__ == "__main__":
    main(parse_args())
