"""An X page file is imported in batches that carry how far they reached, so that a later run
resumes there: after an interruption, when lines were appended, or not at all when done."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from connectors.x.file_import import ImportPosition, cursor_name, read_batches, still_valid
from inbox.domain.ingestion import IngestBatch


def page(first: int, count: int = 2) -> bytes:
    tweets = [
        {
            "id": str(n),
            "text": f"@acme message {n}",
            "author_id": "42",
            "created_at": "2026-03-02T09:15:00.000Z",
        }
        for n in range(first, first + count)
    ]
    return json.dumps({"data": tweets}).encode() + b"\n"


def positions(batches: list[IngestBatch]) -> list[ImportPosition]:
    found = []
    for batch in batches:
        assert batch.cursor is not None
        decoded = ImportPosition.decode(batch.cursor.position)
        assert decoded is not None
        found.append(decoded)
    return found


def ids(batches: list[IngestBatch]) -> list[str]:
    return [m.external_id for b in batches for m in b.mentions]


def run(path: Path, start: ImportPosition | None = None, **kw: Any) -> list[IngestBatch]:
    name = cursor_name(path)
    return list(read_batches(path, batch_size=kw.get("batch", 2), cursor=name, start=start))


def test_each_batch_carries_the_offset_and_line_it_reached(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    path.write_bytes(page(1) + b"\n" + page(3) + page(5))
    batches = run(path)
    assert ids(batches) == ["1", "2", "3", "4", "5", "6"]
    assert [(p.offset, p.line) for p in positions(batches)] == [
        (len(page(1)), 1),
        (len(page(1)) + 1 + len(page(3)), 3),
        (path.stat().st_size, 4),
    ]
    assert batches[0].cursor is not None
    assert batches[0].cursor.connector == cursor_name(path)


def test_a_run_from_a_saved_position_reads_only_what_follows_it(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    path.write_bytes(page(1) + page(3) + page(5))
    stopped_at = positions(run(path))[0]
    assert still_valid(path, stopped_at)
    assert ids(run(path, stopped_at)) == ["3", "4", "5", "6"]


def test_a_finished_file_gives_nothing_and_appended_lines_are_read_next_time(
    tmp_path: Path,
) -> None:
    path = tmp_path / "pages.jsonl"
    path.write_bytes(page(1) + page(3))
    done = positions(run(path))[-1]
    assert run(path, done) == []
    with path.open("ab") as more:
        more.write(page(5))
    assert cursor_name(path) == cursor_name(tmp_path / "pages.jsonl")
    assert still_valid(path, done)
    assert ids(run(path, done)) == ["5", "6"]


def test_a_file_rewritten_before_the_saved_offset_is_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    path.write_bytes(page(1) + page(3))
    done = positions(run(path))[-1]
    path.write_bytes(page(1) + page(7))
    assert not still_valid(path, done)
    path.write_bytes(page(1))
    assert not still_valid(path, done), "shorter than the saved offset"


def test_an_incomplete_last_line_is_quarantined_once_and_read_whole_when_complete(
    tmp_path: Path,
) -> None:
    path = tmp_path / "pages.jsonl"
    whole = page(3)
    path.write_bytes(page(1) + whole[:20])
    first = run(path)
    assert ids(first) == ["1", "2"]
    assert [r.error.split(":")[0] for b in first for r in b.rejected] == ["line 2"]
    stopped_at = positions(first)[-1]
    assert (stopped_at.offset, stopped_at.line) == (len(page(1)), 1), "before the partial line"

    assert run(path, stopped_at) == [], "the same partial line is not quarantined again"
    path.write_bytes(page(1) + whole)
    assert ids(run(path, stopped_at)) == ["3", "4"]


def test_a_complete_last_line_without_its_end_of_line_is_read_and_passed(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    path.write_bytes(page(1) + page(3).rstrip(b"\n"))
    batches = run(path)
    assert ids(batches) == ["1", "2", "3", "4"]
    assert positions(batches)[-1].offset == path.stat().st_size


def test_an_empty_file_has_no_cursor_and_anything_unreadable_is_no_position(
    tmp_path: Path,
) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert cursor_name(path) is None
    assert ImportPosition.decode("12") is None
    assert ImportPosition.decode('{"offset": -1, "line": 0, "check": ""}') is None
    assert ImportPosition.decode(None) is None
