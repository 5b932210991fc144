"""`inbox customers`: show and set a customer's record, import CRM ids and attributes from a
CSV file, merge, split and undo a merge, and say which evidence merges by itself; export and
erase a customer's data (inbox.cli.customer_rights)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from inbox.bootstrap import open_runtime
from inbox.cli import customer_rights
from inbox.cli.common import Commands, Configured, configured, document_text
from inbox.domain.audit import COMMAND_LINE
from inbox.domain.customer_record import AUTO_MERGEABLE, MERGE_FIELDS, CustomerRecord
from inbox.settings import Settings
from inbox.usecases.customer_import import IMPORT_COLUMNS, ImportReport
from inbox.usecases.customers import Customers, RecordEdit


def register(commands: Commands) -> None:
    customers = commands.add_parser("customers", help="the customer record")
    sub = customers.add_subparsers(dest="customers_command", required=True)

    show = sub.add_parser("show", help="a customer's record, identities and threads")
    show.add_argument("id", type=int)
    configured(show, _run(_show))

    edit = sub.add_parser("set", help="edit a customer's record")
    edit.add_argument("id", type=int)
    edit.add_argument("--vip", action=argparse.BooleanOptionalAction, default=None)
    edit.add_argument(
        "--owner", metavar="EMAIL", help="the colleague who follows them; '' for none"
    )
    edit.add_argument("--crm-id", help="their id in the CRM; '' clears it")
    edit.add_argument("--tag", action="append", default=[], help="repeatable; added to theirs")
    edit.add_argument("--clear-tags", action="store_true", help="remove their tags first")
    edit.add_argument("--language", help="preferred language (fr, en...); '' clears it")
    configured(edit, _run(_set))

    load = sub.add_parser(
        "import",
        help="link CRM ids and attributes to identities from a CSV file",
        description=f"Columns (header row): {', '.join(IMPORT_COLUMNS)}. Each row names an "
        "identity by network and handle or external_id; empty cells change nothing; tags are "
        "separated by ';'. One bad row and nothing is applied.",
    )
    load.add_argument("file", type=Path)
    load.add_argument(
        "--dry-run", action="store_true", help="say what would change, change nothing"
    )
    configured(load, _run(_import))

    merge = sub.add_parser("merge", help="fold customer OTHER into customer KEPT")
    merge.add_argument("kept", type=int)
    merge.add_argument("other", type=int)
    merge.add_argument("--reason", required=True)
    merge.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="FIELD=kept|other",
        help=f"where both differ ({', '.join(MERGE_FIELDS)}): whose value stays",
    )
    configured(merge, _run(_merge))

    split = sub.add_parser("split", help="move an identity and its threads to a new customer")
    split.add_argument("id", type=int)
    split.add_argument("--identity", type=int, required=True)
    split.add_argument("--reason", required=True)
    configured(split, _run(_split))

    undo = sub.add_parser("undo", help="undo a merge (its change number)")
    undo.add_argument("change", type=int)
    configured(undo, _run(_undo))

    auto = sub.add_parser("auto-merge", help="the evidence that merges without a person")
    auto.add_argument(
        "kinds", nargs="*", metavar="KIND", help=f"among {', '.join(sorted(AUTO_MERGEABLE))}"
    )
    configured(auto, _run(_auto_merge))

    customer_rights.register(sub)


# A subcommand: the use case, the instance's workspace and the parsed arguments.
Command = Callable[[Customers, int, argparse.Namespace], Awaitable[None]]


def _run(command: Command) -> Configured:
    async def opened(settings: Settings, args: argparse.Namespace) -> None:
        async with open_runtime(settings) as runtime:
            await command(runtime.services.customers, runtime.default_workspace_id, args)

    return lambda args, settings: asyncio.run(opened(settings, args))


def _shown(text: object) -> str:
    """Network text on a terminal: no control characters (escape sequences)."""
    return "".join(c if c.isprintable() else "?" for c in str(text))


def _print_record(record: CustomerRecord) -> None:
    fields = record.fields
    print(f"customer {record.id}: {_shown(record.display_name or '(no name)')}")
    if record.merged_into_id is not None:
        print(f"  merged into customer {record.merged_into_id}")
    print(f"  vip: {'yes' if fields.vip else 'no'}")
    print(f"  owner: {_shown(record.owner_email or '-')}")
    print(f"  crm id: {_shown(fields.crm_id or '-')}")
    print(f"  tags: {_shown(', '.join(fields.tags) or '-')}")
    print(f"  language: {fields.language or '-'}")
    for identity in record.identities:
        who = identity.handle or identity.external_user_id
        print(f"  identity {identity.id}: {identity.network} @{_shown(who)}")


async def _show(customers: Customers, workspace_id: int, args: argparse.Namespace) -> None:
    _print_record(await customers.show(workspace_id, args.id))
    for thread in await customers.threads(workspace_id, args.id):
        print(
            f"  thread {thread.id} {thread.opened_at:%Y-%m-%d %H:%M} {thread.network} "
            f"{thread.status}: {_shown(thread.excerpt[:80])}"
        )


async def _set(customers: Customers, workspace_id: int, args: argparse.Namespace) -> None:
    tags = None
    if args.tag or args.clear_tags:
        kept = () if args.clear_tags else (await customers.show(workspace_id, args.id)).fields.tags
        tags = (*kept, *args.tag)
    edit = RecordEdit(
        vip=args.vip,
        owner_email=args.owner,
        crm_id=args.crm_id,
        tags=tags,
        language=args.language,
    )
    _print_record(await customers.edit(workspace_id, args.id, edit, COMMAND_LINE))


async def _import(customers: Customers, workspace_id: int, args: argparse.Namespace) -> None:
    text = document_text(args.file, "CSV")
    report = await customers.import_csv(workspace_id, text, dry_run=args.dry_run, by=COMMAND_LINE)
    _print_report(report, dry_run=args.dry_run)


def _print_report(report: ImportReport, *, dry_run: bool) -> None:
    would = "would change" if dry_run else "changed"
    for change in report.changes:
        said = "; ".join(
            f"{name} {_shown(before)!s} -> {_shown(after)!s}"
            for name, (before, after) in change.changes.items()
        )
        print(f"line {change.line}: customer {change.customer_id} {would}: {said}")
    print(f"{len(report.changes)} customer(s) {would}, {report.unchanged} unchanged")
    if report.merged:
        print(f"{report.merged} merge(s) on evidence the workspace accepts as certain")


async def _merge(customers: Customers, workspace_id: int, args: argparse.Namespace) -> None:
    choices = dict(choice.partition("=")[::2] for choice in args.keep)
    change = await customers.merge(
        workspace_id, args.kept, args.other, choices=choices, by=COMMAND_LINE, reason=args.reason
    )
    print(f"customer {args.other} merged into {args.kept} (change {change}; undo with it)")


async def _split(customers: Customers, workspace_id: int, args: argparse.Namespace) -> None:
    new_id = await customers.split(
        workspace_id, args.id, args.identity, by=COMMAND_LINE, reason=args.reason
    )
    print(f"identity {args.identity} and its threads are now customer {new_id}")


async def _undo(customers: Customers, workspace_id: int, args: argparse.Namespace) -> None:
    change = await customers.undo_merge(workspace_id, args.change, COMMAND_LINE)
    print(f"merge {change.id} undone: customer {change.other_customer_id} is back")


async def _auto_merge(customers: Customers, workspace_id: int, args: argparse.Namespace) -> None:
    if args.kinds:
        await customers.set_auto_merge(workspace_id, args.kinds, COMMAND_LINE)
    accepted = await customers.auto_merge_kinds(workspace_id)
    print(f"merged without a person on: {', '.join(sorted(accepted)) or 'nothing'}")
