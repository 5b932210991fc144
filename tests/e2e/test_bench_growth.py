"""The growth benchmark, in a tiny form, fills its workspace at each size, measures the same
figures at each and `inbox serve`'s memory, and prints them last, named with the size (their
values are not judged)."""

from __future__ import annotations

import pytest

from tests.e2e.benchmarks import last_figures, run_bench

pytestmark = pytest.mark.integration

PER_SIZE = [
    "ingest_mentions_per_s",
    "inbox_page_p99_ms",
    "thread_page_p99_ms",
    "search_common_p99_ms",
    "search_rare_p99_ms",
    "dashboard_p99_ms",
    "breach_scan_p99_ms",
    "database_mb_per_million_mentions",
]
MEMORY = ["serve_started_rss_mb", "serve_peak_rss_mb", "serve_end_rss_mb"]


def test_the_growth_benchmark_prints_each_sizes_figures_and_the_servers_memory_last(
    database_dsn: str,
) -> None:
    result = run_bench(
        "growth.py",
        *("--sizes", "2000", "4000", "--requests", "8", "--batches", "1"),
        *("--memory", "--accounts", "2", "--streams", "4"),
        *("--database-url", database_dsn),
    )
    expected = [
        *(f"{name}_{size}" for size in (2000, 4000) for name in PER_SIZE),
        *(f"{name}_4000" for name in MEMORY),
    ]
    assert last_figures(result.stdout, len(expected)) == expected
    lines = result.stdout.strip().splitlines()
    assert all(float(line.split(":")[1]) > 0 for line in lines[-len(expected) :])
    assert lines[0].startswith("2000: ")
    assert "inbox serve: 2 accounts, 4 event streams" in result.stdout


def test_the_growth_benchmark_refuses_a_size_below_one() -> None:
    with pytest.raises(AssertionError, match="at least 1"):
        run_bench("growth.py", "--sizes", "0")
