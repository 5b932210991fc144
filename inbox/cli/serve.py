"""`inbox serve`, `inbox worker`, `inbox demo`, `inbox migrate`: the long-running processes."""

from __future__ import annotations

import argparse
import asyncio
import functools

from aiohttp import web

from inbox.bootstrap import Runtime, inbound_webhooks, open_database, open_runtime, run_workers
from inbox.cli.common import Commands, configured, listen, stop_on_signals
from inbox.domain.errors import ConfigurationError
from inbox.settings import Settings

# Faster than this the scripted day would only flood the inbox (a day plays in a few seconds).
MAX_DEMO_SPEED = 1000.0

HOST_HELP = "address to listen on (default INBOX_HOST, 127.0.0.1)"
PORT_HELP = "port to listen on (default INBOX_PORT, 8080)"


def register(commands: Commands) -> None:
    serve = commands.add_parser("serve", help="run the web app and workers (migrates first)")
    serve.add_argument("--host", help=HOST_HELP)
    serve.add_argument("--port", type=int, help=PORT_HELP)
    configured(serve, _serve)

    demo = commands.add_parser(
        "demo",
        help="the whole product on fake networks with a scripted day, in a scratch folder "
        "removed on exit: embedded database, seeded workspace (logins and an API token "
        "printed), live inbox",
    )
    demo.add_argument("--host", help=HOST_HELP)
    demo.add_argument("--port", type=int, help=PORT_HELP)
    demo.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="how much faster the scripted day plays (again and again, until stopped)",
    )
    configured(demo, _demo)

    migrate = commands.add_parser("migrate", help="apply pending database migrations and exit")
    configured(migrate, _migrate)
    worker = commands.add_parser(
        "worker", help="run the network connectors and the outbox sender (no web server)"
    )
    worker.add_argument(
        "--health-port",
        type=int,
        help="also answer GET /healthz on this port (for a process supervisor); off by default",
    )
    worker.add_argument("--host", help="address /healthz listens on (default INBOX_HOST)")
    configured(worker, _worker)


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(serve(settings, args.host or settings.host, args.port or settings.port))


async def serve(settings: Settings, host: str, port: int) -> None:
    from web.app import create_app

    async with open_runtime(settings) as runtime, inbound_webhooks(settings, runtime) as inbound:
        runner = web.AppRunner(
            create_app(runtime.services, runtime.default_workspace_id, inbound=inbound),
            access_log=None,
        )
        await runner.setup()
        try:
            await listen(runner, host, port, "INBOX_PORT", "--port or INBOX_PORT")
            print(f"inbox serving on http://{host}:{port}", flush=True)
            stop = stop_on_signals()
            await run_workers(runtime, stop)
        finally:
            await runner.cleanup()


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


def _worker(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(worker(settings, args.host or settings.host, args.health_port))


async def worker(settings: Settings, host: str, health_port: int | None) -> None:
    async with open_runtime(settings) as runtime:
        stop = stop_on_signals()
        health = None if health_port is None else await _health_only(runtime, host, health_port)
        try:
            print("inbox worker running", flush=True)
            await run_workers(runtime, stop)
        finally:
            if health is not None:
                await health.cleanup()


async def _health_only(runtime: Runtime, host: str, port: int) -> web.AppRunner:
    """/healthz alone: the worker's parts, for whatever restarts it or routes around it."""
    from web.keys import SERVICES
    from web.monitoring import healthz

    app = web.Application()
    app[SERVICES] = runtime.services
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await listen(runner, host, port, "--health-port", "--health-port")
    except BaseException:
        await runner.cleanup()
        raise
    return runner
