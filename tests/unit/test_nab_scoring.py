"""NAB's scoring: its rules on small cases, then the published per-file scores reproduced."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.nab_corpus import load_corpus
from bench.nab_scoring import (
    CostMatrix,
    Window,
    best_threshold,
    normalised,
    probation_rows,
    scaled_sigmoid,
    score_file,
)
from tests.shared_data import require_shared_data

STANDARD = CostMatrix(tp=1.0, fp=0.11, fn=1.0)
ROWS = 1000  # probation: the first 150 rows
WINDOW = Window(400, 499)


def detections(*rows: int) -> list[float]:
    scores = [0.0] * ROWS
    for row in rows:
        scores[row] = 1.0
    return scores


def test_the_probationary_period_is_15_percent_capped_at_750_rows() -> None:
    assert probation_rows(1000) == 150
    assert probation_rows(15902) == 750


def test_the_scaled_sigmoid_rewards_the_start_of_a_window_and_punishes_far_after_it() -> None:
    assert scaled_sigmoid(-1.0) == pytest.approx(0.98661, abs=1e-5)
    assert scaled_sigmoid(0.0) == 0.0
    assert scaled_sigmoid(3.5) == -1.0


def test_no_detection_costs_one_fn_weight_per_window() -> None:
    assert score_file(detections(), [WINDOW], STANDARD, 0.5).score == -1.0


def test_a_detection_on_a_windows_first_row_earns_the_full_tp_weight() -> None:
    assert score_file(detections(400), [WINDOW], STANDARD, 0.5).score == pytest.approx(1.0)


def test_only_the_earliest_detection_in_a_window_counts() -> None:
    early = score_file(detections(450), [WINDOW], STANDARD, 0.5)
    both = score_file(detections(450, 460, 470), [WINDOW], STANDARD, 0.5)
    assert both.score == early.score
    assert (both.tp, both.fn) == (3, 97)


def test_a_false_positive_costs_less_just_after_a_window_than_far_from_it() -> None:
    just_after = score_file(detections(400, 505), [WINDOW], STANDARD, 0.5).score
    far_after = score_file(detections(400, 900), [WINDOW], STANDARD, 0.5).score
    before_any = score_file(detections(400, 200), [WINDOW], STANDARD, 0.5).score
    assert 1.0 - 0.11 < just_after < 1.0
    assert far_after == pytest.approx(1.0 - 0.11)
    assert before_any == pytest.approx(1.0 - 0.11)


def test_detections_in_the_probationary_period_count_for_nothing() -> None:
    result = score_file(detections(10, 400), [WINDOW], STANDARD, 0.5)
    assert result.score == pytest.approx(1.0)
    assert result.fp == 0


def test_the_score_is_normalised_between_the_null_and_the_perfect_detector() -> None:
    assert normalised(-3.0, [1, 2], STANDARD) == 0.0
    assert normalised(3.0, [1, 2], STANDARD) == 100.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.2, 0.4, 0.6, 0.8, 1.0]), min_size=ROWS, max_size=ROWS))
def test_the_best_threshold_is_the_best_of_every_score_tried_one_by_one(
    scores: list[float],
) -> None:
    windows = [Window(300, 349), Window(700, 749)]
    threshold, best = best_threshold([(scores, windows)], STANDARD)
    tried = {t: score_file(scores, windows, STANDARD, t).score for t in set(scores) | {2.0}}
    assert best == pytest.approx(max(tried.values()))
    assert tried[threshold if threshold != float("inf") else 2.0] == pytest.approx(best)


def test_the_published_file_scores_are_reproduced_from_the_published_detector_scores() -> None:
    corpus = load_corpus(require_shared_data("nab", "published_file_scores.csv").parent)
    by_file = {series.name: series for series in corpus.files}
    columns = {series.name: series.detector_scores() for series in corpus.files}
    checked = 0
    for published in corpus.published:
        series = by_file[published.file]
        result = score_file(
            columns[published.file][published.detector],
            series.windows,
            corpus.profiles[published.profile],
            corpus.thresholds[published.detector][published.profile],
        )
        where = f"{published.detector} {published.profile} {published.file}"
        assert result.score == pytest.approx(published.score, abs=1e-6), where
        assert (result.tp, result.tn, result.fp, result.fn) == (
            published.tp,
            published.tn,
            published.fp,
            published.fn,
        ), where
        checked += 1
    detectors = {p.detector for p in corpus.published}
    assert checked == len(detectors) * len(corpus.profiles) * len(corpus.files)
    assert set(itertools.product(detectors, corpus.profiles)) <= {
        (d, p) for d, by_profile in corpus.thresholds.items() for p in by_profile
    }
