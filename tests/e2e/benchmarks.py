"""Running a benchmark of bench/ to its end, and reading the figures it prints last."""

from __future__ import annotations

import subprocess
import sys

from tests.shared_data import PROJECT_ROOT


def run_bench(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`bench/SCRIPT ARGS...` run to its end; it must succeed."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(PROJECT_ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


def last_figures(output: str, count: int = 3) -> list[str]:
    """The names of the last `count` figures printed (`name: value` lines)."""
    return [line.split(":")[0] for line in output.strip().splitlines()[-count:]]
