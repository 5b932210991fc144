"""The `/healthz` benchmark runs `inbox serve` through both bursts and prints its figures last
(their values are not judged)."""

from __future__ import annotations

import pytest

from tests.e2e.benchmarks import run_bench

pytestmark = pytest.mark.integration


def test_the_healthz_benchmark_prints_its_figures_last(database_dsn: str) -> None:
    result = run_bench(
        "healthz.py",
        *("--senders", "1", "--deliveries", "1", "--logins", "4", "--rest-seconds", "0.3"),
        *("--database-url", database_dsn),
    )
    lines = result.stdout.strip().splitlines()
    assert "1 deliveries of 50 x 20000 characters" in lines[0]
    assert "(1 x 200)" in lines[0]
    assert "(2 x 303, 2 x 401)" in lines[0]
    assert [line.split(":")[0] for line in lines[-9:]] == [
        "healthz_rest_p50_ms",
        "healthz_rest_p99_ms",
        "healthz_texts_p50_ms",
        "healthz_texts_p99_ms",
        "healthz_logins_p50_ms",
        "healthz_logins_p99_ms",
        "healthz_failed_probes",
        "healthz_texts_p99_ratio",
        "healthz_logins_p99_ratio",
    ]
