"""`inbox serve`, `inbox web`, `inbox worker`: the long-running processes, by role.

- `web` answers people and networks: the pages, the API, the signed webhook deliveries. It
  runs no connector, no periodic job and no SLA timer, so any number of them can sit behind a
  load balancer.
- `worker` runs everything else (connectors, outbox, webhook deliveries, the SLA timer, the
  periodic jobs) and answers only /healthz and /metrics on its port, for whatever supervises it.
- `serve` is both in one process, for one machine.

The three are one function with different parts switched on: each part is built by the
composition root (`inbox.bootstrap`) the same way whichever role runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
from contextlib import AsyncExitStack
from enum import StrEnum

from aiohttp import web

from inbox.bootstrap import Runtime, inbound_webhooks, open_runtime
from inbox.cli.common import Commands, configured, listen, stop_on_signals
from inbox.settings import Settings
from inbox.worker_wiring import run_workers

HOST_HELP = "address to listen on (default INBOX_HOST, 127.0.0.1)"
PORT_HELP = "port to listen on (default INBOX_PORT, 8080)"


class ProcessRole(StrEnum):
    SERVE = "serve"
    WEB = "web"
    WORKER = "worker"

    @property
    def answers_requests(self) -> bool:
        """Pages, API and webhook intake (a worker answers only /healthz and /metrics)."""
        return self is not ProcessRole.WORKER

    @property
    def runs_workers(self) -> bool:
        return self is not ProcessRole.WEB


def register(commands: Commands) -> None:
    roles = {
        ProcessRole.SERVE: "run the web app and the workers in one process (migrates first)",
        ProcessRole.WEB: "run the pages, the API and the webhook intake only: no connector, "
        "no periodic job, no SLA timer (migrates first)",
        ProcessRole.WORKER: "run the connectors, the outbox, the timers and the periodic jobs; "
        "its port answers only /healthz and /metrics (migrates first)",
    }
    for role, description in roles.items():
        parser = commands.add_parser(role.value, help=description)
        parser.add_argument("--host", help=HOST_HELP)
        # --health-port: the worker's option when its port was optional; still understood.
        ports = ("--port", "--health-port") if role is ProcessRole.WORKER else ("--port",)
        parser.add_argument(*ports, dest="port", type=int, help=PORT_HELP)
        parser.set_defaults(role=role)
        configured(parser, _run)


def _run(args: argparse.Namespace, settings: Settings) -> None:
    host: str = args.host or settings.host
    port: int = settings.port if args.port is None else args.port
    asyncio.run(run_role(settings, args.role, host, port))


async def run_role(settings: Settings, role: ProcessRole, host: str, port: int) -> None:
    """The process of `role` until SIGINT or SIGTERM."""
    # Before the database is opened: a process that could not read what it stores must not
    # start, nor migrate, nor seal anything.
    settings.require_lasting_secret_key()
    async with open_runtime(settings) as runtime, AsyncExitStack() as parts:
        app = await _http_app(role, runtime, parts)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await listen(runner, host, port, "INBOX_PORT", "--port or INBOX_PORT")
            print(f"inbox serving on http://{host}:{port} as {role.value}", flush=True)
            settle_heap()
            stop = stop_on_signals()
            if role.runs_workers:
                await run_workers(runtime, stop)
            else:
                await stop.wait()
        finally:
            await runner.cleanup()


def settle_heap() -> None:
    """Move what start-up built (modules, templates, lexicons, the app) out of the garbage
    collector's sight. A full collection otherwise walks those ~100,000 long-lived objects
    every time, 60-70 ms of CPU landing on a poll or a page (`bench/x_connector.py
    --freeze-heap` measures the difference); what is frozen is never freed, and was never
    going to be."""
    gc.collect()
    gc.freeze()


async def _http_app(role: ProcessRole, runtime: Runtime, parts: AsyncExitStack) -> web.Application:
    from web.app import create_app

    if role.answers_requests:
        inbound = await parts.enter_async_context(inbound_webhooks(runtime.settings, runtime))
        return create_app(runtime.services, runtime.default_workspace_id, inbound=inbound)
    return _monitoring_app(runtime)


def _monitoring_app(runtime: Runtime) -> web.Application:
    """/healthz and /metrics alone: what an orchestrator and Prometheus ask a worker."""
    from web.keys import CLOCK, SERVICES
    from web.monitoring import healthz, metrics_app

    app = web.Application()
    app[SERVICES] = runtime.services
    app[CLOCK] = runtime.services.clock
    app.router.add_get("/healthz", healthz)
    app.add_subapp("/metrics", metrics_app())
    return app
