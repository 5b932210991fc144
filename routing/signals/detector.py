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
    - `score` in [0, 1]: the strength as news. The first bucket of an abnormal run carries it
      whole; later buckets of the same run carry it fading within minutes, so that one outage
      raises one alert. An alert threshold of 0.5 is the natural one.
    - `abnormal_since`: the first bucket of the abnormal run this bucket belongs to (its
      strength reached the alert level then and has not fallen below the settle level since),
      None when the series is normal.
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
    tail_memory: timedelta = timedelta(days=30)
    peak_level: float = 3.0  # nats; runs of evidence above it are the peaks the tail is fit on
    prior_peaks: float = 3.0  # the assumed tail counts as this many peaks over a day
    alert_score: float = 0.5
    dispersion_memory: timedelta = timedelta(days=7)
    # Until the series has shown its own, counts wander as much as a rate known within 30%.
    prior_dispersion: float = 0.1
    # A bucket beyond this many standard deviations above expected is learned as if it held
    # only that much: an outage must not teach the baseline that outages are normal.
    learn_clip_sd: float = 4.0
    # An abnormal run lasts while the strength stays above this; the score it reports fades
    # with the run's age, so that one outage is one alert, not one every bucket.
    settle_score: float = 0.25
    freshness: timedelta = timedelta(minutes=5)
    # A series younger than this has no baseline worth comparing with: it learns, silent.
    warmup: timedelta = timedelta(days=1)


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
    """

    settings: DetectorSettings = field(default_factory=DetectorSettings)
    baseline: SeasonalBaseline = field(init=False)
    recent: list[DecayedSums] = field(init=False)
    dispersion: _Dispersion = field(init=False)
    tail: EvidenceTail = field(init=False)
    first: datetime | None = None
    last: datetime | None = None
    abnormal_since: datetime | None = None

    def __post_init__(self) -> None:
        self.baseline = SeasonalBaseline(self.settings.baseline)
        self.recent = [DecayedSums(scale) for scale in self.settings.scales]
        self.dispersion = _Dispersion(
            self.settings.dispersion_memory, self.settings.prior_dispersion
        )
        per_day = 24 * self.settings.baseline.buckets_per_hour
        self.tail = EvidenceTail(
            self.settings.tail_memory,
            self.settings.peak_level,
            prior_buckets=per_day,
            prior_peaks=self.settings.prior_peaks,
        )

    def update(self, at: datetime, observed: float) -> Signal:
        if self.last is not None:
            if (at.tzinfo is None) != (self.last.tzinfo is None):
                raise ValueError("a series' timestamps must all carry a time zone, or none")
            if at <= self.last:
                raise ValueError(f"bucket {at.isoformat()} is not after {self.last.isoformat()}")
        if not math.isfinite(observed) or observed < 0:
            raise ValueError(f"a bucket's count must be finite and not negative: {observed!r}")
        settings = self.settings
        buckets_per_day = 24 * settings.baseline.buckets_per_hour
        # Never expect less than one event a day: the first complaint after a silent week is
        # worth noting, not an alarm on its own.
        expected = max(self.baseline.expected(at), 1.0 / buckets_per_day)
        # The assumed dispersion weighs as much as a day of buckets at this level.
        dispersion = self.dispersion.value(prior_weight=buckets_per_day * expected**2)
        evidence = excess_evidence(observed, expected, dispersion)
        stretch: tuple[timedelta | None, float, float] = (None, observed, expected)
        for sums in self.recent:
            sums.add(at, observed, expected)
            # A sum of n buckets wanders relatively less than one: its dispersion is 1/n.
            over_stretch = excess_evidence(sums.observed, sums.expected, dispersion / sums.buckets)
            if over_stretch > evidence:
                evidence = over_stretch
                stretch = (sums.time_constant, sums.observed, sums.expected)
        horizon = settings.rarity_horizon / settings.baseline.bucket
        strength = math.exp(-horizon * self.tail.exceedance(evidence))
        if self.first is None:
            self.first = at
        if at - self.first < settings.warmup:
            strength = 0.0
        self.tail.add(at, evidence)
        if self.abnormal_since is None and strength >= settings.alert_score:
            self.abnormal_since = at
        elif self.abnormal_since is not None and strength < settings.settle_score:
            self.abnormal_since = None
        score = strength
        if self.abnormal_since is not None:
            score = strength * retention(at - self.abnormal_since, settings.freshness)
        spread = math.sqrt(expected + dispersion * expected**2)
        learned = min(observed, expected + settings.learn_clip_sd * spread)
        self.dispersion.add(at, learned, expected)
        self.baseline.learn(at, learned)
        self.last = at
        return Signal(
            at, observed, expected, evidence, *stretch, strength, score, self.abnormal_since
        )
