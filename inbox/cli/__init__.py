"""The `inbox` command: one module per family of commands, each parsing its arguments and
calling a use case. This module assembles them and maps errors to exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from inbox.cli import (
    accounts,
    agents,
    audit,
    classify,
    connect,
    customers,
    ingest,
    retention,
    routing_settings,
    serve,
    signals,
    sla_settings,
    tokens,
    webhooks,
)
from inbox.domain.errors import ConfigurationError, InboxError
from inbox.logs import configure_logging
from inbox.settings import Settings

EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inbox", description="Social-media customer-service inbox."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # In the order `inbox --help` lists them.
    serve.register(commands)
    ingest.register(commands)
    tokens.register(commands)
    accounts.register(commands)
    classify.register(commands)
    signals.register(commands)
    agents.register(commands)
    webhooks.register(commands)
    routing_settings.register(commands)
    sla_settings.register(commands)
    connect.register(commands)
    audit.register(commands)
    customers.register(commands)
    retention.register(commands)
    return parser


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError("settings", problems) from None


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:2] == ["classify", "train"]:
        try:
            return classify.train(arguments[2:])
        except InboxError as exc:
            return _failed(exc)
    args = _parser().parse_args(arguments)
    try:
        if args.standalone is not None:  # reads no settings, opens no database
            return int(args.standalone(args))
        settings = _settings()
        configure_logging(settings.log_level)
        args.configured(args, settings)
    except InboxError as exc:
        return _failed(exc)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return 0


def _failed(error: InboxError) -> int:
    print(f"inbox: error: {error}", file=sys.stderr)
    return EXIT_ERROR
