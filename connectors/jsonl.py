"""Reading JSON Lines files line by line, keeping every line that does not parse."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inbox.domain.ingestion import RejectedPayload

_LONG_DIGITS = re.compile(rb"[0-9]{%d,}" % (sys.get_int_max_str_digits() + 1))


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
    except (ValueError, RecursionError) as exc:
        return RejectedPayload(source, raw, f"line {number}: {unreadable_json(raw, exc)}")
    if not isinstance(value, dict):
        kind = type(value).__name__ if value is not None else "null"
        return RejectedPayload(source, raw, f"line {number}: a JSON {kind}, not an object")
    return JsonLine(number, value, raw)


def unreadable_json(raw: bytes, error: ValueError | RecursionError) -> str:
    """Why `json.loads(raw)` raised `error`, in words that say where when the parser knows.

    Besides malformed text, Python's parser refuses what it cannot hold: nesting deeper than
    its stack (RecursionError) and integers of more than 4,300 digits (a plain ValueError that
    does not say where: the run of digits is found here)."""
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 text ({error.reason})"
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON ({error.msg} at column {error.colno})"
    if isinstance(error, RecursionError):
        return "JSON nested too deeply"
    found = _LONG_DIGITS.search(raw)
    if found is None:
        return f"unreadable JSON ({error})"
    digits = found.end() - found.start()
    return (
        f"a number of {digits:,} digits at column {found.start() + 1}: more than "
        f"{sys.get_int_max_str_digits():,} cannot be read"
    )


def iter_jsonl(path: Path, *, source: str) -> Iterator[JsonLine | RejectedPayload]:
    """Each non-blank line of the file, in order; a truncated last line is a reject too."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield parse_line(number, line, source=source)
