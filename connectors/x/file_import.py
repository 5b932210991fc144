"""Import of X API v2 response pages saved as JSON Lines (backfills and migrations)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from connectors.jsonl import iter_jsonl
from connectors.x.normalise import normalise_page
from inbox.domain.ingestion import IngestBatch, RejectedPayload
from inbox.domain.mention import Mention


def read_batches(path: Path, *, batch_size: int) -> Iterator[IngestBatch]:
    """Batches of about `batch_size` mentions; lines or tweets that fail travel as rejects.

    A page is never split across two batches, so a batch may exceed `batch_size` by less
    than one page (100 tweets at most from the API).
    """
    source = f"x-import:{path.name}"
    mentions: list[Mention] = []
    rejected: list[RejectedPayload] = []
    for line in iter_jsonl(path, source=source):
        if isinstance(line, RejectedPayload):
            rejected.append(line)
        else:
            page = normalise_page(line.value, source=source)
            mentions.extend(page.mentions)
            rejected.extend(
                RejectedPayload(r.source, r.raw, f"line {line.number}: {r.error}")
                for r in page.rejected
            )
        if len(mentions) >= batch_size:
            yield IngestBatch(mentions, rejected)
            mentions, rejected = [], []
    if mentions or rejected:
        yield IngestBatch(mentions, rejected)
