"""The online outage-signal detector: one per count series, constant memory, no look-ahead."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from routing.signals.baseline import BaselineSettings, SeasonalBaseline
from routing.signals.decay import DecayedSums, retention
from routing.signals.evidence import excess_evidence
from routing.signals.rarity import EvidenceTail


@dataclass(frozen=True, slots=True)
class Signal:
    """A bucket's verdict, with what explains it.

    - `observed` and `expected`: the bucket's count and what the baseline expected of it.
    - `evidence`: nats of evidence that recent counts exceed the baseline, strongest over
      `stretch` (None: the bucket alone; else about that much recent time), where
      `stretch_observed` counts were seen against `stretch_expected`.
    - `strength` in [0, 1]: the chance that a normal month of this series holds no evidence
      this strong (its own past evidence tells how often strong evidence comes by chance).
    - `score` in [0, 1]: the strength as news. A run of abnormal buckets reports its strength
      on the bucket where it first climbs into each quarter of the scale (0.25, 0.5, 0.75);
      its other buckets score 0. Whatever the threshold, the first bucket of a run whose
      strength reaches it is reported (within a quarter), and an outage raises at most a few
      alerts, not one every bucket.
    - `abnormal_since`: the first bucket of the abnormal run this bucket belongs to (its
      strength reached the run level, a quarter, and has not fallen below it since), None
      when the series is normal.
    """

    at: datetime
    observed: float
    expected: float
    evidence: float
    stretch: timedelta | None
    stretch_observed: float
    stretch_expected: float
    strength: float
    score: float
    abnormal_since: datetime | None

    @property
    def abnormal(self) -> bool:
        return self.abnormal_since is not None

    def explain(self) -> str:
        verdict = (
            f"abnormal since {self.abnormal_since.isoformat()}"
            if self.abnormal_since is not None
            else "normal"
        )
        where = (
            ""
            if self.stretch is None
            else f"; over about the last {_duration(self.stretch)}, "
            f"{self.stretch_observed:.0f} against {self.stretch_expected:.1f}"
        )
        return (
            f"{self.observed:g} observed against {self.expected:.2f} expected{where} "
            f"(evidence {self.evidence:.1f} nats, strength {self.strength:.2f}, "
            f"score {self.score:.2f}): {verdict}"
        )


def _duration(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    baseline: BaselineSettings = field(default_factory=BaselineSettings)
    # Besides the bucket alone, evidence is weighed over recent stretches from a quarter of an
    # hour to most of a day, four times longer each: a burst shows in one bucket, a swelling
    # only in the sum of many.
    scales: tuple[timedelta, ...] = tuple(timedelta(minutes=15 * 4**k) for k in range(4))
    # The strength is the chance that this long a stretch of normal buckets holds no evidence
    # as strong, judged from the series' own evidence over about `tail_memory`.
    rarity_horizon: timedelta = timedelta(days=30)
    # The evidence's tail is learned from about the last two weeks: long enough to hold a few
    # dozen peaks, short enough that the first days (learned against a baseline still
    # forming) are forgotten soon (bench/nab_choices.py: "tail memory").
    tail_memory: timedelta = timedelta(days=14)
    peak_level: float = 3.0  # nats; runs of evidence above it are the peaks the tail is fit on
    prior_peaks: float = 3.0  # the assumed tail counts as this many peaks over a day
    dispersion_memory: timedelta = timedelta(days=7)
    # Until the series has shown its own, counts wander as much as a rate known within 30%.
    prior_dispersion: float = 0.1
    # A bucket beyond this many standard deviations above expected is learned as if it held
    # only that much: an outage must not teach the baseline that outages are normal.
    learn_clip_sd: float = 4.0
    # A run of abnormal buckets lasts while the strength stays at or above this level; it
    # reports its strength once per rung of the scale it climbs to (quarters: 0.25, 0.5,
    # 0.75), so an alert threshold anywhere between two rungs sees the run when its strength
    # gets there, and one outage is a few alerts at most, not one every bucket.
    run_level: float = 0.25
    rungs: int = 4
    # A series younger than this has no baseline worth comparing with: it learns, silent.
    warmup: timedelta = timedelta(days=1)

    def __post_init__(self) -> None:
        if not 0.0 < self.run_level < 1.0:
            raise ValueError("the run level is a strength in (0, 1)")
        if self.rungs < 1:
            raise ValueError("the score needs at least one rung")


@dataclass(slots=True)
class _Dispersion:
    """Method-of-moments overdispersion: E[(x - e)^2 - e] / E[e^2], recent buckets weighing more."""

    memory: timedelta
    prior: float
    excess_variance: float = 0.0
    squared_mean: float = 0.0
    last: datetime | None = None

    def value(self, prior_weight: float) -> float:
        numerator = self.excess_variance + self.prior * prior_weight
        return max(0.0, numerator / (self.squared_mean + prior_weight))

    def add(self, at: datetime, observed: float, expected: float) -> None:
        keep = 0.0 if self.last is None else retention(at - self.last, self.memory)
        self.excess_variance = self.excess_variance * keep + (observed - expected) ** 2 - expected
        self.squared_mean = self.squared_mean * keep + expected**2
        self.last = at


@dataclass(slots=True)
class SignalDetector:
    """Feed it each closed bucket's count, in time order; it answers with the bucket's Signal.

    A bucket's signal depends only on that bucket and those before it. Buckets that never
    came (a gap in the timestamps) are not assumed empty: the past just fades with the time.

    `update` runs four steps, each a method: `expected` (the baseline), `evidence` (how much
    more than expected, over the bucket and the recent stretches), `strength` (how rare that
    evidence is for this series) and `report` (the strength as news). The benchmark that
    validates each choice (bench/nab_choices.py) swaps one step at a time.
    """

    settings: DetectorSettings = field(default_factory=DetectorSettings)
    baseline: SeasonalBaseline = field(init=False)
    recent: list[DecayedSums] = field(init=False)
    dispersion: _Dispersion = field(init=False)
    tail: EvidenceTail = field(init=False)
    first: datetime | None = None
    last: datetime | None = None
    abnormal_since: datetime | None = None
    reported_rung: int = -1  # the highest rung the current run has reported
    empty_until: datetime | None = None  # assumed empty from `first` until the first bucket

    def __post_init__(self) -> None:
        self.baseline = SeasonalBaseline(self.settings.baseline)
        self.recent = [DecayedSums(scale) for scale in self.settings.scales]
        self.dispersion = _Dispersion(
            self.settings.dispersion_memory, self.settings.prior_dispersion
        )
        self.tail = EvidenceTail(
            self.settings.tail_memory,
            self.settings.peak_level,
            prior_buckets=self.buckets_per_day,
            prior_peaks=self.settings.prior_peaks,
        )

    def assume_empty_since(self, at: datetime) -> None:
        """The series held nothing since `at`, before its first bucket came: it needs no
        warm-up of its own (a slice of complaints counted from its first one, in a workspace
        watched since `at`), and its baseline learns that silence when the first bucket
        comes (before: it would take its first count for its usual level)."""
        if self.first is not None:
            return
        self.first = at
        self.empty_until = at

    @property
    def buckets_per_day(self) -> float:
        return 24 * self.settings.baseline.buckets_per_hour

    def update(self, at: datetime, observed: float) -> Signal:
        if self.last is not None:
            if (at.tzinfo is None) != (self.last.tzinfo is None):
                raise ValueError("a series' timestamps must all carry a time zone, or none")
            if at <= self.last:
                raise ValueError(f"bucket {at.isoformat()} is not after {self.last.isoformat()}")
        if not math.isfinite(observed) or observed < 0:
            raise ValueError(f"a bucket's count must be finite and not negative: {observed!r}")
        if self.first is None:
            self.first = at
        if self.empty_until is not None:
            self.baseline.assume_empty(self.first, at)
            self.empty_until = None
        expected = self.expected(at)
        dispersion = self.dispersion_at(expected)
        evidence, stretch = self.evidence(at, observed, expected, dispersion)
        strength = self.strength(evidence) if at - self.first >= self.settings.warmup else 0.0
        self.tail.add(at, evidence)
        score = self.report(at, strength)
        spread = math.sqrt(expected + dispersion * expected**2)
        learned = min(observed, expected + self.settings.learn_clip_sd * spread)
        self.dispersion.add(at, learned, expected)
        self.baseline.learn(at, learned)
        self.last = at
        return Signal(
            at, observed, expected, evidence, *stretch, strength, score, self.abnormal_since
        )

    def expected(self, at: datetime) -> float:
        """What the bucket should hold. Never less than one event a day: the first complaint
        after a silent week is worth noting, not an alarm on its own."""
        return max(self.baseline.expected(at), 1.0 / self.buckets_per_day)

    def dispersion_at(self, expected: float) -> float:
        # The assumed dispersion weighs as much as a day of buckets at this level.
        return self.dispersion.value(prior_weight=self.buckets_per_day * expected**2)

    def evidence(
        self, at: datetime, observed: float, expected: float, dispersion: float
    ) -> tuple[float, tuple[timedelta | None, float, float]]:
        """The strongest evidence over the bucket alone and the recent stretches, and where."""
        evidence = excess_evidence(observed, expected, dispersion)
        stretch: tuple[timedelta | None, float, float] = (None, observed, expected)
        for sums in self.recent:
            sums.add(at, observed, expected)
            # A sum of n buckets wanders relatively less than one: its dispersion is 1/n.
            over_stretch = excess_evidence(sums.observed, sums.expected, dispersion / sums.buckets)
            if over_stretch > evidence:
                evidence = over_stretch
                stretch = (sums.time_constant, sums.observed, sums.expected)
        return evidence, stretch

    def strength(self, evidence: float) -> float:
        """The chance that `rarity_horizon` of normal buckets holds no evidence as strong."""
        horizon = self.settings.rarity_horizon / self.settings.baseline.bucket
        return math.exp(-horizon * self.tail.exceedance(evidence))

    def report(self, at: datetime, strength: float) -> float:
        """The score: the strength on the buckets where the run climbs to a new rung."""
        settings = self.settings
        if strength < settings.run_level:
            self.abnormal_since = None
            return strength
        if self.abnormal_since is None:
            self.abnormal_since = at
            self.reported_rung = -1
        rung = min(math.floor(strength * settings.rungs), settings.rungs - 1)
        if rung <= self.reported_rung:
            return 0.0
        self.reported_rung = rung
        return strength
