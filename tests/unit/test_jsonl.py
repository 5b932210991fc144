"""JSON Lines files read line by line: bad lines are kept with their number and reason."""

from __future__ import annotations

from pathlib import Path

from connectors.jsonl import JsonLine, iter_jsonl
from inbox.domain.ingestion import RejectedPayload


def test_good_blank_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    path.write_bytes(b'{"a": 1}\n\n  \n[1, 2]\n{"b": \n\xff\xfe{}\n{"c": 3}')
    items = list(iter_jsonl(path, source="s"))
    assert isinstance(items[0], JsonLine)
    assert items[0].value == {"a": 1}
    assert isinstance(items[-1], JsonLine)
    assert items[-1].number == 7
    rejects = [i for i in items if isinstance(i, RejectedPayload)]
    assert [r.error.split(":")[0] for r in rejects] == ["line 4", "line 5", "line 6"]
    assert rejects[0].error == "line 4: a JSON list, not an object"
    assert rejects[1].raw == b'{"b": '
    assert "not valid JSON" in rejects[1].error
    assert rejects[2].raw == b"\xff\xfe{}"


def test_a_number_too_long_for_python_is_a_reject_naming_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    path.write_bytes(b'{"a": 1}\n{"data": {"id": ' + b"4" * 5000 + b'}}\n{"b": 2}\n')
    items = list(iter_jsonl(path, source="s"))
    assert [isinstance(i, JsonLine) for i in items] == [True, False, True]
    reject = items[1]
    assert isinstance(reject, RejectedPayload)
    assert reject.error == (
        "line 2: a number of 5,000 digits at column 17: more than 4,300 cannot be read"
    )
