"""The recorded NAB files: series, windows, profiles, thresholds, published detectors' scores.

Layout (NAB's own): `realTweets/<series>.csv` (timestamp,value), `windows.json` (labelled
windows by `realTweets/<series>.csv`), `profiles.json`, `thresholds.json` (each detector's
threshold per profile, optimised by NAB over its whole corpus), `published_file_scores.csv`
(Detector, Profile, File, Threshold, Score, TP, TN, FP, FN, Total_Count) and
`realTweets/detector_scores_<SYMBOL>.csv.gz` (timestamp then one column of anomaly scores per
published detector). `extra/` holds NAB's other real corpora the same way: `extra/windows.json`
and `extra/<corpus>/<series>.csv` beside `extra/<corpus>/detector_scores_<series>.csv.gz`.

The realTweets series are the development set (DEV): the detector's design was settled while
looking at them. Among the extra series, the ones that count events are held apart
(`EXTRA_COUNT_SERIES`); the others measure something continuous and only check that the
detector does nothing foolish on a kind of series it is not built for.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.nab_scoring import CostMatrix, Window, windows_from_timestamps

CATEGORY = "realTweets"
EXTRA = "extra"

# The extra series that count events, as complaints are counted: passengers of New York taxis
# per half hour and requests reaching a load balancer per five minutes. The other extra
# series are measurements (CPU, latency, temperature, travel time, speed, road occupancy,
# cost per click) or byte volumes (network in, disk writes: sums of sizes, not counts of
# events), and the rogue-agent key series are averages. nyc_taxi's labelled windows are
# mostly drops (Thanksgiving, Christmas, New Year, a blizzard), which a detector of bursts
# does not look for, and one rise (the marathon): it weighs on false alarms more than on
# catches.
EXTRA_COUNT_SERIES = (
    "realAWSCloudwatch/elb_request_count_8c0756.csv",
    "realKnownCause/nyc_taxi.csv",
)


def default_corpus_dir() -> Path:
    configured = os.environ.get("INBOX_SHARED_DATA")
    base = (
        Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    return base / "nab"


@dataclass(frozen=True)
class SeriesFile:
    name: str  # as windows.json names it: realTweets/Twitter_volume_AAPL.csv
    path: Path
    scores_path: Path  # the published detectors' anomaly scores for it
    timestamps: list[str]
    windows: list[Window]

    @property
    def short_name(self) -> str:
        return self.path.stem

    def values(self) -> list[float]:
        return [float(row["value"]) for row in _csv_rows(self.path)]

    def detector_scores(self) -> dict[str, list[float]]:
        """Each published detector's anomaly scores for this file, row for row."""
        with gzip.open(self.scores_path, "rt", encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            columns: dict[str, list[float]] = {name: [] for name in header[1:]}
            for line, row in enumerate(reader, start=2):
                if row[0] != self.timestamps[line - 2]:
                    raise ValueError(
                        f"{self.scores_path} line {line}: timestamp {row[0]!r} differs"
                    )
                for name, cell in zip(header[1:], row[1:], strict=True):
                    columns[name].append(float(cell))
        return columns


@dataclass(frozen=True)
class PublishedScore:
    detector: str
    profile: str
    file: str
    score: float
    tp: int
    tn: int
    fp: int
    fn: int


@dataclass(frozen=True)
class Corpus:
    directory: Path
    files: list[SeriesFile]  # DEV: the realTweets series at hand
    profiles: dict[str, CostMatrix]
    thresholds: dict[str, dict[str, float]]  # detector -> profile -> threshold
    published: list[PublishedScore]  # published_file_scores.csv (DEV files only)
    extra: list[SeriesFile]  # NAB's other real corpora, when present

    @property
    def window_counts(self) -> list[int]:
        return [len(series.windows) for series in self.files]

    @property
    def extra_counts(self) -> list[SeriesFile]:
        return [s for s in self.extra if s.name in EXTRA_COUNT_SERIES]

    @property
    def extra_continuous(self) -> list[SeriesFile]:
        return [s for s in self.extra if s.name not in EXTRA_COUNT_SERIES]

    @property
    def count_series(self) -> list[SeriesFile]:
        """Every count series at hand: DEV and the extra ones (the leave-one-out set)."""
        return [*self.files, *self.extra_counts]


def load_corpus(directory: Path) -> Corpus:
    files = _series_files(directory, json.loads(_read(directory / "windows.json")), _dev_scores)
    profiles = {
        name: CostMatrix.from_profile(profile)
        for name, profile in json.loads(_read(directory / "profiles.json")).items()
    }
    thresholds = {
        detector: {profile: float(entry["threshold"]) for profile, entry in by_profile.items()}
        for detector, by_profile in json.loads(_read(directory / "thresholds.json")).items()
    }
    published = [
        PublishedScore(
            row["Detector"],
            row["Profile"],
            row["File"],
            float(row["Score"]),
            int(row["TP"]),
            int(row["TN"]),
            int(row["FP"]),
            int(row["FN"]),
        )
        for row in _csv_rows(directory / "published_file_scores.csv")
    ]
    extra_windows = directory / EXTRA / "windows.json"
    extra = (
        _series_files(directory / EXTRA, json.loads(_read(extra_windows)), _extra_scores)
        if extra_windows.is_file()
        else []
    )
    return Corpus(directory, files, profiles, thresholds, published, extra)


# Where a series' published detector scores are, from its own path.
_ScoresPath = Callable[[Path], Path]


def _dev_scores(path: Path) -> Path:
    symbol = path.stem.rsplit("_", 1)[-1]
    return path.parent / f"detector_scores_{symbol}.csv.gz"


def _extra_scores(path: Path) -> Path:
    return path.parent / f"detector_scores_{path.stem}.csv.gz"


def _series_files(
    directory: Path, windows: dict[str, list[list[str]]], scores_path: _ScoresPath
) -> list[SeriesFile]:
    files = []
    for name in sorted(windows):
        path = directory / name
        timestamps = [row["timestamp"] for row in _csv_rows(path)]
        limits = [(start, end) for start, end in windows[name]]
        files.append(
            SeriesFile(
                name,
                path,
                scores_path(path),
                timestamps,
                windows_from_timestamps(timestamps, limits),
            )
        )
    return files


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
