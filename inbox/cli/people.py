"""`inbox token create`, `inbox account add`, `inbox agent add`: who works the inbox, and
the brand's accounts."""

from __future__ import annotations

import argparse
import asyncio
import sys

from pydantic import SecretStr

from inbox.bootstrap import open_runtime, workspace_setup
from inbox.cli.common import Commands, online
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.settings import Settings

ROLES = [r.value for r in Role]


def register_token_and_account(commands: Commands) -> None:
    token = commands.add_parser("token", help="API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="issue a token; it is shown once")
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=ROLES, default=Role.AGENT.value)
    create.add_argument(
        "--agent", metavar="EMAIL", help="the agent the token acts for (claims, replies, answers)"
    )
    online(create, _create_token)

    account = commands.add_parser("account", help="the brand's own accounts on networks")
    account_commands = account.add_subparsers(dest="account_command", required=True)
    add = account_commands.add_parser(
        "add", help="register an account: its messages become outbound"
    )
    add.add_argument("network", choices=[n.value for n in Network])
    add.add_argument("external_id", help="the account's user id on the network")
    add.add_argument("handle")
    online(add, _add_account)


def register_agent(commands: Commands) -> None:
    agent = commands.add_parser("agent", help="the people who work the inbox")
    agent_commands = agent.add_subparsers(dest="agent_command", required=True)
    agent_add = agent_commands.add_parser(
        "add", help="create or update an agent (by e-mail) with these roles and teams"
    )
    agent_add.add_argument("email")
    agent_add.add_argument("--name", required=True, help="the name colleagues see")
    agent_add.add_argument(
        "--role",
        action="append",
        choices=ROLES,
        help="repeatable; default agent. Leads receive breach escalations",
    )
    agent_add.add_argument("--team", action="append", default=[], help="repeatable")
    agent_add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read a web login password (12 characters or more) from standard input",
    )
    online(agent_add, _agent_add)


def _create_token(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(_issue_token(settings, args.name, Role(args.role), args.agent))


async def _issue_token(settings: Settings, name: str, role: Role, agent: str | None) -> None:
    async with open_runtime(settings) as runtime:
        token = await runtime.services.tokens.issue(runtime.default_workspace_id, name, role, agent)
    print(token)


def _add_account(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(_register_account(settings, Network(args.network), args.external_id, args.handle))


async def _register_account(
    settings: Settings, network: Network, external_id: str, handle: str
) -> None:
    async with open_runtime(settings) as runtime:
        account = await workspace_setup(runtime).accounts.register(
            runtime.default_workspace_id, network, external_id, handle
        )
    print(f"account {account.network.value}:{account.handle} ({account.external_id}) registered")


def _agent_add(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(_save_agent(settings, args))


async def _save_agent(settings: Settings, args: argparse.Namespace) -> None:
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
    print(
        f"agent {saved.email} (id {saved.agent_id}) saved: roles {', '.join(saved.roles)}"
        + (f"; teams {', '.join(saved.teams)}" if saved.teams else "")
    )
