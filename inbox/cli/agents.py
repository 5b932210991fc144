"""`inbox agent add`: create or update an agent by e-mail, with their roles, teams and,
from standard input, their web login password."""

from __future__ import annotations

import argparse
import asyncio
import sys

from pydantic import SecretStr

from inbox.bootstrap import open_runtime, workspace_setup
from inbox.cli.common import Commands, configured
from inbox.domain.people import Role
from inbox.settings import Settings


def register(commands: Commands) -> None:
    agent = commands.add_parser("agent", help="the people who work the inbox")
    agent_commands = agent.add_subparsers(dest="agent_command", required=True)
    add = agent_commands.add_parser(
        "add", help="create or update an agent (by e-mail) with these roles and teams"
    )
    add.add_argument("email")
    add.add_argument("--name", required=True, help="the name colleagues see")
    add.add_argument(
        "--role",
        action="append",
        choices=[r.value for r in Role],
        help="repeatable; default agent. Leads receive breach escalations",
    )
    add.add_argument("--team", action="append", default=[], help="repeatable")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read a web login password (12 characters or more) from standard input",
    )
    configured(add, lambda args, settings: asyncio.run(_save(settings, args)))


async def _save(settings: Settings, args: argparse.Namespace) -> None:
    password = None
    if args.password_stdin:
        password = SecretStr(sys.stdin.readline().rstrip("\r\n"))
    async with open_runtime(settings) as runtime:
        saved = await workspace_setup(runtime).agents.save(
            runtime.default_workspace_id,
            args.email,
            args.name,
            [Role(r) for r in args.role or []],
            args.team,
            password=password,
        )
        await runtime.services.audit.record_command(
            runtime.default_workspace_id,
            "agent_saved",
            "person",
            saved.agent_id,
            email=saved.email,
            roles=list(saved.roles),
            teams=list(saved.teams),
            password_set=password is not None,
        )
    print(
        f"agent {saved.email} (id {saved.agent_id}) saved: roles {', '.join(saved.roles)}"
        + (f"; teams {', '.join(saved.teams)}" if saved.teams else "")
    )
