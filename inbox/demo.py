"""`inbox demo`: the whole product on fake networks, a working day that plays while it runs.

It makes a scratch folder, starts the embedded database in it, seeds a workspace
(demo_workspace) with a past week of answered complaints (demo_history), starts the fake X API
on loopback TLS and a fake Mastodon instance and Bluesky service on loopback, connects the real
connectors to them, and serves the pages. It prints who may log in, as what, and what to try;
an API token of its own database and a request to try it with. Its log lines go to a file in
the folder; only warnings and errors reach the console. The scripted day (demo_day,
demo_networks) then plays, again and again, until `stop` is set (Ctrl-C, SIGTERM): everything
stops, the database server too, and the folder is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.x.fake import FakeX, FakeXServer
from inbox import demo_calendar, demo_day, demo_history, demo_networks, demo_workspace
from inbox.bootstrap import Runtime, open_runtime, workspace_setup
from inbox.domain.people import Role
from inbox.logs import logging_to_file
from inbox.settings import Settings
from inbox.worker_wiring import run_workers

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

Listen = Callable[["web.AppRunner", str, int], Awaitable[None]]

LOG_FILE = "demo.log"
# A quiet spell between two plays of the day (divided by the speed, as the script is).
BETWEEN_DAYS_SECONDS = 90.0

ROLE_NAMES = {Role.COMMUNITY: "community member"}
WHAT_TO_TRY = {
    Role.AGENT: "answer a complaint; press ? for the keys",
    Role.LEAD: "the dashboard and the SLA at risk",
    Role.OPS: "the incident of the day",
    Role.ADMIN: "the admin pages",
    Role.COMMUNITY: "their page (opens on /)",
}


async def run_demo(
    settings: Settings, host: str, port: int, speed: float, *, stop: asyncio.Event, listen: Listen
) -> None:
    from aiohttp import web

    from web.app import create_app

    start = datetime.now(UTC)
    with _scratch_folder() as folder, logging_to_file(folder / LOG_FILE):
        fake = demo_day.world(start)
        async with FakeXServer(
            fake,
            bearer_token=demo_day.KEYS["bearer_token"],
            consumer_key=demo_day.KEYS["consumer_key"],
            access_token=demo_day.ACCESS_TOKEN,
        ) as xserver:
            ca_file = folder / "fake-x-ca.pem"
            xserver.ca.cert_pem.write_to_path(str(ca_file))
            async with demo_networks.other_networks() as others:
                demo_settings = _settings_for(settings, folder, xserver.port, ca_file, others)
                async with open_runtime(demo_settings) as runtime:
                    access = await _seed(runtime, start, others)
                    if stop.is_set():  # stopped while it was being set up
                        return
                    runner = web.AppRunner(
                        create_app(runtime.services, runtime.default_workspace_id),
                        access_log=None,
                    )
                    await runner.setup()
                    try:
                        await listen(runner, host, port)
                        print(announce(_url(host, port), access, folder, start), flush=True)
                        await _run_until_stopped(runtime, fake, others, stop, speed)
                    finally:
                        await runner.cleanup()


def _settings_for(
    settings: Settings,
    folder: Path,
    x_port: int,
    ca_file: Path,
    others: demo_networks.OtherNetworks,
) -> Settings:
    """The instance's settings, pointed at the scratch folder and the fake networks."""
    return settings.model_copy(
        update={
            "database_url": None,
            "data_dir": folder / "postgres",
            "x_api_address": f"127.0.0.1:{x_port}",
            "x_api_ca_file": ca_file,
            # A key of this run only, made on first use, removed with the folder.
            "secret_key": None,
            "secret_key_file": folder / "secret.key",
            # The fake Mastodon and Bluesky listen on loopback, where outbound
            # requests go only when the destination is named.
            "allowed_internal_hosts": demo_networks.allowed_hosts(others),
        }
    )


async def _seed(
    runtime: Runtime, start: datetime, others: demo_networks.OtherNetworks
) -> demo_workspace.Access:
    """The workspace, its past week, and the brand's accounts on every fake network."""
    setup = workspace_setup(runtime)
    workspace_id = runtime.default_workspace_id
    access = await demo_workspace.seed(runtime.services, setup, workspace_id, start)
    await demo_history.play_past_week(
        runtime.services,
        workspace_id,
        start,
        tuple((user_id, handle) for user_id, handle, _ in demo_day.CUSTOMERS),
        (demo_day.BRAND_ID, demo_day.BRAND),
    )
    await demo_networks.connect_accounts(setup.accounts, workspace_id, others)
    return access


@contextlib.contextmanager
def _scratch_folder() -> Iterator[Path]:
    """A new folder for the demo's database, certificate and log, removed on the way out
    (the database server is stopped before: it is left inside)."""
    folder = Path(tempfile.mkdtemp(prefix="inbox-demo-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def _run_until_stopped(
    runtime: Runtime,
    fake: FakeX,
    others: demo_networks.OtherNetworks,
    stop: asyncio.Event,
    speed: float,
) -> None:
    """The workers and the scripted day, until `stop`; should either end first (an error),
    the other is stopped too and the error raised as it is."""
    playing = asyncio.create_task(_play_days(fake, others, stop, speed))
    playing.add_done_callback(lambda _: stop.set())
    try:
        await run_workers(runtime, stop)
    finally:
        stop.set()
        await playing


async def _play_days(
    fake: FakeX, others: demo_networks.OtherNetworks, stop: asyncio.Event, speed: float
) -> None:
    """The scripted day on every network, again and again until stopped."""
    played = 0
    while True:
        await asyncio.gather(
            demo_day.play(fake, stop, speed), demo_networks.play(others, stop, speed)
        )
        if stop.is_set():
            return
        played += 1
        log.info("the scripted day played", extra={"action": "demo_day_played", "times": played})
        if not await demo_day.pause(stop, BETWEEN_DAYS_SECONDS / speed):
            return


def _url(host: str, port: int) -> str:
    """Where a browser on this machine reaches the demo (not 0.0.0.0, the wildcard)."""
    shown = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


def announce(url: str, access: demo_workspace.Access, folder: Path, start: datetime) -> str:
    """What the demo prints once it serves: the logins, the token, where the logs are."""
    lines = [
        f"inbox demo on {url}",
        "",
        f"  {'login':<20} {'password':<13} {'role':<18} try",
    ]
    for login in access.logins:
        person = login.person
        role = ", ".join([ROLE_NAMES.get(person.role, person.role.value), *person.teams])
        lines.append(
            f"  {person.email:<20} {login.password:<13} {role:<18} {WHAT_TO_TRY[person.role]}"
        )
    opened = demo_calendar.opening(start)
    lines += [
        "",
        f"API token ({access.token_role.value}: threads, their SLA, /metrics): {access.token}",
        f'  curl -H "Authorization: Bearer {access.token}" {url}api/v1/threads',
        "",
        f"The office ({demo_calendar.ZONE.key}) opened at {opened:%H:%M}; customers who wrote "
        "before were told when it opens.",
        "The day plays now, and again until you stop it. Logins and data are new at each run.",
        f"Logs: {folder / LOG_FILE} (warnings and errors also here).",
        f"Ctrl-C stops the demo and deletes {folder}.",
    ]
    return "\n".join(lines)
