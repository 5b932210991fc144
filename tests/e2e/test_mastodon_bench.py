"""bench/connectors.py runs its Mastodon section to the end and prints its figures last."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.shared_data import PROJECT_ROOT

pytestmark = pytest.mark.integration


def test_the_mastodon_section_prints_its_three_figures_last(database_dsn: str) -> None:
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            str(PROJECT_ROOT / "bench" / "connectors.py"),
            *("--connector", "mastodon", "--rounds", "2", "--per-round", "120"),
            *("--customers", "20", "--database-url", database_dsn),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-3:]
    assert [line.split(":")[0] for line in last] == [
        "mastodon_connector_mentions_per_s",
        "mastodon_ingest_ceiling_mentions_per_s",
        "mastodon_connector_ratio",
    ]
    assert all(float(line.split(":")[1]) > 0 for line in last)
    assert "240 mentions added by the Mastodon connector" in result.stdout
