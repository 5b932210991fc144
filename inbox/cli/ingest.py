"""`inbox ingest FILE`: import X API v2 response pages, resumed where the last import stopped."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from inbox.bootstrap import open_runtime, workspace_setup
from inbox.cli.common import Commands, configured
from inbox.domain.errors import ConfigurationError
from inbox.settings import Settings


def register(commands: Commands) -> None:
    ingest = commands.add_parser(
        "ingest",
        help="import X API v2 response pages (JSON Lines, one page a line); a file imported "
        "before is resumed where the last import stopped",
    )
    ingest.add_argument("file", type=Path)
    ingest.add_argument("--batch", type=int, default=1000, help="mentions per transaction")
    configured(ingest, _ingest)


def _ingest(args: argparse.Namespace, settings: Settings) -> None:
    if not args.file.is_file():
        raise ConfigurationError("file", f"{args.file} does not exist or is not a file")
    if args.batch < 1:
        raise ConfigurationError("--batch", "must be at least 1")
    asyncio.run(ingest(settings, args.file, args.batch))


async def ingest(settings: Settings, path: Path, batch_size: int) -> None:
    from connectors.x.file_import import ImportPosition, cursor_name, read_batches, still_valid

    cursor = cursor_name(path)
    async with open_runtime(settings) as runtime:
        imports = workspace_setup(runtime).imports
        workspace_id = runtime.default_workspace_id
        saved = (
            ImportPosition.decode(await imports.saved_cursor(workspace_id, cursor))
            if cursor is not None
            else None
        )
        start = saved if saved is not None and still_valid(path, saved) else None
        if saved is not None and start is None:
            print(f"{path.name}: changed since it was last imported: read again from the top")
        elif start is not None:
            print(f"{path.name}: imported before up to line {start.line}: resuming there")
        batches, totals = await imports(
            workspace_id, read_batches(path, batch_size=batch_size, cursor=cursor, start=start)
        )
    if start is not None and batches == 0:
        print(f"{path.name}: nothing new after line {start.line}")
    print(
        f"{path.name}: {totals.mentions_added} mentions added, {totals.duplicates} already "
        f"stored, {totals.quarantined} quarantined, {totals.threads_created} threads and "
        f"{totals.customers_created} customers created"
    )
