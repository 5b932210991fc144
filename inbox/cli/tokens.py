"""`inbox token create`: an API token, shown once."""

from __future__ import annotations

import argparse
import asyncio

from inbox.bootstrap import open_runtime
from inbox.cli.common import Commands, configured
from inbox.domain.people import Role
from inbox.settings import Settings


def register(commands: Commands) -> None:
    token = commands.add_parser("token", help="API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="issue a token; it is shown once")
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=[r.value for r in Role], default=Role.AGENT.value)
    create.add_argument(
        "--agent", metavar="EMAIL", help="the agent the token acts for (claims, replies, answers)"
    )
    configured(create, _create)


def _create(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(_issue(settings, args.name, Role(args.role), args.agent))


async def _issue(settings: Settings, name: str, role: Role, agent: str | None) -> None:
    async with open_runtime(settings) as runtime:
        workspace_id = runtime.default_workspace_id
        token = await runtime.services.tokens.issue(workspace_id, name, role, agent)
        await runtime.services.audit.record_command(
            workspace_id, "token_created", "token", None, name=name, role=role, agent=agent
        )
    print(token)
