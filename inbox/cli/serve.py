"""`inbox demo`, `inbox migrate` and `inbox secret-key`. The processes by role (`serve`, `web`,
`worker`) are in `inbox.cli.roles`, listed first."""

from __future__ import annotations

import argparse
import asyncio
import functools

from inbox.bootstrap import new_secret_key, open_database
from inbox.cli import roles
from inbox.cli.common import Commands, configured, listen, standalone, stop_on_signals
from inbox.domain.errors import ConfigurationError
from inbox.settings import Settings

# Faster than this the scripted day would only flood the inbox (a day plays in a few seconds).
MAX_DEMO_SPEED = 1000.0


def register(commands: Commands) -> None:
    roles.register(commands)

    demo = commands.add_parser(
        "demo",
        help="the whole product on fake networks with a scripted day, in a scratch folder "
        "removed on exit: embedded database, seeded workspace (logins and an API token "
        "printed), live inbox",
    )
    demo.add_argument("--host", help=roles.HOST_HELP)
    demo.add_argument("--port", type=int, help=roles.PORT_HELP)
    demo.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="how much faster the scripted day plays (again and again, until stopped)",
    )
    configured(demo, _demo)

    migrate = commands.add_parser("migrate", help="apply pending database migrations and exit")
    configured(migrate, _migrate)

    secret_key = commands.add_parser(
        "secret-key",
        help="print a new key for INBOX_SECRET_KEY or the file INBOX_SECRET_KEY_FILE names "
        "(reads no settings)",
    )
    standalone(secret_key, _secret_key)


def _demo(args: argparse.Namespace, settings: Settings) -> None:
    if not 0 < args.speed <= MAX_DEMO_SPEED:  # also refuses nan
        raise ConfigurationError("--speed", f"must be more than 0, at most {MAX_DEMO_SPEED:g}")
    asyncio.run(demo(settings, args.host or settings.host, args.port or settings.port, args.speed))


async def demo(settings: Settings, host: str, port: int, speed: float) -> None:
    from inbox.demo import run_demo

    # Before anything is made: a signal while the demo sets up also ends it cleanly.
    stop = stop_on_signals()
    on_port = functools.partial(listen, setting="INBOX_PORT", choose_with="--port or INBOX_PORT")
    await run_demo(settings, host, port, speed, stop=stop, listen=on_port)


def _migrate(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(migrate(settings))


async def migrate(settings: Settings) -> None:
    async with open_database(settings, apply_migrations=True):
        print("database schema is up to date")


def _secret_key(args: argparse.Namespace) -> int:
    print(new_secret_key())
    return 0
