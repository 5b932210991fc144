"""`inbox audit verify`: check the audit trail's hash chain; `inbox two-factor reset EMAIL`:
take a person's second factor away (recorded as done by the command line)."""

from __future__ import annotations

import argparse
import asyncio

from inbox.bootstrap import open_runtime
from inbox.cli.common import Commands, configured
from inbox.settings import Settings


def register(commands: Commands) -> None:
    audit = commands.add_parser("audit", help="the audit trail of admin changes")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser(
        "verify", help="check that no row was altered or removed (exit 2 naming the row if so)"
    )
    configured(verify, _verify)
    two_factor = commands.add_parser("two-factor", help="people's second factor")
    two_factor_commands = two_factor.add_subparsers(dest="two_factor_command", required=True)
    reset = two_factor_commands.add_parser(
        "reset", help="take a person's second factor away (they lost it and their codes)"
    )
    reset.add_argument("email")
    configured(reset, _reset)


def _verify(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(_verified(settings))


async def _verified(settings: Settings) -> None:
    async with open_runtime(settings) as runtime:
        await runtime.services.audit.verify(runtime.default_workspace_id)
    print("the audit trail is intact")


def _reset(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(_reset_two_factor(settings, args.email))


async def _reset_two_factor(settings: Settings, email: str) -> None:
    async with open_runtime(settings) as runtime:
        await runtime.services.two_factor.reset_by_command_line(runtime.default_workspace_id, email)
    print(f"second factor of {email} reset: they sign in with their password")
