"""The sizing benchmark runs a worker's ingestion and agents on a real `inbox web` process,
and prints its figures last (their values are not judged)."""

from __future__ import annotations

import pytest

from tests.e2e.benchmarks import last_figures, run_bench

pytestmark = pytest.mark.integration

FIGURES = [
    "worker_mentions_per_s",
    "bare_upsert_rows_per_s",
    "worker_to_bare_ratio",
    "web_quiet_p99_ms",
    "web_agents_served",
    "web_p99_ms_at_served",
    "web_pages_per_s_at_served",
    "web_pages_per_s_flat_out",
    "bare_pages_per_s_flat_out",
    "web_to_bare_pages_ratio",
    "web_cpu_ms_per_page",
    "web_agents_per_cpu_core",
    "database_cpu_ms_per_page",
]


def test_the_sizing_benchmark_prints_its_figures_last(database_dsn: str) -> None:
    result = run_bench("sizing.py", "--short", "--database-url", database_dsn)
    assert last_figures(result.stdout, len(FIGURES)) == FIGURES
    figures = dict(line.split(": ") for line in result.stdout.strip().splitlines()[-len(FIGURES) :])
    assert float(figures["worker_mentions_per_s"]) > 0
    assert float(figures["web_pages_per_s_flat_out"]) > 0
    assert float(figures["web_cpu_ms_per_page"]) > 0
    assert "1 agents: " in result.stdout, "the steps of agents are reported as they run"
