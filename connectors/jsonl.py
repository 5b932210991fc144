"""Reading JSON Lines files line by line, keeping every line that does not parse."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inbox.domain.ingestion import RejectedPayload


@dataclass(frozen=True, slots=True)
class JsonLine:
    """One parsed line: its number (from 1), its object and its exact bytes."""

    number: int
    value: dict[str, Any]
    raw: bytes


def parse_line(number: int, line: bytes, *, source: str) -> JsonLine | RejectedPayload:
    """One line as an object, or a reject keeping the line's bytes and saying what is wrong."""
    raw = line.rstrip(b"\r\n")
    try:
        value = json.loads(raw)
    except UnicodeDecodeError as exc:
        return RejectedPayload(source, raw, f"line {number}: not UTF-8 text ({exc.reason})")
    except json.JSONDecodeError as exc:
        return RejectedPayload(
            source, raw, f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})"
        )
    except RecursionError:
        return RejectedPayload(source, raw, f"line {number}: JSON nested too deeply")
    if not isinstance(value, dict):
        kind = type(value).__name__ if value is not None else "null"
        return RejectedPayload(source, raw, f"line {number}: a JSON {kind}, not an object")
    return JsonLine(number, value, raw)


def iter_jsonl(path: Path, *, source: str) -> Iterator[JsonLine | RejectedPayload]:
    """Each non-blank line of the file, in order; a truncated last line is a reject too."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield parse_line(number, line, source=source)
