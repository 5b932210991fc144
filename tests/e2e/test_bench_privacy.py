"""The erasure and retention benchmarks run to their end and print their figures last (their
values are not judged)."""

from __future__ import annotations

import pytest

from tests.e2e.benchmarks import last_figures, run_bench

pytestmark = pytest.mark.integration


def test_the_erasure_benchmark_prints_its_figures_last(database_dsn: str) -> None:
    result = run_bench(
        "erasure.py", "--messages", "20", "--others", "50", "--database-url", database_dsn
    )
    assert last_figures(result.stdout, 7) == [
        "export_seconds",
        "export_peak_mib",
        "export_zip_kib",
        "fetch_all_peak_mib",
        "export_to_fetch_all_memory_ratio",
        "erase_seconds",
        "erase_to_read_once_ratio",
    ]


def test_the_retention_benchmark_prints_its_figures_last(database_dsn: str) -> None:
    result = run_bench(
        "retention.py", "--mentions", "300", "--rounds", "1", "--database-url", database_dsn
    )
    names = [line.split()[0] for line in result.stdout.strip().splitlines()[-4:]]
    assert names == [
        "retention_pass_seconds",
        "bare_statements_seconds",
        "retention_removed_per_s",
        "retention_to_bare_ratio",
    ]
