"""`inbox ingest` classifying in a process of its own (INBOX_CLASSIFIER_PROCESSES): the file
stored and classified as in a thread, and the command ending with nothing left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_cli import env_with, run
from tests.e2e.test_cli_ingest_faults import fetch, line, tweet

pytestmark = pytest.mark.integration


def test_an_import_classified_in_a_process_is_stored_classified_and_the_command_ends_clean(
    tmp_path: Path, database_dsn: str
) -> None:
    path = tmp_path / "mentions.jsonl"
    path.write_text(line(tweet(1), tweet(2)) + line(tweet(3)) + line(tweet(4), tweet(5)))

    # The helpers (fork server, classifier process) share the command's output pipes: the
    # command is over, for `run`, only once every one of them has ended.
    result = run(
        "ingest",
        str(path),
        env=env_with(DATABASE_URL=database_dsn, INBOX_CLASSIFIER_PROCESSES="1"),
    )

    assert result.returncode == 0, result.stderr
    assert "mentions.jsonl: 5 mentions added, 0 already stored, 0 quarantined" in result.stdout
    assert "Warning" not in result.stderr
    assert "Traceback" not in result.stderr
    kinds = fetch(database_dsn, "SELECT kind FROM mention_classification")
    assert [k["kind"] for k in kinds] == ["complaint"] * 5
