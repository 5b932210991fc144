"""`inbox signals score` as a user runs it: a process on a CSV, and main() on files."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from inbox.cli import main
from tests.shared_data import require_shared_data

INBOX = [sys.executable, "-m", "inbox.cli"]
START = datetime(2026, 3, 2)


def write_series(path: Path, values: list[int], minutes: int = 5) -> None:
    lines = ["timestamp,value"]
    for i, value in enumerate(values):
        lines.append(f"{(START + timedelta(minutes=minutes * i)).isoformat(sep=' ')},{value}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_scores(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def quiet_days_then_a_burst() -> list[int]:
    values = [2 + (i % 3) for i in range(3 * 288)]
    values[2 * 288 + 150] = 90
    return values


def test_a_series_gets_one_score_a_row_and_its_burst_the_highest(tmp_path: Path) -> None:
    series, out = tmp_path / "series.csv", tmp_path / "scores.csv"
    values = quiet_days_then_a_burst()
    write_series(series, values)
    result = subprocess.run(  # noqa: S603
        [*INBOX, "signals", "score", str(series), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = read_scores(out)
    assert list(rows[0]) == ["timestamp", "anomaly_score"]
    assert [r["timestamp"] for r in rows] == [
        (START + timedelta(minutes=5 * i)).isoformat(sep=" ") for i in range(len(values))
    ]
    scores = [float(r["anomaly_score"]) for r in rows]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert max(range(len(scores)), key=scores.__getitem__) == 2 * 288 + 150
    assert scores[2 * 288 + 150] > 0.5


def test_without_out_the_scores_go_to_standard_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    series = tmp_path / "series.csv"
    write_series(series, [1, 0, 2])
    assert main(["signals", "score", str(series)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "timestamp,anomaly_score",
        "2026-03-02 00:00:00,0",
        "2026-03-02 00:05:00,0",
        "2026-03-02 00:10:00,0",
    ]


def test_bucket_minutes_sums_rows_into_buckets_and_counts_empty_ones_as_zero(
    tmp_path: Path,
) -> None:
    series, out = tmp_path / "events.csv", tmp_path / "scores.csv"
    series.write_text(
        "timestamp,value\n2026-03-02 00:01:00,1\n2026-03-02 00:09:59,1\n2026-03-02 00:31:00,4\n",
        encoding="utf-8",
    )
    assert main(["signals", "score", str(series), "--bucket-minutes", "10", "--out", str(out)]) == 0
    assert [r["timestamp"] for r in read_scores(out)] == [
        "2026-03-02 00:00:00",
        "2026-03-02 00:10:00",
        "2026-03-02 00:20:00",
        "2026-03-02 00:30:00",
    ]


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("2026-03-02 00:10:00,many", "line 4: value 'many' is not a number"),
        ("yesterday,3", "line 4: timestamp 'yesterday' is not an ISO 8601"),
        ("2026-03-02 00:10:00,-1", "line 4: value '-1' is not a count"),
        ("2026-03-02 00:10:00,1,2", "line 4: expected 2 fields, found 3"),
        ("2026-03-02 00:00:00,1", "line 4: 2026-03-02 00:00:00 is not after line 3"),
    ],
)
def test_a_bad_line_fails_naming_it_and_leaves_out_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad_line: str, message: str
) -> None:
    series, out = tmp_path / "series.csv", tmp_path / "scores.csv"
    series.write_text(
        "timestamp,value\n2026-03-02 00:00:00,1\n2026-03-02 00:05:00,2\n"
        f"{bad_line}\n2026-03-02 00:20:00,1\n",
        encoding="utf-8",
    )
    out.write_text("previous results\n", encoding="utf-8")
    assert main(["signals", "score", str(series), "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "previous results\n"
    assert {p.name for p in tmp_path.iterdir()} == {"series.csv", "scores.csv"}  # no leftovers


def test_a_file_without_the_header_is_refused_at_line_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    series, out = tmp_path / "series.csv", tmp_path / "scores.csv"
    series.write_text("2026-03-02 00:00:00,1\n", encoding="utf-8")
    assert main(["signals", "score", str(series), "--out", str(out)]) == 2
    assert "line 1: expected the header 'timestamp,value'" in capsys.readouterr().err
    assert not out.exists()


def test_a_recorded_nab_series_is_scored_row_for_row(tmp_path: Path) -> None:
    series = require_shared_data("nab", "realTweets", "Twitter_volume_CVS.csv")
    out = tmp_path / "cvs_scores.csv"
    assert main(["signals", "score", str(series), "--out", str(out)]) == 0
    with series.open(encoding="utf-8", newline="") as handle:
        stamps = [row["timestamp"] for row in csv.DictReader(handle)]
    rows = read_scores(out)
    assert [r["timestamp"] for r in rows] == stamps
    assert sum(float(r["anomaly_score"]) >= 0.5 for r in rows) < 0.01 * len(rows)
