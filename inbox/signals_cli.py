"""`inbox signals score`: anomaly scores for a `timestamp,value` series, computed online.

Needs no database. Each bucket is scored by `routing.signals.SignalDetector` as it closes,
from it and the rows before it only. The benchmark (bench/nab.py) scores through
`score_lines`, the same path as the command.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from inbox.domain.errors import ConfigurationError, InboxError
from routing.signals import BaselineSettings, DetectorSettings, SignalDetector, bucket_start

HEADER = ("timestamp", "value")
# Without --bucket-minutes, the bucket is the interval between the first two rows; a file of
# one row is taken as five-minute buckets.
DEFAULT_BUCKET = timedelta(minutes=5)


class SeriesLineError(InboxError):
    """A line of the series cannot be read; the message names the line and the reason."""

    def __init__(self, source: str, line: int, reason: str) -> None:
        super().__init__(f"{source} line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    at: datetime
    text: str  # the timestamp as written, given back unchanged in the output
    value: float


def read_rows(lines: Iterable[str], source: str = "input") -> Iterator[Row]:
    """The rows of a `timestamp,value` CSV, checked one by one as they are read."""
    numbered = enumerate(lines, start=1)
    first = next(numbered, None)
    if first is None:
        raise SeriesLineError(source, 1, "empty file: expected the header 'timestamp,value'")
    if tuple(cell.strip().lower() for cell in first[1].split(",")) != HEADER:
        raise SeriesLineError(source, 1, "expected the header 'timestamp,value'")
    previous: Row | None = None
    for number, line in numbered:
        if not line.strip():
            continue
        row = _row(source, number, line)
        if previous is not None:
            if (row.at.tzinfo is None) != (previous.at.tzinfo is None):
                raise SeriesLineError(
                    source, number, "timestamps must all carry a time zone, or none"
                )
            if row.at <= previous.at:
                raise SeriesLineError(
                    source, number, f"{row.text} is not after line {previous.line}'s timestamp"
                )
        previous = row
        yield row


def _row(source: str, number: int, line: str) -> Row:
    cells = line.rstrip("\r\n").split(",")
    if len(cells) != len(HEADER):
        raise SeriesLineError(source, number, f"expected 2 fields, found {len(cells)}")
    text, value_text = (cell.strip() for cell in cells)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise SeriesLineError(
            source, number, f"timestamp {text[:40]!r} is not an ISO 8601 date and time"
        ) from None
    try:
        value = float(value_text)
    except ValueError:
        raise SeriesLineError(
            source, number, f"value {value_text[:40]!r} is not a number"
        ) from None
    if not math.isfinite(value) or value < 0:
        raise SeriesLineError(source, number, f"value {value_text!r} is not a count (finite, >= 0)")
    return Row(number, at, text, value)


def score_lines(
    lines: Iterable[str], bucket: timedelta | None = None, source: str = "input"
) -> Iterator[tuple[str, float]]:
    """(timestamp, anomaly score) for each bucket, as soon as it has closed.

    Without `bucket`, each row is a bucket. With it, rows are summed into buckets of that
    width (aligned on the hour and the day) and a bucket without rows counts zero.
    """
    rows = read_rows(lines, source)
    if bucket is None:
        yield from _score_rows(rows)
    else:
        yield from _score_buckets(rows, bucket)


def _score_rows(rows: Iterator[Row]) -> Iterator[tuple[str, float]]:
    first = next(rows, None)
    if first is None:
        return
    second = next(rows, None)
    width = DEFAULT_BUCKET if second is None else second.at - first.at
    detector = SignalDetector(DetectorSettings(baseline=BaselineSettings(bucket=width)))
    for row in _chain(first, second, rows):
        yield row.text, detector.update(row.at, row.value).score


def _chain(first: Row, second: Row | None, rest: Iterator[Row]) -> Iterator[Row]:
    yield first
    if second is not None:
        yield second
        yield from rest


def _score_buckets(rows: Iterator[Row], width: timedelta) -> Iterator[tuple[str, float]]:
    detector = SignalDetector(DetectorSettings(baseline=BaselineSettings(bucket=width)))
    start: datetime | None = None
    count = 0.0
    for row in rows:
        row_start = _bucket_of(row.at, width)
        if start is None:
            start = row_start
        while start < row_start:
            yield _bucket_text(start), detector.update(start, count).score
            start += width
            count = 0.0
        count += row.value
    if start is not None:
        yield _bucket_text(start), detector.update(start, count).score


def _bucket_of(at: datetime, width: timedelta) -> datetime:
    if at.tzinfo is None:  # a naive timestamp's buckets, as if it were UTC
        return bucket_start(at.replace(tzinfo=UTC), width).replace(tzinfo=None)
    return bucket_start(at, width)


def _bucket_text(start: datetime) -> str:
    return start.isoformat(sep=" ")


def run_score(path: Path, out: Path | None, bucket_minutes: float | None) -> int:
    if bucket_minutes is not None and not (math.isfinite(bucket_minutes) and bucket_minutes > 0):
        raise ConfigurationError("--bucket-minutes", "must be a number of minutes above 0")
    bucket = None if bucket_minutes is None else timedelta(minutes=bucket_minutes)
    if not path.is_file():
        raise ConfigurationError("file", f"{path} does not exist or is not a file")
    with path.open(encoding="utf-8", errors="replace", newline="") as source:
        scores = score_lines(source, bucket, source=str(path))
        if out is None:
            _write(sys.stdout, scores)
        else:
            _write_whole(out, scores)
    return 0


def _write(target: TextIO, scores: Iterable[tuple[str, float]]) -> None:
    target.write("timestamp,anomaly_score\n")
    for stamp, score in scores:
        target.write(f"{stamp},{score:.10g}\n")


def _write_whole(out: Path, scores: Iterable[tuple[str, float]]) -> None:
    """Into a file beside `out`, renamed over it only once every line has been written: a
    bad line leaves nothing half-written."""
    directory = out.resolve().parent
    if not directory.is_dir():
        raise ConfigurationError("--out", f"{directory} is not a directory")
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as target:
            _write(target, scores)
        os.replace(temporary, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
