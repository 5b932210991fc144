"""How strongly an observed count says "more than expected", in nats.

The evidence is the log-likelihood ratio of the best-fitting higher rate against the expected
one, under a negative binomial count (a Poisson whose rate itself wanders: variance
mean + dispersion * mean^2). It is the statistic of Kulldorff's scan, valid for small counts
where a z-score is not (one complaint where 0.05 were expected is worth 2 nats, not a
4-sigma alarm), and it needs no special functions.
"""

from __future__ import annotations

import math

# Below this dispersion the negative binomial is a Poisson to float precision.
_POISSON_DISPERSION = 1e-9


def excess_evidence(observed: float, expected: float, dispersion: float) -> float:
    """Nats of evidence that `observed` comes from a higher rate than `expected` (> 0).

    0 when nothing more than expected was observed: a drop is not an outage signal.
    """
    if observed <= expected:
        return 0.0
    poisson = observed * math.log(observed / expected)
    if dispersion < _POISSON_DISPERSION:
        return poisson - (observed - expected)
    shape = 1.0 / dispersion
    return poisson - (observed + shape) * math.log1p((observed - expected) / (expected + shape))
