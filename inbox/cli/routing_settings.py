"""`inbox routing show|set`: the workspace's routing settings, lexicon and rules."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from inbox.bootstrap import open_runtime
from inbox.cli.common import Commands, configured, document_text
from inbox.domain.documents import read_json
from inbox.settings import Settings

Document = dict[str, dict[str, object]]


def register(commands: Commands) -> None:
    routing = commands.add_parser("routing", help="the workspace's routing settings and rules")
    routing_commands = routing.add_subparsers(dest="routing_command", required=True)
    show = routing_commands.add_parser(
        "show", help="print the settings, lexicon additions, rules and rule counts (JSON)"
    )
    configured(show, lambda args, settings: asyncio.run(_show(settings)))
    routing_set = routing_commands.add_parser(
        "set", help="check and store a routing document from a JSON or YAML file"
    )
    routing_set.add_argument(
        "file", type=Path, help='{"settings": {...}, "lexicon": {...}, "rules": {"rules": [...]}}'
    )
    configured(routing_set, _set)


def _set(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(_save(settings, _document(args.file)))


def _document(path: Path) -> Document:
    """JSON, or YAML for files ending in .yaml/.yml (safe loading: data only), read as the
    admin page reads it."""
    from inbox.usecases.admin_routing import read_yaml, routing_parts

    text = document_text(path, "JSON or YAML")
    if path.suffix.lower() in (".yaml", ".yml"):
        return routing_parts(read_yaml(text, str(path)))
    return routing_parts(read_json(text, str(path)))


async def _show(settings: Settings) -> None:
    async with open_runtime(settings) as runtime:
        service = runtime.services.routing_settings
        workspace_id = runtime.default_workspace_id
        current = await service.current(workspace_id)
        shown = {
            "version": current.version,
            "settings": current.settings,
            "lexicon": current.lexicon,
            "rules": current.rules,
            "rule_counts": await service.rule_counts(workspace_id),
        }
    print(json.dumps(shown, indent=2, ensure_ascii=False))


async def _save(settings: Settings, document: Document) -> None:
    async with open_runtime(settings) as runtime:
        version = await runtime.services.routing_settings.save(
            runtime.default_workspace_id,
            document["settings"],
            document["lexicon"],
            document["rules"],
        )
        rules = document["rules"].get("rules")
        await runtime.services.audit.record_command(
            runtime.default_workspace_id,
            "routing_imported",
            "routing",
            version,
            rules=len(rules) if isinstance(rules, list) else 0,
        )
    print(f"routing version {version} saved")
