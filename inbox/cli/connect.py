"""`inbox connect x|mastodon|bluesky`: connect a brand account. Secrets come from the
environment or standard input, never from arguments (they would show in `ps`)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from inbox.bootstrap import open_runtime, workspace_setup
from inbox.cli.common import Commands, configured
from inbox.domain.errors import ConfigurationError
from inbox.domain.network import Network
from inbox.settings import Settings


def register(commands: Commands) -> None:
    connect = commands.add_parser("connect", help="connect a brand account on a network")
    networks = connect.add_subparsers(dest="network", required=True)
    x = networks.add_parser(
        "x",
        help="an X account; credentials are read from X_BEARER_TOKEN, X_CONSUMER_KEY, "
        "X_CONSUMER_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET (never from arguments)",
    )
    x.add_argument("--user-id", required=True, help="the account's numeric X user id")
    x.add_argument("--handle", required=True, help="the account's @name, without @")
    x.add_argument(
        "--search",
        action="append",
        default=[],
        metavar="TERM",
        help="also search for this term (repeatable): brand name, product, hashtag",
    )
    x.add_argument(
        "--stream",
        action="store_true",
        help="also use the filtered stream (an access level that includes it is needed)",
    )
    x.add_argument("--reads-per-day", type=int, help="cap on posts read per day")
    x.add_argument("--reads-per-month", type=int, help="cap on posts read per month")
    configured(x, lambda args, settings: asyncio.run(connect_x(settings, args)))
    mastodon = networks.add_parser(
        "mastodon",
        help="a Mastodon account; its access token (scopes read and write:statuses) is read "
        "from standard input, never from arguments",
    )
    mastodon.add_argument("--instance", required=True, help="the instance, https://host")
    mastodon.add_argument("--handle", required=True, help="the account's username, without @")
    mastodon.add_argument(
        "--stream", action="store_true", help="also listen to the user stream (live mentions)"
    )
    mastodon.add_argument("--poll-seconds", type=float, help="REST poll interval (default 60)")
    configured(mastodon, lambda args, settings: asyncio.run(connect_mastodon(settings, args)))
    bluesky = networks.add_parser(
        "bluesky",
        help="a Bluesky account; its app password is read from standard input (never from "
        "arguments), checked by signing in, and stored sealed",
    )
    bluesky.add_argument("--handle", required=True, help="the account's handle, without @")
    bluesky.add_argument(
        "--service",
        help="the account's PDS or entryway (default INBOX_BLUESKY_SERVICE, https://bsky.social)",
    )
    bluesky.add_argument(
        "--poll-seconds", type=float, help="seconds between notification polls (default 30)"
    )
    configured(bluesky, lambda args, settings: asyncio.run(connect_bluesky(settings, args)))


async def connect_x(settings: Settings, args: argparse.Namespace) -> None:
    from connectors.x.connect import credentials_from_environment
    from connectors.x.poller import search_query

    credentials = credentials_from_environment(os.environ)
    if not args.user_id.isdigit():
        raise ConfigurationError("--user-id", "an X user id is a number")
    handle = args.handle.removeprefix("@")
    if args.search:
        search_query(args.search, handle)  # refuses a query X would refuse
    for option in ("reads_per_day", "reads_per_month"):
        value = getattr(args, option)
        if value is not None and value < 0:
            raise ConfigurationError(f"--{option.replace('_', '-')}", "cannot be negative")
    account_settings = {
        "search_terms": args.search,
        "reads_per_day": args.reads_per_day,
        "reads_per_month": args.reads_per_month,
        "stream": args.stream,
    }
    await _connect(
        settings, Network.X, args.user_id, handle, account_settings, credentials.as_mapping()
    )
    can = "read mentions and post replies" if credentials.can_post else "read mentions only"
    print(f"x account @{handle} ({args.user_id}) connected: it can {can}")
    if not credentials.can_post:
        print(
            "replies need X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET"
        )


async def connect_mastodon(settings: Settings, args: argparse.Namespace) -> None:
    from connectors.mastodon.connect import MastodonIdentity, verify_account

    token = SecretStr(sys.stdin.readline().strip())
    if not token.get_secret_value():
        raise ConfigurationError("standard input", "the account's access token, on one line")
    if args.poll_seconds is not None and args.poll_seconds < 5:
        raise ConfigurationError("--poll-seconds", "at least 5")
    me: MastodonIdentity = await verify_account(
        args.instance, args.handle, token, policy=settings.egress_policy()
    )
    account_settings = {
        "instance": me.instance,
        "stream": args.stream,
        "poll_seconds": args.poll_seconds,
    }
    await _connect(
        settings,
        Network.MASTODON,
        me.user_id,
        me.username,
        account_settings,
        {"access_token": token},
    )
    print(
        f"mastodon account @{me.username} on {me.instance} ({me.user_id}) connected: "
        "it can read mentions and post replies"
    )


async def connect_bluesky(settings: Settings, args: argparse.Namespace) -> None:
    from connectors.bluesky.connect import checked_handle, looks_like_app_password, verify_account
    from connectors.bluesky.xrpc import check_service_url

    handle = checked_handle(args.handle)
    service = check_service_url(args.service or settings.bluesky_service)
    if args.poll_seconds is not None and args.poll_seconds < 5:
        raise ConfigurationError("--poll-seconds", "must be at least 5")
    password = sys.stdin.readline().strip()
    if not password:
        raise ConfigurationError("standard input", "the account's app password, on one line")
    if not looks_like_app_password(password):
        print(
            "inbox: warning: this does not look like an app password (xxxx-xxxx-xxxx-xxxx); "
            "create one in Bluesky's settings rather than giving the account's password",
            file=sys.stderr,
        )
    signed_in, credentials = await verify_account(
        service, handle, SecretStr(password), policy=settings.egress_policy()
    )
    account_settings = {"service": service, "poll_seconds": args.poll_seconds}
    await _connect(
        settings,
        Network.BLUESKY,
        signed_in.did,
        signed_in.handle,
        account_settings,
        credentials.as_mapping(),
    )
    print(
        f"bluesky account @{signed_in.handle} ({signed_in.did}) connected: it can read "
        "mentions, replies and quotes and post replies"
    )


async def _connect(
    settings: Settings,
    network: Network,
    external_id: str,
    handle: str,
    account_settings: dict[str, Any],
    secrets: Mapping[str, SecretStr],
) -> None:
    """The checked account, stored with its sealed secrets in the instance's workspace."""
    async with open_runtime(settings) as runtime:
        await workspace_setup(runtime).accounts.connect(
            runtime.default_workspace_id, network, external_id, handle, account_settings, secrets
        )
        # In the audit trail: the command line connected the account (its secrets stay out).
        await runtime.services.audit.record_command(
            runtime.default_workspace_id,
            "account_connected",
            "account",
            f"{network.value}:{external_id}",
            handle=handle,
        )
