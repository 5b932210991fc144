"""Choosing thresholds on a plateau and scoring out of sample; the plateau of our detector."""

from __future__ import annotations

from datetime import datetime

from bench.nab_corpus import load_corpus
from bench.nab_protocol import (
    PLATEAU_HALF_WIDTH,
    choose,
    leave_one_out,
    nab_best,
    plateau,
    plateau_loss,
    tabled,
    windows_of,
)
from bench.nab_scoring import CostMatrix, Window
from routing.signals import BaselineSettings, DetectorSettings, SignalDetector
from tests.shared_data import require_shared_data

STANDARD = {"standard": CostMatrix(tp=1.0, fp=0.11, fn=1.0)}
ROWS = 1000


def scores_with(detections: dict[int, float]) -> list[float]:
    scores = [0.0] * ROWS
    for row, score in detections.items():
        scores[row] = score
    return scores


def test_nab_rule_takes_the_peak_and_the_plateau_rule_keeps_away_from_its_cliff() -> None:
    window = Window(400, 499)
    # One window caught by a score of 0.92; false alarms scored 0.2 and 0.4 elsewhere. The best
    # threshold sits just under the catch, where a slight move up loses the window.
    files = {
        "a": scores_with({450: 0.92, 700: 0.4, 800: 0.2}),
        "b": scores_with({450: 0.92, 700: 0.4, 900: 0.2}),
    }
    scored = tabled(files, {name: [window] for name in files}, STANDARD)
    best = choose(scored, ["a", "b"], nab_best)["standard"]
    chosen = choose(scored, ["a", "b"], plateau)["standard"]
    assert best == 0.92
    assert 0.4 < chosen <= 0.92 - PLATEAU_HALF_WIDTH
    assert plateau_loss(scored, ["a", "b"], chosen) == 0.0


def test_leave_one_out_scores_each_series_at_a_threshold_chosen_on_the_others_only() -> None:
    window = Window(400, 499)
    files = {
        "a": scores_with({450: 0.9}),
        "b": scores_with({450: 0.9}),
        "odd": scores_with({450: 0.3}),  # caught only below 0.3
    }
    scored = tabled(files, {name: [window] for name in files}, STANDARD)
    result = leave_one_out(scored, ["a", "b", "odd"], nab_best)
    assert result.thresholds["standard"]["odd"] == 0.9
    assert result.figures["standard"] < scored.figures(["a", "b", "odd"], 0.3)["standard"]


def test_on_the_realtweets_series_moving_the_chosen_threshold_by_005_loses_under_3_points() -> None:
    corpus = load_corpus(require_shared_data("nab", "windows.json").parent)
    scores = {}
    for one in corpus.files:
        stamps = [datetime.fromisoformat(t) for t in one.timestamps]
        settings = DetectorSettings(baseline=BaselineSettings(bucket=stamps[1] - stamps[0]))
        detector = SignalDetector(settings)
        rows = zip(stamps, one.values(), strict=True)
        scores[one.name] = [detector.update(at, value).score for at, value in rows]
    scored = tabled(scores, windows_of(corpus.files), corpus.profiles)
    dev = [one.name for one in corpus.files]
    chosen = choose(scored, dev, plateau)
    for profile, threshold in chosen.items():
        assert plateau_loss(scored, dev, threshold) <= 3.0, (profile, threshold)
