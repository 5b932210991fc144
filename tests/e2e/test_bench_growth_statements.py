"""The statements benchmark, on a tiny workspace of the growth benchmark, times each page's
statements and prints each page's total last (their values are not judged)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.benchmarks import last_figures, run_bench

pytestmark = pytest.mark.integration

PAGES = ["inbox", "thread", "search_common", "search_rare", "dashboard", "breach_scan"]


def test_the_statements_benchmark_times_every_page_of_a_grown_workspace_and_explains_them(
    database_dsn: str, tmp_path: Path
) -> None:
    run_bench(
        "growth.py",
        *("--sizes", "2000", "--requests", "4", "--batches", "1"),
        *("--database-url", database_dsn),
    )
    plans = tmp_path / "plans.txt"
    result = run_bench(
        "growth_statements.py",
        *("--database-url", database_dsn, "--runs", "2", "--explain", str(plans)),
    )
    expected = [f"{page}_statements_ms" for page in PAGES]
    assert last_figures(result.stdout, len(expected)) == expected
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("workspace growth-")
    assert lines[1].startswith("round_trip_ms: ")
    assert any(".thread_search.SEARCH_SINCE_ms: " in line for line in lines)
    assert "breach_scan.1.sla_timer.FIRE_DUE_ms" in result.stdout
    assert "-- breach_scan 1. sla_timer.FIRE_DUE" in plans.read_text()
    assert "Buffers:" in plans.read_text()


def test_the_statements_benchmark_refuses_no_runs() -> None:
    with pytest.raises(AssertionError, match="at least 1"):
        run_bench("growth_statements.py", "--database-url", "postgresql:///none", "--runs", "0")
