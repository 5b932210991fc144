"""`inbox account add`: register one of the brand's accounts, so that its messages are
outbound (`inbox connect` also reads it)."""

from __future__ import annotations

import argparse
import asyncio

from inbox.bootstrap import open_runtime, workspace_setup
from inbox.cli.common import Commands, configured
from inbox.domain.network import Network
from inbox.settings import Settings


def register(commands: Commands) -> None:
    account = commands.add_parser("account", help="the brand's own accounts on networks")
    account_commands = account.add_subparsers(dest="account_command", required=True)
    add = account_commands.add_parser(
        "add", help="register an account: its messages become outbound"
    )
    add.add_argument("network", choices=[n.value for n in Network])
    add.add_argument("external_id", help="the account's user id on the network")
    add.add_argument("handle")
    configured(add, _add)


def _add(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(_register(settings, Network(args.network), args.external_id, args.handle))


async def _register(settings: Settings, network: Network, external_id: str, handle: str) -> None:
    async with open_runtime(settings) as runtime:
        account = await workspace_setup(runtime).accounts.register(
            runtime.default_workspace_id, network, external_id, handle
        )
        await runtime.services.audit.record_command(
            runtime.default_workspace_id,
            "account_registered",
            "account",
            f"{network.value}:{external_id}",
            handle=handle,
        )
    print(f"account {account.network.value}:{account.handle} ({account.external_id}) registered")
