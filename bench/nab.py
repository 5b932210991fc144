"""Outage-signal detector on the Numenta Anomaly Benchmark (realTweets), beside NAB's detectors.

    python bench/nab.py [--data ../shared/data/nab] [--threshold 0.5]

1. The scorer (bench/nab_scoring.py) first reproduces published_file_scores.csv from the
   published detectors' anomaly scores at their thresholds.json thresholds: the worst
   difference over every detector, profile and file is printed, and the run stops if it is
   above 1e-6.
2. Our detector runs online over each series through `inbox.signals_cli.score_lines`, the
   code of `inbox signals score`, each row a bucket.
3. Every detector is scored on the same files in this run and normalised over them (100 the
   perfect detector, 0 the null one): ours at one fixed threshold for every profile (default
   0.5, the score's midpoint: more likely than not that a normal month of the series holds
   nothing as strong), the published detectors at their thresholds from thresholds.json
   (optimised by NAB over its whole corpus). For reference only: ours at the threshold that
   would be best on these very files, and ours at other fixed thresholds, to show how much
   the figures hang on the choice. The detector's design was settled while looking at these
   five series, so their figures flatter it; held-out series are the fair test.

The last lines are the figures, one a line.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.nab_corpus import Corpus, default_corpus_dir, load_corpus
from bench.nab_scoring import best_threshold, normalised, score_file
from inbox.signals_cli import score_lines

OURS = "ours"
REPRODUCTION_TOLERANCE = 1e-6
SENSITIVITY = (0.3, 0.4, 0.45, 0.55, 0.6, 0.7)


def reproduce_published(corpus: Corpus) -> float:
    """The worst difference between a recomputed file score and the published one."""
    worst = 0.0
    by_file = {series.name: series for series in corpus.files}
    columns = {series.name: series.detector_scores() for series in corpus.files}
    for published in corpus.published:
        series = by_file[published.file]
        scored = score_file(
            columns[published.file][published.detector],
            series.windows,
            corpus.profiles[published.profile],
            corpus.thresholds[published.detector][published.profile],
        )
        worst = max(worst, abs(scored.score - published.score))
    return worst


def run_ours(corpus: Corpus) -> tuple[dict[str, list[float]], float]:
    """Our scores per file, and buckets scored per second."""
    scores: dict[str, list[float]] = {}
    buckets = 0
    started = time.perf_counter()
    for series in corpus.files:
        with series.path.open(encoding="utf-8", newline="") as lines:
            scores[series.name] = [score for _, score in score_lines(lines, source=series.name)]
        buckets += len(scores[series.name])
    return scores, buckets / (time.perf_counter() - started)


def normalised_scores(
    corpus: Corpus, scores: dict[str, list[float]], thresholds: dict[str, float]
) -> dict[str, float]:
    """Per profile: the normalised score of these anomaly scores over the corpus' files."""
    results = {}
    for profile, cost in corpus.profiles.items():
        raw = sum(
            score_file(scores[s.name], s.windows, cost, thresholds[profile]).score
            for s in corpus.files
        )
        results[profile] = normalised(raw, corpus.window_counts, cost)
    return results


def main(arguments: argparse.Namespace) -> None:
    corpus = load_corpus(arguments.data)
    profiles = list(corpus.profiles)
    print(f"NAB {len(corpus.files)} files, {sum(corpus.window_counts)} windows: ", end="")
    print(", ".join(s.path.name for s in corpus.files))

    worst = reproduce_published(corpus)
    print(f"published_file_scores.csv reproduced: worst file difference {worst:.2e}")
    if worst > REPRODUCTION_TOLERANCE:
        sys.exit(f"the scorer does not reproduce the published scores ({worst} > 1e-6)")

    ours, buckets_per_s = run_ours(corpus)
    table: dict[str, dict[str, float]] = {
        f"{OURS} (threshold {arguments.threshold:g})": normalised_scores(
            corpus, ours, dict.fromkeys(profiles, arguments.threshold)
        )
    }
    optimised = {}
    for profile, cost in corpus.profiles.items():
        threshold, raw = best_threshold([(ours[s.name], s.windows) for s in corpus.files], cost)
        optimised[profile] = normalised(raw, corpus.window_counts, cost)
        print(f"{OURS}: best threshold on these files for {profile}: {threshold:.4f}")
    published_names = sorted({p.detector for p in corpus.published})
    columns = {series.name: series.detector_scores() for series in corpus.files}
    published: dict[str, dict[str, float]] = {}
    for detector in published_names:
        scores = {name: by_detector[detector] for name, by_detector in columns.items()}
        published[detector] = normalised_scores(corpus, scores, corpus.thresholds[detector])
    table.update(sorted(published.items(), key=lambda item: -item[1]["standard"]))
    table[f"{OURS}, threshold optimised on these files (reference only)"] = optimised

    for threshold in SENSITIVITY:
        figures = normalised_scores(corpus, ours, dict.fromkeys(profiles, threshold))
        shown = ", ".join(f"{p} {figures[p]:.2f}" for p in profiles)
        print(f"{OURS} at fixed threshold {threshold:.2f}: {shown}")

    print()
    print(f"{'detector':60s}" + "".join(f"{p:>20s}" for p in profiles))
    for name, results in table.items():
        print(f"{name:60s}" + "".join(f"{results[p]:20.2f}" for p in profiles))
    print()

    ours_fixed = next(iter(table.values()))
    best = {p: max(published, key=lambda d: published[d][p]) for p in profiles}
    for profile in profiles:
        print(f"best published {profile}: {best[profile]}")
    for profile in profiles:
        print(f"nab_ours_{profile}: {ours_fixed[profile]:.2f}")
    for profile in profiles:
        print(f"nab_best_published_{profile}: {published[best[profile]][profile]:.2f}")
    for profile in profiles:
        ratio = ours_fixed[profile] / published[best[profile]][profile]
        print(f"nab_{profile}_ratio_to_best_published: {ratio:.3f}")
    print(f"nab_reproduction_worst_difference: {worst:.2e}")
    print(f"detector_buckets_per_s: {buckets_per_s:.0f}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_corpus_dir())
    parser.add_argument("--threshold", type=float, default=0.5, help="our detector's, fixed")
    arguments = parser.parse_args(argv)
    if not (arguments.data / "windows.json").is_file():
        parser.error(f"no NAB data in {arguments.data} (set --data or INBOX_SHARED_DATA)")
    if not 0.0 < arguments.threshold <= 1.0:
        parser.error("--threshold is a score in (0, 1]")
    return arguments


if __name__ == "__main__":
    main(parse_args())
