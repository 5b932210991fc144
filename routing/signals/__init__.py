"""Outage signals: an online detector of complaint bursts over count series.

Pure: no I/O and no clock; every instant comes in with the data. `SignalDetector` scores one
series bucket by bucket (see docs/signals.md for how), `BucketCounter` counts complaints per
workspace and slice into buckets and feeds one detector per series, `AlertWatch` and
`crossings` turn scores into alerts that open and close.
"""

from routing.signals.alerts import AlertWatch, Crossing, CrossingKind, crossings
from routing.signals.baseline import BaselineSettings
from routing.signals.detector import DetectorSettings, Signal, SignalDetector
from routing.signals.series import (
    BucketCounter,
    SeriesKey,
    SeriesSignal,
    bucket_start,
    complaint_keys,
)

__all__ = [
    "AlertWatch",
    "BaselineSettings",
    "BucketCounter",
    "Crossing",
    "CrossingKind",
    "DetectorSettings",
    "SeriesKey",
    "SeriesSignal",
    "Signal",
    "SignalDetector",
    "bucket_start",
    "complaint_keys",
    "crossings",
]
