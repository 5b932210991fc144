"""bench/connectors.py runs its Mastodon section to the end and prints its figures last."""

from __future__ import annotations

import pytest

from tests.e2e.benchmarks import last_figures, run_bench

pytestmark = pytest.mark.integration


def test_the_mastodon_section_prints_its_three_figures_last(database_dsn: str) -> None:
    result = run_bench(
        "connectors.py",
        *("--connector", "mastodon", "--rounds", "2", "--per-round", "120"),
        *("--customers", "20", "--database-url", database_dsn),
    )
    last = result.stdout.strip().splitlines()[-3:]
    assert last_figures(result.stdout) == [
        "mastodon_connector_mentions_per_s",
        "mastodon_ingest_ceiling_mentions_per_s",
        "mastodon_connector_ratio",
    ]
    assert all(float(line.split(":")[1]) > 0 for line in last)
    assert "240 mentions added by the Mastodon connector" in result.stdout
