"""`inbox ingest` as a user runs it on files a hostile or broken source produced: every good
line is stored, the bad ones are quarantined or repaired with the field named, and an
interrupted import resumes where it stopped."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.e2e.test_cli import INBOX, env_with, run

pytestmark = pytest.mark.integration


def tweet(
    number: int, created_at: str = "2026-03-02T09:15:00.000Z", **extra: Any
) -> dict[str, Any]:
    return {
        "id": str(number),
        "text": f"@acme no network at all since this morning, panne ({number})",
        "author_id": str(1000 + number),
        "created_at": created_at,
        "conversation_id": str(number),
        **extra,
    }


def line(*tweets: dict[str, Any]) -> str:
    # Python writes NaN and Infinity as JSON does not; some exporters do the same.
    return json.dumps({"data": list(tweets)}) + "\n"


def fetch(dsn: str, query: str) -> list[dict[str, Any]]:
    async def rows() -> list[dict[str, Any]]:
        conn = await asyncpg.connect(dsn)
        try:
            return [dict(r) for r in await conn.fetch(query)]
        finally:
            await conn.close()

    return asyncio.run(rows())


def test_far_future_and_year_one_tweets_are_stored_at_their_arrival_claims_kept(
    database_dsn: str, tmp_path: Path
) -> None:
    next_year = (datetime.now(UTC) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    path = tmp_path / "dates.jsonl"
    path.write_text(
        line(tweet(1, next_year), tweet(2, "9999-12-31T23:59:59.000Z"))
        + line(tweet(3, "0001-01-01T00:00:00.000Z"), tweet(4))
    )
    before = datetime.now(UTC)
    result = run("ingest", str(path), env=env_with(DATABASE_URL=database_dsn))
    after = datetime.now(UTC)

    assert result.returncode == 0, result.stderr
    assert "dates.jsonl: 4 mentions added, 0 already stored, 0 quarantined" in result.stdout
    stored = {
        r["external_id"]: r
        for r in fetch(
            database_dsn,
            """SELECT m.external_id, m.created_at, m.claimed_at, c.started_at
               FROM mention m JOIN sla_clock c
                 ON c.workspace_id = m.workspace_id AND c.thread_id = m.thread_id""",
        )
    }
    for forged in ("1", "2", "3"):
        assert before <= stored[forged]["created_at"] <= after
        assert stored[forged]["started_at"] == stored[forged]["created_at"]
        assert stored[forged]["claimed_at"] is not None
    assert stored["2"]["claimed_at"] == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert stored["4"]["created_at"] == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    assert stored["4"]["claimed_at"] is None


def test_nan_infinity_and_huge_numbers_beside_good_lines_never_fail_the_import(
    database_dsn: str, tmp_path: Path
) -> None:
    path = tmp_path / "numbers.jsonl"
    path.write_text(
        line(tweet(1))
        + line(tweet(2, public_metrics={"score": float("nan"), "reach": float("inf")}))
        + '{"data": [{"id": "3", "text": "hi", "author_id": "7", "n": '
        + "9" * 5000
        + "}]}\n"
        + line(tweet(4, public_metrics={"impressions": 2**70}))
        + line(tweet(5))
    )
    result = run("ingest", str(path), env=env_with(DATABASE_URL=database_dsn))

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "numbers.jsonl: 4 mentions added, 0 already stored, 1 quarantined" in result.stdout
    raws = {
        r["external_id"]: r["raw"]
        for r in fetch(database_dsn, "SELECT external_id, raw::text AS raw FROM mention")
    }
    assert sorted(raws) == ["1", "2", "4", "5"]
    assert '"score": "NaN"' in raws["2"]
    assert '"reach": "Infinity"' in raws["2"]
    assert f'"impressions": "{2**70}"' in raws["4"]
    (quarantined,) = fetch(database_dsn, "SELECT error FROM quarantine")
    assert quarantined["error"] == (
        "line 3: a number of 5,000 digits at column 60: more than 4,300 cannot be read"
    )


def test_lines_appended_after_an_import_are_read_by_the_next_one_alone(
    database_dsn: str, tmp_path: Path
) -> None:
    env = env_with(DATABASE_URL=database_dsn)
    path = tmp_path / "growing.jsonl"
    path.write_text(line(tweet(1), tweet(2)) + line(tweet(3)))
    assert "3 mentions added" in run("ingest", str(path), env=env).stdout

    again = run("ingest", str(path), env=env)
    assert again.returncode == 0, again.stderr
    assert "growing.jsonl: nothing new after line 2" in again.stdout
    assert "0 mentions added, 0 already stored" in again.stdout

    with path.open("a") as more:
        more.write(line(tweet(4), tweet(5)))
    grown = run("ingest", str(path), env=env)
    assert "imported before up to line 2: resuming there" in grown.stdout
    assert "growing.jsonl: 2 mentions added, 0 already stored" in grown.stdout


def test_an_interrupted_import_resumes_near_where_it_stopped(
    database_dsn: str, tmp_path: Path
) -> None:
    env = env_with(DATABASE_URL=database_dsn)
    path = tmp_path / "big.jsonl"
    lines = 600
    path.write_text("".join(line(*(tweet(n * 5 + k) for k in range(5))) for n in range(lines)))
    process = subprocess.Popen(  # noqa: S603
        [*INBOX, "ingest", str(path), "--batch", "5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        position = None
        while position is None and time.monotonic() < deadline:
            assert process.poll() is None, "the import finished before it could be stopped"
            found = fetch(database_dsn, "SELECT position FROM connector_cursor")
            if found and json.loads(found[0]["position"])["line"] >= 20:
                position = found[0]["position"]
            else:
                time.sleep(0.05)
        assert position is not None, "no batch was committed in time"
        process.send_signal(signal.SIGKILL)
    finally:
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    (stored,) = fetch(database_dsn, "SELECT count(*) AS n FROM mention")
    assert 0 < stored["n"] < lines * 5

    resumed = run("ingest", str(path), "--batch", "500", env=env)
    assert resumed.returncode == 0, resumed.stderr
    stopped_at = int(resumed.stdout.split("up to line ")[1].split(":")[0])
    assert stopped_at >= 20
    added = int(resumed.stdout.split("big.jsonl: ")[-1].split(" mentions added")[0])
    assert added == lines * 5 - stored["n"], "exactly what the interrupted run had not stored"
    assert "0 already stored" in resumed.stdout
    (total,) = fetch(database_dsn, "SELECT count(*) AS n FROM mention")
    assert total["n"] == lines * 5
