"""The recorded NAB files: series, windows, profiles, thresholds, published detectors' scores.

Layout (NAB's own): `realTweets/<series>.csv` (timestamp,value), `windows.json` (labelled
windows by `realTweets/<series>.csv`), `profiles.json`, `thresholds.json` (each detector's
threshold per profile), `published_file_scores.csv` (Detector, Profile, File, Threshold,
Score, TP, TN, FP, FN, Total_Count) and `realTweets/detector_scores_<SYMBOL>.csv.gz`
(timestamp then one column of anomaly scores per published detector).
"""

from __future__ import annotations

import csv
import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path

from bench.nab_scoring import CostMatrix, Window, windows_from_timestamps

CATEGORY = "realTweets"


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
    timestamps: list[str]
    windows: list[Window]

    @property
    def symbol(self) -> str:
        return self.path.stem.rsplit("_", 1)[-1]

    def detector_scores(self) -> dict[str, list[float]]:
        """Each published detector's anomaly scores for this file, row for row."""
        scores_path = self.path.parent / f"detector_scores_{self.symbol}.csv.gz"
        with gzip.open(scores_path, "rt", encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            columns: dict[str, list[float]] = {name: [] for name in header[1:]}
            for line, row in enumerate(reader, start=2):
                if row[0] != self.timestamps[line - 2]:
                    raise ValueError(f"{scores_path} line {line}: timestamp {row[0]!r} differs")
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
    files: list[SeriesFile]
    profiles: dict[str, CostMatrix]
    thresholds: dict[str, dict[str, float]]  # detector -> profile -> threshold
    published: list[PublishedScore]

    @property
    def window_counts(self) -> list[int]:
        return [len(series.windows) for series in self.files]


def load_corpus(directory: Path) -> Corpus:
    windows = json.loads((directory / "windows.json").read_text(encoding="utf-8"))
    files = []
    for name in sorted(windows):
        path = directory / name
        timestamps = [row["timestamp"] for row in _csv_rows(path)]
        files.append(
            SeriesFile(name, path, timestamps, windows_from_timestamps(timestamps, windows[name]))
        )
    profiles = {
        name: CostMatrix.from_profile(profile)
        for name, profile in json.loads(
            (directory / "profiles.json").read_text(encoding="utf-8")
        ).items()
    }
    thresholds = {
        detector: {profile: float(entry["threshold"]) for profile, entry in by_profile.items()}
        for detector, by_profile in json.loads(
            (directory / "thresholds.json").read_text(encoding="utf-8")
        ).items()
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
    return Corpus(directory, files, profiles, thresholds, published)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
