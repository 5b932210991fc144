"""How rare a bucket's evidence is for this series: the tail of its own past evidence.

A count model is never exactly right (tweets come in cascades, complaints in waves), so the
nats of evidence it gives are calibrated against the series' own history, the way extreme
value theory calibrates a stream (peaks over a threshold, as in SPOT, Siffer et al. KDD
2017): above a fixed level, the peaks' excesses are taken as exponential (a generalised Pareto
of shape zero) with the mean excess seen so far. Until the series has shown its own tail, the
tail of a right model is assumed: excesses of one nat on average.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from routing.signals.decay import retention


@dataclass(slots=True)
class EvidenceTail:
    """P(a run of evidence peaking above s starts at a bucket), learned online in constant memory.

    Buckets in a row above the level are one peak, counted at its highest (declustering): a
    burst that keeps the last hour in excess for twelve buckets is one event, not twelve.
    """

    memory: timedelta
    level: float  # nats above which a run of buckets is a peak
    prior_buckets: float  # the assumed tail weighs as much as this many buckets...
    prior_peaks: float  # ...and this many peaks
    buckets: float = 0.0
    peaks: float = 0.0
    excess: float = 0.0  # summed excess of the peaks over the level
    run_peak: float = 0.0  # the highest evidence of the run above the level in progress
    last: datetime | None = None

    def exceedance(self, evidence: float) -> float:
        """The probability that a run reaching `evidence` starts at a normal bucket."""
        if evidence <= self.level:
            return 1.0
        right_model_rate = math.exp(-self.level)  # P(likelihood ratio > level)
        rate = (self.peaks + self.prior_buckets * right_model_rate) / (
            self.buckets + self.prior_buckets
        )
        mean_excess = (self.excess + self.prior_peaks) / (self.peaks + self.prior_peaks)
        return rate * math.exp(-(evidence - self.level) / mean_excess)

    def add(self, at: datetime, evidence: float) -> None:
        keep = 0.0 if self.last is None else retention(at - self.last, self.memory)
        self.buckets = self.buckets * keep + 1.0
        self.peaks *= keep
        self.excess *= keep
        if evidence > self.level:
            self.run_peak = max(self.run_peak, evidence)
        elif self.run_peak > 0.0:
            self.peaks += 1.0
            self.excess += self.run_peak - self.level
            self.run_peak = 0.0
        self.last = at
