"""Import of X API v2 response pages saved as JSON Lines (backfills and migrations).

An import resumes where the last one stopped: each batch carries, as its connector cursor,
the byte offset and line number it reached, saved in the batch's own transaction. The cursor
is keyed by the file's identity (a digest of its first line, so a file that grows or is moved
keeps it) and holds a digest of the bytes just before the offset: if the file no longer holds
them there, it is read again from the top (ingestion drops what it already has). A file read
to its end adds nothing on the next run; lines appended since are read then.

A last line without its end of line may be still being written: it is read (and quarantined
if it does not parse), but the cursor stays before it, so that the next run reads it again
once complete; the same incomplete line is not quarantined twice.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from connectors.jsonl import JsonLine, parse_line
from connectors.x.normalise import normalise_page
from inbox.domain.ingestion import ConnectorCursor, IngestBatch, RejectedPayload
from inbox.domain.mention import Mention

# How much of the file before the offset must be as it was for a resume to be trusted.
CHECKED_BYTES = 4096
# How much of the first line names the file.
IDENTITY_BYTES = 65_536


@dataclass(frozen=True, slots=True)
class ImportPosition:
    """How far an import of one file has been committed."""

    offset: int  # bytes read and stored (or quarantined), up to the end of a line
    line: int  # lines up to there, blank ones included
    check: str  # sha256 of the CHECKED_BYTES before `offset`
    partial: str | None = None  # sha256 of an incomplete last line already quarantined

    def encode(self) -> str:
        return json.dumps(
            {"offset": self.offset, "line": self.line, "check": self.check, "partial": self.partial}
        )

    @classmethod
    def decode(cls, text: str | None) -> ImportPosition | None:
        """The position a cursor holds; None for anything else (then the file is read whole)."""
        if text is None:
            return None
        try:
            value = json.loads(text)
            position = cls(
                int(value["offset"]), int(value["line"]), str(value["check"]), value.get("partial")
            )
        except (ValueError, TypeError, KeyError):
            return None
        if position.offset < 0 or position.line < 0:
            return None
        return position


def cursor_name(path: Path) -> str | None:
    """The cursor of this file's imports, from its first line; None for an empty file."""
    with path.open("rb") as lines:
        first = lines.readline(IDENTITY_BYTES)
    if not first:
        return None
    return f"x-import:{hashlib.sha256(first).hexdigest()[:24]}"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _bytes_before(file: BinaryIO, offset: int) -> bytes:
    start = max(0, offset - CHECKED_BYTES)
    return os.pread(file.fileno(), offset - start, start)


def still_valid(path: Path, position: ImportPosition) -> bool:
    """Whether the file still holds, before the saved offset, the bytes it held then."""
    with path.open("rb") as file:
        if os.fstat(file.fileno()).st_size < position.offset:
            return False
        return _digest(_bytes_before(file, position.offset)) == position.check


def read_batches(
    path: Path,
    *,
    batch_size: int,
    cursor: str | None = None,
    start: ImportPosition | None = None,
) -> Iterator[IngestBatch]:
    """Batches of about `batch_size` mentions from `start` on (the top without it); lines or
    tweets that fail travel as rejects. With `cursor`, each batch carries the position its
    last line reached.

    A page is never split across two batches, so a batch may exceed `batch_size` by less
    than one page (100 tweets at most from the API).
    """
    source = f"x-import:{path.name}"
    offset, number = (start.offset, start.line) if start else (0, 0)
    written = number  # the line the last batch handed out reached
    mentions: list[Mention] = []
    rejected: list[RejectedPayload] = []
    with path.open("rb") as file:
        file.seek(offset)

        def batch(partial: str | None = None) -> IngestBatch:
            position = None
            if cursor is not None:
                check = _digest(_bytes_before(file, offset))
                place = ImportPosition(offset, number, check, partial).encode()
                position = ConnectorCursor(connector=cursor, position=place)
            return IngestBatch(mentions, rejected, position)

        for line in file:
            if not line.endswith(b"\n"):
                if start is not None and start.partial == _digest(line):
                    break  # the same incomplete line as last time: quarantined then
                read = parse_line(number + 1, line, source=source) if line.strip() else None
                if isinstance(read, RejectedPayload):
                    rejected.append(read)
                    yield batch(partial=_digest(line))
                    return
            number += 1
            offset += len(line)
            if line.strip():
                _take(parse_line(number, line, source=source), mentions, rejected, source)
            if len(mentions) >= batch_size:
                yield batch()
                mentions, rejected, written = [], [], number
        # Blank lines alone still move the cursor on.
        if mentions or rejected or (cursor is not None and number > written):
            yield batch()


def _take(
    line: JsonLine | RejectedPayload,
    mentions: list[Mention],
    rejected: list[RejectedPayload],
    source: str,
) -> None:
    if isinstance(line, RejectedPayload):
        rejected.append(line)
        return
    page = normalise_page(line.value, source=source)
    mentions.extend(page.mentions)
    rejected.extend(
        RejectedPayload(r.source, r.raw, f"line {line.number}: {r.error}") for r in page.rejected
    )
