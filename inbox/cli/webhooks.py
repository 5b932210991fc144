"""`inbox webhook` (events posted out, signed) and `inbox webhook-source` (senders that push
messages in, signed)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from pydantic import SecretStr

from inbox.bootstrap import manage_webhook_sources, manage_webhooks, open_runtime
from inbox.cli.common import Commands, configured
from inbox.domain.errors import ConfigurationError
from inbox.settings import Settings


def register(commands: Commands) -> None:
    webhook = commands.add_parser("webhook", help="outbound webhooks: events posted, signed")
    webhook_commands = webhook.add_subparsers(dest="webhook_command", required=True)
    webhook_add = webhook_commands.add_parser(
        "add", help="subscribe a URL; its signing secret is printed once"
    )
    webhook_add.add_argument("url")
    webhook_add.add_argument(
        "--event",
        action="append",
        default=[],
        help="repeatable: sla.warning, sla.breach, sla.end_of_shift, incident.opened, "
        "incident.closed, message.received, message.sent, thread.created, thread.assigned, "
        "thread.resolved, thread.reopened, customer.updated, customer.merged, "
        "customer.split, or a family such as thread.* (default: all)",
    )
    webhook_add.add_argument(
        "--with-text",
        action="store_true",
        help="message events carry the message's text (personal data: off by default)",
    )
    configured(webhook_add, _webhook)
    configured(
        webhook_commands.add_parser(
            "list", help="the webhooks, with pending and failed deliveries"
        ),
        _webhook,
    )
    webhook_remove = webhook_commands.add_parser("remove", help="stop posting to a webhook")
    webhook_remove.add_argument("id", type=int)
    configured(webhook_remove, _webhook)
    _register_sources(commands)


def _register_sources(commands: Commands) -> None:
    source = commands.add_parser(
        "webhook-source", help="inbound webhooks: senders that push messages, signed"
    )
    source_commands = source.add_subparsers(dest="source_command", required=True)
    source_add = source_commands.add_parser(
        "add",
        help="generic: a signing secret is printed once; meta: reads the app secret, the "
        "verify token and optionally a Page access token (for replies and Instagram "
        "mentions) from standard input, one a line",
    )
    source_add.add_argument("name", help="the last part of the URL: a-z, 0-9, - and _")
    source_add.add_argument("--kind", choices=["meta", "generic"], required=True)
    source_add.add_argument("--page-id", help="meta: the Facebook Page's id")
    source_add.add_argument("--page-name", help="meta: the Page's name")
    source_add.add_argument("--instagram-id", help="meta: the Instagram professional account id")
    source_add.add_argument("--instagram-username", help="meta: its username, without @")
    source_add.add_argument("--graph-url", help="meta: the Graph API base URL (version included)")
    configured(source_add, _webhook_source)
    configured(source_commands.add_parser("list", help="the sources and their URLs (no secrets)"),
           _webhook_source)  # fmt: skip
    source_remove = source_commands.add_parser("remove", help="stop accepting a source")
    source_remove.add_argument("name")
    configured(source_remove, _webhook_source)


def _webhook(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(webhook(settings, args))


async def webhook(settings: Settings, args: argparse.Namespace) -> None:
    async with open_runtime(settings) as runtime:
        webhooks = manage_webhooks(settings, runtime.db)
        workspace_id = runtime.default_workspace_id
        match args.webhook_command:
            case "add":
                hook, secret = await webhooks.add(
                    workspace_id, args.url, args.event, include_text=args.with_text
                )
                await runtime.services.audit.record_command(
                    workspace_id,
                    "webhook_added",
                    "webhook",
                    hook.id,
                    url=hook.shown_url,
                    events=list(hook.events),
                )
                print(f"webhook {hook.id} posts {', '.join(hook.events)} to {hook.shown_url}")
                print(f"signing secret (shown once): {secret.get_secret_value()}")
            case "list":
                for hook in await webhooks.all(workspace_id):
                    state = "active" if hook.active else "inactive"
                    if hook.include_text:
                        state += ", with texts"
                    print(
                        f"{hook.id}\t{hook.shown_url}\t{','.join(hook.events)}\t{state}\t"
                        f"{hook.pending} pending\t{hook.failed} failed"
                    )
            case "remove":
                await webhooks.remove(workspace_id, args.id)
                await runtime.services.audit.record_command(
                    workspace_id, "webhook_removed", "webhook", args.id
                )
                print(f"webhook {args.id} removed")


def _meta_secrets() -> tuple[SecretStr, SecretStr, SecretStr | None]:
    lines = [sys.stdin.readline().strip() for _ in range(3)]
    if not lines[0] or not lines[1]:
        raise ConfigurationError(
            "standard input", "the app secret, then the verify token, each on its own line"
        )
    return SecretStr(lines[0]), SecretStr(lines[1]), SecretStr(lines[2]) if lines[2] else None


def _meta_account(account_id: str | None, name: str | None, option: str) -> tuple[str, str] | None:
    if account_id is None:
        return None
    if not name:
        raise ConfigurationError(option, f"needed with the {option.split('-')[2]} id")
    return account_id, name.removeprefix("@")


def _webhook_source(args: argparse.Namespace, settings: Settings) -> None:
    asyncio.run(webhook_source(settings, args))


async def webhook_source(settings: Settings, args: argparse.Namespace) -> None:
    from connectors.meta.graph import GRAPH_URL

    secrets = _meta_secrets() if args.source_command == "add" and args.kind == "meta" else None
    async with open_runtime(settings) as runtime:
        sources = manage_webhook_sources(settings, runtime.db)
        workspace_id = runtime.default_workspace_id
        path = f"/api/v1/inbound/{settings.workspace}"
        match args.source_command:
            case "add" if secrets is not None:
                app_secret, verify_token, access_token = secrets
                await sources.add_meta(
                    workspace_id,
                    args.name,
                    app_secret=app_secret,
                    verify_token=verify_token,
                    access_token=access_token,
                    graph_url=args.graph_url or GRAPH_URL,
                    page=_meta_account(args.page_id, args.page_name, "--page-name"),
                    instagram=_meta_account(
                        args.instagram_id, args.instagram_username, "--instagram-username"
                    ),
                )
                print(f"meta source {args.name}: callback URL path {path}/{args.name}")
                if access_token is None:
                    print("no Page access token: receive only (no replies, no IG mentions)")
            case "add":
                _, secret = await sources.add_generic(workspace_id, args.name)
                print(f"generic source {args.name}: URL path {path}/{args.name}")
                print(f"signing secret (shown once): {secret.get_secret_value()}")
            case "list":
                for item in await sources.all(workspace_id):
                    replies = "replies" if item.can_reply else "receive only"
                    print(f"{item.name}\t{item.kind.value}\t{path}/{item.name}\t{replies}")
            case "remove":
                await sources.remove(workspace_id, args.name)
                print(f"source {args.name} removed")
