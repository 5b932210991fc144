"""The `inbox` command: serve, migrate, ingest, and small admin tasks."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import functools
import json
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from pydantic import SecretStr, ValidationError

from inbox.bootstrap import (
    Runtime,
    credential_store,
    inbound_webhooks,
    manage_webhook_sources,
    manage_webhooks,
    open_database,
    open_runtime,
    run_workers,
)
from inbox.domain.documents import read_json
from inbox.domain.errors import ConfigurationError, InboxError
from inbox.domain.ingestion import IngestResult
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.logs import configure_logging
from inbox.settings import Settings

if TYPE_CHECKING:
    from routing.classify import Classifier

EXIT_ERROR = 2
# Faster than this the scripted day would only flood the inbox (a day plays in a few seconds).
MAX_DEMO_SPEED = 1000.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inbox", description="Social-media customer-service inbox."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web app and workers (migrates first)")
    serve.add_argument("--host", help="address to listen on (default INBOX_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default INBOX_PORT, 8080)")

    demo = commands.add_parser(
        "demo",
        help="the whole product on fake networks with a scripted day, in a scratch folder "
        "removed on exit: embedded database, seeded workspace (logins and an API token "
        "printed), live inbox",
    )
    demo.add_argument("--host", help="address to listen on (default INBOX_HOST, 127.0.0.1)")
    demo.add_argument("--port", type=int, help="port to listen on (default INBOX_PORT, 8080)")
    demo.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="how much faster the scripted day plays (again and again, until stopped)",
    )

    commands.add_parser("migrate", help="apply pending database migrations and exit")
    worker = commands.add_parser(
        "worker", help="run the network connectors and the outbox sender (no web server)"
    )
    worker.add_argument(
        "--health-port",
        type=int,
        help="also answer GET /healthz on this port (for a process supervisor); off by default",
    )
    worker.add_argument("--host", help="address /healthz listens on (default INBOX_HOST)")

    ingest = commands.add_parser(
        "ingest",
        help="import X API v2 response pages (JSON Lines, one page a line); a file imported "
        "before is resumed where the last import stopped",
    )
    ingest.add_argument("file", type=Path)
    ingest.add_argument("--batch", type=int, default=1000, help="mentions per transaction")

    token = commands.add_parser("token", help="API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="issue a token; it is shown once")
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=[r.value for r in Role], default=Role.AGENT.value)
    create.add_argument(
        "--agent", metavar="EMAIL", help="the agent the token acts for (claims, replies, answers)"
    )

    account = commands.add_parser("account", help="the brand's own accounts on networks")
    account_commands = account.add_subparsers(dest="account_command", required=True)
    add = account_commands.add_parser(
        "add", help="register an account: its messages become outbound"
    )
    add.add_argument("network", choices=[n.value for n in Network])
    add.add_argument("external_id", help="the account's user id on the network")
    add.add_argument("handle")

    classify = commands.add_parser(
        "classify",
        help="classify texts: JSON lines with a 'text' (and optional 'lang') in, one JSON "
        "line out each (kind, language, urgency, topics, personal_data, reasons)",
    )
    classify.add_argument(
        "file", nargs="?", type=Path, help="JSON Lines to read (default: standard input)"
    )
    classify.add_argument(
        "--lexicon", type=Path, help="a workspace's lexicon additions (JSON), see the README"
    )

    signals = commands.add_parser("signals", help="outage signals in count series")
    signals_commands = signals.add_subparsers(dest="signals_command", required=True)
    signals_score = signals_commands.add_parser(
        "score",
        help="anomaly scores (0 to 1) of a timestamp,value CSV, bucket by bucket, online; "
        "writes timestamp,anomaly_score",
    )
    signals_score.add_argument("file", type=Path)
    signals_score.add_argument("--out", type=Path, help="CSV to write (default: standard output)")
    signals_score.add_argument(
        "--bucket-minutes",
        type=float,
        help="sum rows into buckets of N minutes (empty ones count zero); "
        "default: each row is a bucket",
    )

    agent = commands.add_parser("agent", help="the people who work the inbox")
    agent_commands = agent.add_subparsers(dest="agent_command", required=True)
    agent_add = agent_commands.add_parser(
        "add", help="create or update an agent (by e-mail) with these roles and teams"
    )
    agent_add.add_argument("email")
    agent_add.add_argument("--name", required=True, help="the name colleagues see")
    agent_add.add_argument(
        "--role",
        action="append",
        choices=[r.value for r in Role],
        help="repeatable; default agent. Leads receive breach escalations",
    )
    agent_add.add_argument("--team", action="append", default=[], help="repeatable")
    agent_add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read a web login password (12 characters or more) from standard input",
    )

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
        help="repeatable: sla.warning, sla.breach, sla.end_of_shift, sla.* (default: all)",
    )
    webhook_commands.add_parser("list", help="the webhooks, with pending and failed deliveries")
    webhook_remove = webhook_commands.add_parser("remove", help="stop posting to a webhook")
    webhook_remove.add_argument("id", type=int)

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
    source_commands.add_parser("list", help="the sources and their URLs (no secrets)")
    source_remove = source_commands.add_parser("remove", help="stop accepting a source")
    source_remove.add_argument("name")

    routing = commands.add_parser("routing", help="the workspace's routing settings and rules")
    routing_commands = routing.add_subparsers(dest="routing_command", required=True)
    routing_commands.add_parser(
        "show", help="print the settings, lexicon additions, rules and rule counts (JSON)"
    )
    routing_set = routing_commands.add_parser(
        "set", help="check and store a routing document from a JSON or YAML file"
    )
    routing_set.add_argument(
        "file", type=Path, help='{"settings": {...}, "lexicon": {...}, "rules": {"rules": [...]}}'
    )

    sla = commands.add_parser("sla", help="the workspace's SLA calendars and policies")
    sla_commands = sla.add_subparsers(dest="sla_command", required=True)
    sla_commands.add_parser("show", help="print the settings in force (JSON)")
    sla_set = sla_commands.add_parser(
        "set", help="validate and store settings from a JSON file, re-planning running clocks"
    )
    sla_set.add_argument("file", type=Path, help='{"calendars": {...}, "policies": {...}}')
    sla_check = sla_commands.add_parser(
        "check",
        help="evaluate expected-outcome cases (deadline, elapsed minutes, breach) with the "
        "engine; one PASS/FAIL line a case, exit code 1 if any failed",
    )
    sla_check.add_argument("file", type=Path, help='{"cases": [...]}')

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
    return parser


# What Bluesky's settings give as an app password; anything else may be the main password.
BLUESKY_APP_PASSWORD = re.compile(r"^[a-z0-9]{4}(-[a-z0-9]{4}){3}$")

X_CREDENTIAL_VARIABLES = {
    "bearer_token": "X_BEARER_TOKEN",
    "consumer_key": "X_CONSUMER_KEY",
    "consumer_secret": "X_CONSUMER_SECRET",
    "access_token": "X_ACCESS_TOKEN",
    "access_token_secret": "X_ACCESS_TOKEN_SECRET",
}


async def _serve(settings: Settings, host: str, port: int) -> None:
    from web.app import create_app

    async with open_runtime(settings) as runtime, inbound_webhooks(settings, runtime) as inbound:
        runner = web.AppRunner(
            create_app(runtime.services, runtime.default_workspace_id, inbound=inbound),
            access_log=None,
        )
        await runner.setup()
        try:
            await _listen(runner, host, port, "INBOX_PORT", "--port or INBOX_PORT")
            print(f"inbox serving on http://{host}:{port}", flush=True)
            stop = _stop_on_signals()
            await run_workers(runtime, stop)
        finally:
            await runner.cleanup()


async def _demo(settings: Settings, host: str, port: int, speed: float) -> None:
    from inbox.demo import run_demo

    # Before anything is made: a signal while the demo sets up also ends it cleanly.
    stop = _stop_on_signals()
    listen = functools.partial(_listen, setting="INBOX_PORT", choose_with="--port or INBOX_PORT")
    await run_demo(settings, host, port, speed, stop=stop, listen=listen)


async def _listen(
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


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _worker(settings: Settings, host: str, health_port: int | None) -> None:
    async with open_runtime(settings) as runtime:
        stop = _stop_on_signals()
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
        await _listen(runner, host, port, "--health-port", "--health-port")
    except BaseException:
        await runner.cleanup()
        raise
    return runner


async def _migrate(settings: Settings) -> None:
    async with open_database(settings, apply_migrations=True):
        print("database schema is up to date")


async def _ingest(settings: Settings, path: Path, batch_size: int) -> None:
    from connectors.x.file_import import ImportPosition, cursor_name, read_batches, still_valid
    from inbox.store.connector_state import PgConnectorState

    totals = IngestResult(0, 0, 0, 0, 0, 0)
    cursor = cursor_name(path)
    async with open_runtime(settings) as runtime:
        workspace_id = runtime.default_workspace_id
        saved = (
            ImportPosition.decode(await PgConnectorState(runtime.db).cursor(workspace_id, cursor))
            if cursor is not None
            else None
        )
        start = saved if saved is not None and still_valid(path, saved) else None
        if saved is not None and start is None:
            print(f"{path.name}: changed since it was last imported: read again from the top")
        elif start is not None:
            print(f"{path.name}: imported before up to line {start.line}: resuming there")
        batches = 0
        for batch in read_batches(path, batch_size=batch_size, cursor=cursor, start=start):
            batches += 1
            result = await runtime.services.ingest(workspace_id, batch)
            totals = IngestResult(
                totals.mentions_added + result.mentions_added,
                totals.duplicates + result.duplicates,
                totals.quarantined + result.quarantined,
                totals.threads_created + result.threads_created,
                totals.threads_reopened + result.threads_reopened,
                totals.customers_created + result.customers_created,
            )
    if start is not None and batches == 0:
        print(f"{path.name}: nothing new after line {start.line}")
    print(
        f"{path.name}: {totals.mentions_added} mentions added, {totals.duplicates} already "
        f"stored, {totals.quarantined} quarantined, {totals.threads_created} threads and "
        f"{totals.customers_created} customers created"
    )


async def _create_token(settings: Settings, name: str, role: Role, agent: str | None) -> None:
    async with open_runtime(settings) as runtime:
        token = await runtime.services.tokens.issue(runtime.default_workspace_id, name, role, agent)
    print(token)


async def _add_account(settings: Settings, network: Network, external_id: str, handle: str) -> None:
    async with open_runtime(settings) as runtime:
        account = await runtime.workspaces.add_account(
            runtime.default_workspace_id, network, external_id, handle
        )
    print(f"account {account.network.value}:{account.handle} ({account.external_id}) registered")


async def _connect_x(settings: Settings, args: argparse.Namespace) -> None:
    from connectors.x.api import XCredentials
    from connectors.x.poller import search_query

    credentials = XCredentials.from_mapping(
        {
            name: SecretStr(os.environ[variable])
            for name, variable in X_CREDENTIAL_VARIABLES.items()
            if os.environ.get(variable)
        }
    )
    if not credentials.can_read:
        raise ConfigurationError(
            "X credentials",
            "set X_BEARER_TOKEN (reads) and X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN, "
            "X_ACCESS_TOKEN_SECRET (replies) in the environment",
        )
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
    async with open_runtime(settings) as runtime:
        store = credential_store(settings, runtime.db)
        account_id = await runtime.workspaces.configure_account(
            runtime.default_workspace_id, Network.X, args.user_id, handle, account_settings
        )
        await store.replace(runtime.default_workspace_id, account_id, credentials.as_mapping())
    can = "read mentions and post replies" if credentials.can_post else "read mentions only"
    print(f"x account @{handle} ({args.user_id}) connected: it can {can}")
    if not credentials.can_post:
        print(
            "replies need X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET"
        )


async def _connect_mastodon(settings: Settings, args: argparse.Namespace) -> None:
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
    async with open_runtime(settings) as runtime:
        store = credential_store(settings, runtime.db)
        account_id = await runtime.workspaces.configure_account(
            runtime.default_workspace_id,
            Network.MASTODON,
            me.user_id,
            me.username,
            account_settings,
        )
        await store.replace(runtime.default_workspace_id, account_id, {"access_token": token})
    print(
        f"mastodon account @{me.username} on {me.instance} ({me.user_id}) connected: "
        "it can read mentions and post replies"
    )


async def _connect_bluesky(settings: Settings, args: argparse.Namespace) -> None:
    from connectors.bluesky.xrpc import (
        BlueskyApiError,
        BlueskyCredentials,
        check_service_url,
        sign_in_once,
    )
    from inbox.domain.clock import utc_now

    handle = args.handle.strip().removeprefix("@").lower()
    if not handle or "." not in handle or any(c.isspace() for c in handle):
        raise ConfigurationError("--handle", "a Bluesky handle looks like name.bsky.social")
    service = check_service_url(args.service or settings.bluesky_service)
    if args.poll_seconds is not None and args.poll_seconds < 5:
        raise ConfigurationError("--poll-seconds", "must be at least 5")
    password = sys.stdin.readline().strip()
    if not password:
        raise ConfigurationError("standard input", "the account's app password, on one line")
    if not BLUESKY_APP_PASSWORD.match(password):
        print(
            "inbox: warning: this does not look like an app password (xxxx-xxxx-xxxx-xxxx); "
            "create one in Bluesky's settings rather than giving the account's password",
            file=sys.stderr,
        )
    credentials = BlueskyCredentials(SecretStr(password))
    try:
        signed_in = await sign_in_once(
            service, handle, credentials, clock=utc_now, policy=settings.egress_policy()
        )
    except BlueskyApiError as error:
        raise ConfigurationError("Bluesky sign-in", str(error)) from None
    account_settings = {"service": service, "poll_seconds": args.poll_seconds}
    async with open_runtime(settings) as runtime:
        store = credential_store(settings, runtime.db)
        account_id = await runtime.workspaces.configure_account(
            runtime.default_workspace_id,
            Network.BLUESKY,
            signed_in.did,
            signed_in.handle,
            account_settings,
        )
        await store.replace(runtime.default_workspace_id, account_id, credentials.as_mapping())
    print(
        f"bluesky account @{signed_in.handle} ({signed_in.did}) connected: it can read "
        "mentions, replies and quotes and post replies"
    )


async def _agent_add(settings: Settings, args: argparse.Namespace) -> None:
    from inbox.store.people import PgPeopleStore

    email = args.email.strip()
    if "@" not in email or any(c.isspace() for c in email):
        raise ConfigurationError("email", f"{email!r} is not an e-mail address")
    roles = [Role(r) for r in dict.fromkeys(args.role or [Role.AGENT.value])]
    teams = [t.strip() for t in args.team if t.strip()]
    password = None
    if args.password_stdin:
        password = SecretStr(sys.stdin.readline().rstrip("\r\n"))
    async with open_runtime(settings) as runtime:
        agent_id = await PgPeopleStore(runtime.db).save_agent(
            runtime.default_workspace_id, email, args.name, roles, teams
        )
        if password is not None:
            await runtime.services.web_logins.set_password(
                runtime.default_workspace_id, email, password
            )
    print(
        f"agent {email.lower()} (id {agent_id}) saved: roles {', '.join(roles)}"
        + (f"; teams {', '.join(teams)}" if teams else "")
    )


async def _webhook(settings: Settings, args: argparse.Namespace) -> None:
    async with open_runtime(settings) as runtime:
        webhooks = manage_webhooks(settings, runtime.db)
        workspace_id = runtime.default_workspace_id
        match args.webhook_command:
            case "add":
                hook, secret = await webhooks.add(workspace_id, args.url, args.event)
                print(f"webhook {hook.id} posts {', '.join(hook.events)} to {hook.shown_url}")
                print(f"signing secret (shown once): {secret.get_secret_value()}")
            case "list":
                for hook in await webhooks.all(workspace_id):
                    state = "active" if hook.active else "inactive"
                    print(
                        f"{hook.id}\t{hook.shown_url}\t{','.join(hook.events)}\t{state}\t"
                        f"{hook.pending} pending\t{hook.failed} failed"
                    )
            case "remove":
                await webhooks.remove(workspace_id, args.id)
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


async def _webhook_source(settings: Settings, args: argparse.Namespace) -> None:
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


def _routing_document(path: Path) -> dict[str, dict[str, object]]:
    """JSON, or YAML for files ending in .yaml/.yml (safe loading: data only), read as the
    admin page reads it."""
    from inbox.usecases.admin_routing import read_yaml, routing_parts

    text = _document_text(path, "JSON or YAML")
    if path.suffix.lower() in (".yaml", ".yml"):
        return routing_parts(read_yaml(text, str(path)))
    return routing_parts(read_json(text, str(path)))


def _document_text(path: Path, kind: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise ConfigurationError(str(path), f"not a readable {kind} file: {exc}") from exc


async def _routing(
    settings: Settings, command: str, document: dict[str, dict[str, object]] | None
) -> None:
    async with open_runtime(settings) as runtime:
        service = runtime.services.routing_settings
        workspace_id = runtime.default_workspace_id
        if document is None:
            current = await service.current(workspace_id)
            shown = {
                "version": current.version,
                "settings": current.settings,
                "lexicon": current.lexicon,
                "rules": current.rules,
                "rule_counts": await service.rule_counts(workspace_id),
            }
            print(json.dumps(shown, indent=2, ensure_ascii=False))
            return
        version = await service.save(
            workspace_id, document["settings"], document["lexicon"], document["rules"]
        )
    print(f"routing version {version} saved")


def _sla_document(path: Path) -> dict[str, dict[str, object]]:
    document = read_json(_document_text(path, "JSON"), str(path))
    if not isinstance(document, dict) or not all(
        isinstance(document.get(key), dict) for key in ("calendars", "policies")
    ):
        raise ConfigurationError(str(path), 'expected {"calendars": {...}, "policies": {...}}')
    return {"calendars": document["calendars"], "policies": document["policies"]}


async def _sla(
    settings: Settings, command: str, document: dict[str, dict[str, object]] | None
) -> None:
    async with open_runtime(settings) as runtime:
        service = runtime.services.sla_settings
        workspace_id = runtime.default_workspace_id
        if command == "show":
            current = await service.current(workspace_id)
            print(
                json.dumps(
                    {
                        "version": current.version,
                        "calendars": current.calendars,
                        "policies": current.policies,
                    },
                    indent=2,
                    ensure_ascii=False,
                )
            )
            return
        assert document is not None
        version, replanned = await service(
            workspace_id, document["calendars"], document["policies"]
        )
    print(f"SLA settings version {version} saved; {replanned} threads' running clocks re-planned")


EXIT_FAILED_CASES = 1
CLASSIFY_CHUNK = 1000


def _classify(path: Path | None, lexicon_path: Path | None) -> int:
    """Needs no database. A line that cannot be read gets an error line of its own, at its
    place, so that output line N always answers input line N."""
    from routing.classify import Classifier
    from routing.lexicon import LexiconExtension

    extension = None
    if lexicon_path is not None:
        try:
            extension = LexiconExtension.model_validate_json(lexicon_path.read_bytes())
        except OSError as exc:
            raise ConfigurationError(str(lexicon_path), f"cannot read it: {exc.strerror}") from exc
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'lexicon'}: {e['msg']}"
                for e in exc.errors()
            )
            raise ConfigurationError(str(lexicon_path), problems) from None
    classifier = Classifier(extension)
    if path is not None and not path.is_file():
        raise ConfigurationError("file", f"{path} does not exist or is not a file")
    source = path.open(encoding="utf-8", errors="replace") if path else sys.stdin
    failed = 0
    with source:
        pending: list[tuple[int, str, str | None] | tuple[int, str]] = []
        for number, line in enumerate(source, start=1):
            pending.append(_classify_input(number, line))
            if len(pending) >= CLASSIFY_CHUNK:
                failed += _classify_chunk(classifier, pending)
                pending = []
        failed += _classify_chunk(classifier, pending)
    if failed:
        print(f"inbox: {failed} lines could not be classified", file=sys.stderr)
    return 1 if failed else 0


def _classify_input(number: int, line: str) -> tuple[int, str, str | None] | tuple[int, str]:
    """(line, text, lang) or (line, error)."""
    try:
        item = json.loads(line)
    except ValueError as exc:
        return number, f"line {number} is not JSON: {exc}"
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return number, f"line {number} has no 'text' string"
    lang = item.get("lang")
    return number, item["text"], lang if isinstance(lang, str) else None


def _classify_chunk(
    classifier: Classifier, pending: list[tuple[int, str, str | None] | tuple[int, str]]
) -> int:
    readable = [(p[1], p[2]) for p in pending if len(p) == 3]
    results = iter(classifier.classify_texts(readable))
    failed = 0
    for item in pending:
        if len(item) == 3:
            print(json.dumps(next(results).as_dict(), ensure_ascii=False))
        else:
            failed += 1
            print(json.dumps({"error": item[1]}, ensure_ascii=False))
    return failed


def _sla_check(path: Path) -> int:
    """Needs no database: the cases carry their calendars."""
    from sla.cases import CaseError, check_all

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(str(path), f"not a readable JSON file: {exc}") from exc
    try:
        verdicts = check_all(document)
    except CaseError as exc:
        raise ConfigurationError(str(path), str(exc)) from exc
    for verdict in verdicts:
        print(verdict.line())
    failed = sum(not verdict.passed for verdict in verdicts)
    print(f"{len(verdicts) - failed} passed, {failed} failed")
    return EXIT_FAILED_CASES if failed else 0


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError("settings", problems) from None


def _train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inbox classify train",
        description="Train the classifier's model on labelled JSON lines (text, lang, kind, "
        "and optionally urgency, split, source); the same files and seed give the same bytes.",
    )
    parser.add_argument("corpus", nargs="+", type=Path, help="labelled JSON Lines files")
    parser.add_argument("--out", type=Path, required=True, help="the model file to write")
    parser.add_argument("--seed", type=int, default=None, help="default: the shipped model's")
    return parser


def _classify_train(argv: Sequence[str]) -> int:
    """Needs no database; needs the `train` extra (scikit-learn)."""
    args = _train_parser().parse_args(argv)
    from inbox.classify_training import SEED, model_bytes, read_corpus, train

    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise ConfigurationError(
            "classify train", "needs scikit-learn: pip install 'social-inbox[train]'"
        ) from None
    messages = read_corpus(args.corpus)
    model = train(messages, seed=SEED if args.seed is None else args.seed)
    try:
        args.out.write_bytes(model_bytes(model))
    except OSError as exc:
        raise ConfigurationError(str(args.out), f"cannot write it: {exc.strerror}") from exc
    print(
        f"model written to {args.out}: {model.about['features']} features from "
        f"{model.about['training_messages']} training messages; complaint threshold "
        f"{model.threshold:.2f}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:2] == ["classify", "train"]:
        try:
            return _classify_train(arguments[2:])
        except InboxError as exc:
            print(f"inbox: error: {exc}", file=sys.stderr)
            return EXIT_ERROR
    args = _parser().parse_args(arguments)
    try:
        if args.command == "sla" and args.sla_command == "check":
            return _sla_check(args.file)
        if args.command == "classify":
            return _classify(args.file, args.lexicon)
        if args.command == "signals":
            from inbox.signals_cli import run_score

            return run_score(args.file, args.out, args.bucket_minutes)
        settings = _settings()
        configure_logging(settings.log_level)
        match args.command:
            case "serve":
                asyncio.run(
                    _serve(settings, args.host or settings.host, args.port or settings.port)
                )
            case "demo":
                if not 0 < args.speed <= MAX_DEMO_SPEED:  # also refuses nan
                    raise ConfigurationError(
                        "--speed", f"must be more than 0, at most {MAX_DEMO_SPEED:g}"
                    )
                asyncio.run(
                    _demo(
                        settings, args.host or settings.host, args.port or settings.port, args.speed
                    )
                )
            case "worker":
                asyncio.run(_worker(settings, args.host or settings.host, args.health_port))
            case "migrate":
                asyncio.run(_migrate(settings))
            case "ingest":
                if not args.file.is_file():
                    raise ConfigurationError("file", f"{args.file} does not exist or is not a file")
                if args.batch < 1:
                    raise ConfigurationError("--batch", "must be at least 1")
                asyncio.run(_ingest(settings, args.file, args.batch))
            case "token":
                asyncio.run(_create_token(settings, args.name, Role(args.role), args.agent))
            case "sla":
                document = _sla_document(args.file) if args.sla_command == "set" else None
                asyncio.run(_sla(settings, args.sla_command, document))
            case "connect" if args.network == "mastodon":
                asyncio.run(_connect_mastodon(settings, args))
            case "connect" if args.network == "bluesky":
                asyncio.run(_connect_bluesky(settings, args))
            case "connect":
                asyncio.run(_connect_x(settings, args))
            case "routing":
                routing_document = (
                    _routing_document(args.file) if args.routing_command == "set" else None
                )
                asyncio.run(_routing(settings, args.routing_command, routing_document))
            case "agent":
                asyncio.run(_agent_add(settings, args))
            case "webhook":
                asyncio.run(_webhook(settings, args))
            case "webhook-source":
                asyncio.run(_webhook_source(settings, args))
            case "account":
                asyncio.run(
                    _add_account(settings, Network(args.network), args.external_id, args.handle)
                )
    except InboxError as exc:
        print(f"inbox: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
