"""The restart benchmark runs to the end and prints its figures last (their values are not
judged)."""

from __future__ import annotations

import pytest

from tests.e2e.benchmarks import run_bench

pytestmark = pytest.mark.integration


def test_the_restart_benchmark_prints_its_four_figures_last() -> None:
    result = run_bench("restart.py", "--restarts", "1", "--settle", "0", "--live-deadline", "1")
    figures = [line.split(": ") for line in result.stdout.strip().splitlines()[-4:]]
    assert [name for name, _ in figures] == [
        "postgres_accepts_s",
        "healthz_after_database_s",
        "live_after_database_s",
        "healthz_to_postgres_ratio",
    ]
    assert all(value == "none" or float(value) >= 0 for _, value in figures)
