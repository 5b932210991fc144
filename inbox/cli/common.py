"""What several commands share: stopping on signals, listening on a port, reading a file."""

from __future__ import annotations

import argparse
import asyncio
import errno
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TypeAlias

from aiohttp import web

from inbox.domain.errors import ConfigurationError
from inbox.settings import Settings

# A command that reads no settings and opens no database (classify, sla check, signals):
# it returns its exit code.
Standalone = Callable[[argparse.Namespace], int]
# A command of the configured instance: an error is raised, success is exit code 0.
Configured = Callable[[argparse.Namespace, Settings], None]

# What each command module adds its parsers to.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def standalone(parser: argparse.ArgumentParser, run: Standalone) -> None:
    parser.set_defaults(standalone=run, configured=None)


def configured(parser: argparse.ArgumentParser, run: Configured) -> None:
    parser.set_defaults(standalone=None, configured=run)


def stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def listen(
    runner: web.AppRunner, host: str, port: int, setting: str, choose_with: str
) -> None:
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigurationError(
                setting,
                f"port {port} on {host} is already in use; choose another with {choose_with}",
            ) from exc
        raise ConfigurationError("INBOX_HOST", f"cannot listen on {host}:{port}: {exc}") from exc


def document_text(path: Path, kind: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise ConfigurationError(str(path), f"not a readable {kind} file: {exc}") from exc
