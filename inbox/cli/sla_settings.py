"""`inbox sla show|set|check`: the workspace's SLA calendars and policies, and expected-outcome
cases checked against the engine."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from inbox.bootstrap import open_runtime
from inbox.cli.common import Commands, configured, document_text, standalone
from inbox.domain.documents import read_json
from inbox.domain.errors import ConfigurationError
from inbox.settings import Settings

EXIT_FAILED_CASES = 1


def register(commands: Commands) -> None:
    sla = commands.add_parser("sla", help="the workspace's SLA calendars and policies")
    sla_commands = sla.add_subparsers(dest="sla_command", required=True)
    show = sla_commands.add_parser("show", help="print the settings in force (JSON)")
    configured(show, lambda args, settings: asyncio.run(_show(settings)))
    sla_set = sla_commands.add_parser(
        "set", help="validate and store settings from a JSON file, re-planning running clocks"
    )
    sla_set.add_argument("file", type=Path, help='{"calendars": {...}, "policies": {...}}')
    configured(sla_set, _set)
    sla_check = sla_commands.add_parser(
        "check",
        help="evaluate expected-outcome cases (deadline, elapsed minutes, breach) with the "
        "engine; one PASS/FAIL line a case, exit code 1 if any failed",
    )
    sla_check.add_argument("file", type=Path, help='{"cases": [...]}')
    standalone(sla_check, lambda args: check(args.file))


def _set(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(_save(settings, _document(args.file)))


def _document(path: Path) -> dict[str, dict[str, object]]:
    document = read_json(document_text(path, "JSON"), str(path))
    if not isinstance(document, dict) or not all(
        isinstance(document.get(key), dict) for key in ("calendars", "policies")
    ):
        raise ConfigurationError(str(path), 'expected {"calendars": {...}, "policies": {...}}')
    return {"calendars": document["calendars"], "policies": document["policies"]}


async def _show(settings: Settings) -> None:
    async with open_runtime(settings) as runtime:
        current = await runtime.services.sla_settings.current(runtime.default_workspace_id)
    shown = {"version": current.version, "calendars": current.calendars,
             "policies": current.policies}  # fmt: skip
    print(json.dumps(shown, indent=2, ensure_ascii=False))


async def _save(settings: Settings, document: dict[str, dict[str, object]]) -> None:
    async with open_runtime(settings) as runtime:
        version, replanned = await runtime.services.sla_settings(
            runtime.default_workspace_id, document["calendars"], document["policies"]
        )
        await runtime.services.audit.record_command(
            runtime.default_workspace_id,
            "sla_settings_imported",
            "sla_settings",
            version,
            calendars=sorted(document["calendars"]),
            clocks_replanned=replanned,
        )
    print(f"SLA settings version {version} saved; {replanned} threads' running clocks re-planned")


def check(path: Path) -> int:
    """Needs no database: the cases carry their calendars."""
    from sla.cases import CaseError, check_all

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(str(path), f"not a readable JSON file: {exc}") from exc
    try:
        verdicts = check_all(document)
    except CaseError as exc:
        raise ConfigurationError(str(path), str(exc)) from exc
    for verdict in verdicts:
        print(verdict.line())
    failed = sum(not verdict.passed for verdict in verdicts)
    print(f"{len(verdicts) - failed} passed, {failed} failed")
    return EXIT_FAILED_CASES if failed else 0
