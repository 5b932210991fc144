"""`inbox retention show|set|run`: how long the workspace keeps raw payloads, closed threads'
texts and quarantined payloads, and a pass by hand (`--dry-run` counts what it would remove)."""

from __future__ import annotations

import argparse
import asyncio

from inbox.bootstrap import open_runtime
from inbox.cli.common import Commands, configured
from inbox.domain.audit import COMMAND_LINE
from inbox.domain.retention import (
    CLOSED_THREAD_TEXT_MONTHS,
    QUARANTINE_DAYS,
    RAW_PAYLOAD_DAYS,
    RetentionReport,
    RetentionSettings,
)
from inbox.settings import Settings
from inbox.usecases.retention import RetentionOverview

# What each setting is, as `show` prints it and `set` documents it.
_OPTIONS = {
    RAW_PAYLOAD_DAYS: ("--raw-payload-days", "days", "raw payloads of messages"),
    CLOSED_THREAD_TEXT_MONTHS: ("--closed-thread-text-months", "months", "closed threads' texts"),
    QUARANTINE_DAYS: ("--quarantine-days", "days", "quarantined payloads"),
}


def register(commands: Commands) -> None:
    retention = commands.add_parser(
        "retention", help="how long raw payloads, closed threads' texts and quarantine are kept"
    )
    sub = retention.add_subparsers(dest="retention_command", required=True)
    show = sub.add_parser("show", help="the periods in force and what the last pass removed")
    configured(show, _show)
    edit = sub.add_parser(
        "set", help="change periods ('keep' keeps for ever); the others stay as they are"
    )
    for name, (option, unit, what) in _OPTIONS.items():
        edit.add_argument(option, dest=name, metavar=unit.upper(), help=f"{what}: {unit} or keep")
    configured(edit, _set)
    run = sub.add_parser("run", help="remove what is due now")
    run.add_argument("--dry-run", action="store_true", help="count what is due, remove nothing")
    configured(run, _run)


def _show(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(_shown(settings))


async def _shown(settings: Settings) -> None:
    async with open_runtime(settings) as runtime:
        overview = await runtime.services.retention.overview(runtime.default_workspace_id)
    print(overview_text(overview))


def _set(args: argparse.Namespace, settings: Settings) -> None:
    values = {name: getattr(args, name) for name in _OPTIONS if getattr(args, name) is not None}
    asyncio.run(_saved(settings, values))


async def _saved(settings: Settings, values: dict[str, object]) -> None:
    async with open_runtime(settings) as runtime:
        saved = await runtime.services.retention.set(
            runtime.default_workspace_id, values, by=COMMAND_LINE
        )
    print(settings_text(saved))


def _run(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(_ran(settings, dry_run=args.dry_run))


async def _ran(settings: Settings, *, dry_run: bool) -> None:
    async with open_runtime(settings) as runtime:
        report = await runtime.services.retention.run(runtime.default_workspace_id, dry_run=dry_run)
    print(("would remove: " if dry_run else "removed: ") + report_text(report))


def settings_text(settings: RetentionSettings) -> str:
    lines = []
    for name, (_, unit, what) in _OPTIONS.items():
        value = getattr(settings, name)
        lines.append(f"{what}: {'kept for ever' if value is None else f'{value} {unit}'}")
    return "\n".join(lines)


def report_text(report: RetentionReport) -> str:
    return (
        f"{report.raw_payloads} raw payloads, texts of {report.closed_threads} closed threads "
        f"({report.closed_messages} messages), {report.quarantined} quarantined payloads"
    )


def overview_text(overview: RetentionOverview) -> str:
    last = overview.last_run
    if last is None:
        ran = "last pass: never"
    else:
        ran = (
            f"last pass: {last.finished_at:%Y-%m-%d %H:%M} UTC ({last.run_by}), removed "
            f"{report_text(last.removed)}"
        )
    return f"{settings_text(overview.settings)}\n{ran}"
