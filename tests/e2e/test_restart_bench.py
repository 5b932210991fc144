"""The restart benchmark runs to the end and prints its figures last (their values are not
judged)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.shared_data import PROJECT_ROOT

pytestmark = pytest.mark.integration


def test_the_restart_benchmark_prints_its_four_figures_last() -> None:
    result = subprocess.run(  # noqa: S603
        [
            sys.executable, str(PROJECT_ROOT / "bench" / "restart.py"),
            "--restarts", "1", "--settle", "0", "--live-deadline", "1",
        ],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    figures = [line.split(": ") for line in result.stdout.strip().splitlines()[-4:]]
    assert [name for name, _ in figures] == [
        "postgres_accepts_s",
        "healthz_after_database_s",
        "live_after_database_s",
        "healthz_to_postgres_ratio",
    ]
    assert all(value == "none" or float(value) >= 0 for _, value in figures)
