"""Outage-signal detector on the Numenta Anomaly Benchmark, beside NAB's published detectors.

    python bench/nab.py [--data ../shared/data/nab]

1. The scorer (bench/nab_scoring.py) first reproduces published_file_scores.csv from the
   published detectors' anomaly scores at their thresholds.json thresholds: the worst
   difference over every detector, profile and file is printed, and the run stops if it is
   above 1e-6.
2. Our detector runs online over every series through `inbox.signals_cli.score_lines`, the
   code of `inbox signals score`, each row a bucket.
3. Every detector is then scored on the same files, in this run, three ways
   (bench/nab_protocol.py):
   - DEV, the five realTweets series at hand (the detector's design was settled looking at
     them): ours at the threshold chosen on them by the plateau rule, with its figures from
     0.30 to 0.70 to show the plateau; the published detectors at NAB's thresholds, which
     NAB optimised over its whole corpus, these files included.
   - Leave one out, over every count series at hand (DEV and the extra ones that count
     events): each series scored at the threshold chosen on the others, NAB's rule (the best
     threshold on the others) for every detector, and ours by the plateau rule too.
   - The extra corpora, counts and continuous apart: each detector at the threshold it was
     given on DEV (ours: plateau; the published: NAB's rule), applied unchanged; the published
     also at NAB's thresholds (chosen on these very files among others, so in sample for them).

The last lines are the figures, one a line.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.nab_corpus import Corpus, SeriesFile, default_corpus_dir, load_corpus
from bench.nab_protocol import (
    SWEEP,
    choose,
    leave_one_out,
    nab_best,
    plateau,
    plateau_loss,
    sweep,
    tabled,
    windows_of,
)
from bench.nab_scoring import score_file
from inbox.signals_cli import score_lines

OURS = "ours"
REPRODUCTION_TOLERANCE = 1e-6
NAME_WIDTH = 44


def reproduce_published(corpus: Corpus, columns: Mapping[str, Mapping[str, list[float]]]) -> float:
    """The worst difference between a recomputed file score and the published one."""
    worst = 0.0
    by_file = {series.name: series for series in corpus.files}
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


def run_ours(series: Sequence[SeriesFile]) -> tuple[dict[str, list[float]], float, int]:
    """Our scores per file, buckets scored per second, and the rows left out: a row whose
    timestamp repeats an earlier one (a clock change in a few extra series) is no bucket of
    its own, which the command refuses; it is not fed to the detector and scores 0."""
    scores: dict[str, list[float]] = {}
    buckets = left_out = 0
    started = time.perf_counter()
    for one in series:
        kept = _increasing(one.timestamps)
        left_out += len(one.timestamps) - len(kept)
        with one.path.open(encoding="utf-8", newline="") as handle:
            lines = handle.readlines()
        fed = [lines[0], *(lines[row + 1] for row in kept)]
        by_row = dict(zip(kept, (s for _, s in score_lines(fed, source=one.name)), strict=True))
        scores[one.name] = [by_row.get(row, 0.0) for row in range(len(one.timestamps))]
        buckets += len(kept)
    return scores, buckets / (time.perf_counter() - started), left_out


def _increasing(timestamps: Sequence[str]) -> list[int]:
    kept: list[int] = []
    for row, stamp in enumerate(timestamps):
        if not kept or stamp > timestamps[kept[-1]]:
            kept.append(row)
    return kept


def names_of(series: Sequence[SeriesFile]) -> list[str]:
    return [s.name for s in series]


def print_table(title: str, rows: Mapping[str, Mapping[str, float]], profiles: list[str]) -> None:
    print(f"\n{title}")
    print(f"{'detector':{NAME_WIDTH}s}" + "".join(f"{p:>20s}" for p in profiles))
    for name, figures in rows.items():
        print(f"{name:{NAME_WIDTH}s}" + "".join(f"{figures[p]:20.2f}" for p in profiles))


def ranked(rows: Mapping[str, Mapping[str, float]]) -> dict[str, Mapping[str, float]]:
    return dict(sorted(rows.items(), key=lambda item: -item[1]["standard"]))


def best_of(rows: Mapping[str, Mapping[str, float]], profile: str) -> str:
    return max(rows, key=lambda name: rows[name][profile])


def main(arguments: argparse.Namespace) -> None:
    corpus = load_corpus(arguments.data)
    profiles = list(corpus.profiles)
    dev = names_of(corpus.files)
    counts = names_of(corpus.count_series)
    extra_counts = names_of(corpus.extra_counts)
    continuous = [s.name for s in corpus.extra_continuous if s.windows]
    every = [*corpus.files, *corpus.extra]
    print(f"DEV: {len(dev)} realTweets files, {sum(corpus.window_counts)} windows")
    print(f"extra: {len(extra_counts)} count series ({', '.join(extra_counts)}),")
    print(f"       {len(corpus.extra_continuous)} continuous series (a check only)")

    columns = {s.name: s.detector_scores() for s in every}
    worst = reproduce_published(corpus, columns)
    print(f"published_file_scores.csv reproduced: worst file difference {worst:.2e}")
    if worst > REPRODUCTION_TOLERANCE:
        sys.exit(f"the scorer does not reproduce the published scores ({worst} > 1e-6)")

    ours_scores, buckets_per_s, left_out = run_ours(every)
    print(f"{OURS}: {left_out} rows repeat an earlier timestamp: not fed to the detector, 0")
    windows = windows_of(every)
    ours = tabled(ours_scores, windows, corpus.profiles)
    detectors = sorted({p.detector for p in corpus.published})
    published = {
        d: tabled(
            {n: by_detector[d] for n, by_detector in columns.items()}, windows, corpus.profiles
        )
        for d in detectors
    }

    # DEV: our threshold on a plateau of these five files.
    chosen = choose(ours, dev, plateau)
    print(f"\n{OURS}: threshold chosen on DEV by the plateau rule: ", end="")
    print(", ".join(f"{p} {chosen[p]:.3f}" for p in profiles))
    for name, group in (("DEV", dev), ("count series", counts)):
        print(f"{OURS}, score against the threshold on {name}:")
        print(f"{'threshold':>12s}" + "".join(f"{p:>20s}" for p in profiles))
        for threshold, figures in sweep(ours, group, SWEEP).items():
            print(f"{threshold:12.3f}" + "".join(f"{figures[p]:20.2f}" for p in profiles))
    dev_loss = max(plateau_loss(ours, dev, chosen[p]) for p in profiles)
    print(f"{OURS}: most any profile loses on DEV within +-0.05 of the chosen threshold: ", end="")
    print(f"{dev_loss:.2f}")

    dev_rows: dict[str, Mapping[str, float]] = {
        f"{OURS} (plateau threshold)": ours.figures_per_profile(dev, chosen)
    }
    nab_rows = {d: t.figures_per_profile(dev, corpus.thresholds[d]) for d, t in published.items()}
    dev_rows.update(ranked(nab_rows))
    dev_rows[f"{OURS}, best threshold on DEV (in sample)"] = ours.figures_per_profile(
        dev, choose(ours, dev, nab_best)
    )
    print_table("DEV (published detectors at NAB's thresholds)", dev_rows, profiles)

    # Leave one out over the count series.
    loo_rows: dict[str, Mapping[str, float]] = {
        f"{OURS} (plateau rule)": leave_one_out(ours, counts, plateau).figures,
        f"{OURS} (NAB's rule)": leave_one_out(ours, counts, nab_best).figures,
    }
    loo_published = {d: leave_one_out(t, counts, nab_best).figures for d, t in published.items()}
    loo_rows.update(ranked(loo_published))
    print_table(
        f"leave one out over {len(counts)} count series (NAB's rule: best on the others)",
        loo_rows,
        profiles,
    )
    per_series = leave_one_out(ours, counts, plateau)
    print(f"\n{OURS}, leave one out, standard profile, each series:")
    for name in counts:
        threshold = per_series.thresholds["standard"][name]
        figure = ours.figure("standard", [name], threshold)
        print(f"  {name:60s} threshold {threshold:.3f}  score {figure:7.2f}")

    # The extra corpora, at the thresholds chosen on DEV.
    dev_chosen = {d: choose(t, dev, nab_best) for d, t in published.items()}
    extra_figures: dict[str, dict[str, Mapping[str, float]]] = {}
    for group_name, group in (("extra count series", extra_counts), ("continuous", continuous)):
        rows: dict[str, Mapping[str, float]] = {
            f"{OURS} (threshold chosen on DEV)": ours.figures_per_profile(group, chosen)
        }
        same = {d: t.figures_per_profile(group, dev_chosen[d]) for d, t in published.items()}
        rows.update(ranked(same))
        print_table(f"{group_name}: every detector at its threshold chosen on DEV", rows, profiles)
        in_sample = {
            d: t.figures_per_profile(group, corpus.thresholds[d]) for d, t in published.items()
        }
        print_table(
            f"{group_name}: the published detectors at NAB's thresholds (in sample)",
            ranked(in_sample),
            profiles,
        )
        extra_figures[group_name] = {OURS: rows[f"{OURS} (threshold chosen on DEV)"], **same}
    print()

    print_figures(
        profiles,
        chosen=chosen,
        dev_ours=dev_rows[f"{OURS} (plateau threshold)"],
        dev_published=nab_rows,
        dev_loss=dev_loss,
        loo_ours=loo_rows[f"{OURS} (plateau rule)"],
        loo_published=loo_published,
        extra=extra_figures,
    )
    print(f"nab_reproduction_worst_difference: {worst:.2e}")
    print(f"detector_buckets_per_s: {buckets_per_s:.0f}")


def print_figures(
    profiles: list[str],
    *,
    chosen: Mapping[str, float],
    dev_ours: Mapping[str, float],
    dev_published: Mapping[str, Mapping[str, float]],
    dev_loss: float,
    loo_ours: Mapping[str, float],
    loo_published: Mapping[str, Mapping[str, float]],
    extra: Mapping[str, Mapping[str, Mapping[str, float]]],
) -> None:
    for profile in profiles:
        print(f"best published on DEV {profile}: {best_of(dev_published, profile)}")
        print(f"best published leave one out {profile}: {best_of(loo_published, profile)}")
    for profile in profiles:
        print(f"nab_dev_threshold_{profile}: {chosen[profile]:.3f}")
    for profile in profiles:
        print(f"nab_dev_ours_{profile}: {dev_ours[profile]:.2f}")
    for profile in profiles:
        best = dev_published[best_of(dev_published, profile)][profile]
        print(f"nab_dev_best_published_{profile}: {best:.2f}")
    print(f"nab_dev_plateau_worst_loss: {dev_loss:.2f}")
    for profile in profiles:
        print(f"nab_loo_ours_{profile}: {loo_ours[profile]:.2f}")
    for profile in profiles:
        best = loo_published[best_of(loo_published, profile)][profile]
        print(f"nab_loo_best_published_{profile}: {best:.2f}")
    for profile in profiles:
        best = loo_published[best_of(loo_published, profile)][profile]
        print(f"nab_loo_{profile}_ratio_to_best_published: {loo_ours[profile] / best:.3f}")
    for group, key in (("extra count series", "extra_counts"), ("continuous", "continuous")):
        rows = extra[group]
        others = {name: figures for name, figures in rows.items() if name != OURS}
        for profile in profiles:
            print(f"nab_{key}_ours_{profile}: {rows[OURS][profile]:.2f}")
        for profile in profiles:
            best = others[best_of(others, profile)][profile]
            print(f"nab_{key}_best_published_{profile}: {best:.2f}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_corpus_dir())
    arguments = parser.parse_args(argv)
    if not (arguments.data / "windows.json").is_file():
        parser.error(f"no NAB data in {arguments.data} (set --data or INBOX_SHARED_DATA)")
    return arguments


if __name__ == "__main__":
    main(parse_args())
