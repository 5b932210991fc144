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

# A command that needs no database: it returns its exit code.
Offline = Callable[[argparse.Namespace], int]
# A command on the configured database: an error is raised, success is exit code 0.
Online = Callable[[argparse.Namespace, Settings], None]

# What each command module adds its parsers to.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def offline(parser: argparse.ArgumentParser, run: Offline) -> None:
    parser.set_defaults(offline=run, online=None)


def online(parser: argparse.ArgumentParser, run: Online) -> None:
    parser.set_defaults(offline=None, online=run)


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
