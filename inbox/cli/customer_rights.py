"""`inbox customers export`, `erase` and `was-erased`: a customer's access and erasure
requests, served from the instance's command line (recorded as the command line's)."""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

from inbox.bootstrap import open_runtime
from inbox.cli.common import Commands, configured
from inbox.domain.network import Network
from inbox.settings import Settings
from inbox.usecases.customer_rights import requested_on_command_line


def register(sub: Commands) -> None:
    """The two subcommands, under `inbox customers`."""
    export = sub.add_parser(
        "export", help="everything held about a customer: a zip of a JSON document and a page"
    )
    export.add_argument("id", type=int)
    export.add_argument("--out", type=Path, help="the zip file (default customer-ID.zip)")
    configured(export, lambda args, settings: asyncio.run(_export(settings, args)))

    erase = sub.add_parser(
        "erase",
        help="erase a customer's texts, payloads, names and notes; keep counts and timings",
    )
    erase.add_argument("id", type=int)
    erase.add_argument(
        "--reason", required=True, help="the request it answers (a reference, not the person)"
    )
    configured(erase, lambda args, settings: asyncio.run(_erase(settings, args)))

    erased = sub.add_parser(
        "was-erased", help="whether a network account was erased (from its tombstone)"
    )
    erased.add_argument("network", choices=[n.value for n in Network])
    erased.add_argument("user_id", help="the account's id on the network")
    configured(erased, lambda args, settings: asyncio.run(_was_erased(settings, args)))


async def _export(settings: Settings, args: argparse.Namespace) -> None:
    out: Path = args.out or Path(f"customer-{args.id}.zip")
    partial = out.with_name(out.name + ".part")
    async with open_runtime(settings) as runtime:
        request = requested_on_command_line(runtime.default_workspace_id)
        try:
            # Written beside, then renamed: a failed export leaves no half zip under its name.
            with partial.open("wb") as file:
                summary = await runtime.services.customer_rights.export(request, args.id, file)
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    rows = ", ".join(f"{name} {count}" for name, count in summary.counts.items() if count)
    print(f"customer {args.id} exported to {out}: {rows or 'nothing held'}")


async def _erase(settings: Settings, args: argparse.Namespace) -> None:
    async with open_runtime(settings) as runtime:
        request = requested_on_command_line(runtime.default_workspace_id)
        erasure = await runtime.services.customer_rights.erase(request, args.id, reason=args.reason)
    changed = ", ".join(f"{name} {count}" for name, count in erasure.counts.items() if count)
    print(f"customer {args.id} erased, now {erasure.pseudonym} (erasure {erasure.erasure_id})")
    print(f"  emptied or removed: {changed or 'nothing'}")


async def _was_erased(settings: Settings, args: argparse.Namespace) -> None:
    async with open_runtime(settings) as runtime:
        request = requested_on_command_line(runtime.default_workspace_id)
        found = await runtime.services.customer_rights.erased_before(
            request, args.network, args.user_id
        )
    if found is None:
        print(f"no erasure of that {args.network} account")
    else:
        print(
            f"erased {found.erased_at:%Y-%m-%d %H:%M} UTC by {found.erased_by}: customer "
            f"{found.customer_id}, now {found.pseudonym} (erasure {found.erasure_id})"
        )
