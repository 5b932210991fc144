"""`inbox demo`: the whole product on fake networks, a working day compressed into minutes.

It starts the embedded database in a fresh folder, seeds a workspace (two teams, French and
English, an office calendar with French holidays, SLA policies, agents, a lead, ops, a
community member; their logins are printed), starts the fake X API on loopback TLS and a
fake Mastodon instance and Bluesky service on loopback, connects the real connectors to
them, and serves the pages. Then a scripted day plays: questions, complaints, a VIP,
out-of-hours mentions, an outage burst, replies inside threads, a direct message. The
scenario's texts are the project's own.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from connectors.x.fake import FakeX, FakeXServer
from inbox import demo_history, demo_networks
from inbox.bootstrap import Runtime, credential_store, open_runtime, run_workers
from inbox.domain.network import Network
from inbox.domain.people import Role
from inbox.settings import Settings
from inbox.store.people import PgPeopleStore
from inbox.store.secret_box import SecretBox

BRAND_ID = "1000"
BRAND = "acme"
ACCESS_TOKEN = f"{BRAND_ID}-demo-access-token"
DEMO_KEYS = {
    "bearer_token": "demo-bearer",
    "consumer_key": "demo-consumer-key",
    "consumer_secret": "demo-consumer-secret",
    "access_token": ACCESS_TOKEN,
    "access_token_secret": "demo-access-secret",
}

# (name, e-mail, roles, teams, languages)
PEOPLE = (
    ("Léa Martin", "lea@demo.example", (Role.LEAD,), ("Support FR",), ("fr",)),
    ("Hugo Bernard", "hugo@demo.example", (Role.AGENT,), ("Support FR",), ("fr",)),
    ("Chloé Petit", "chloe@demo.example", (Role.AGENT,), ("Support FR",), ("fr", "en")),
    ("Sam Taylor", "sam@demo.example", (Role.AGENT,), ("Support EN",), ("en",)),
    ("Priya Shah", "priya@demo.example", (Role.AGENT,), ("Support EN",), ("en",)),
    ("Omar Ops", "ops@demo.example", (Role.OPS,), (), ()),
    ("Admin", "admin@demo.example", (Role.ADMIN,), (), ()),
    ("Max (community)", "max@demo.example", (Role.COMMUNITY,), (), ("fr", "en")),
)

CUSTOMERS = (
    ("2001", "camille_lyon", 310),
    ("2002", "jdupont", 1200),
    ("2003", "sarah_k", 85),
    ("2004", "tom_builds", 40),
    ("2005", "famous_chef", 250_000),  # a customer with a large audience
    ("2006", "nico_velo", 520),
    ("2007", "emma_w", 95),
    ("2008", "lucas_b", 12),
)


@dataclass(frozen=True, slots=True)
class Post:
    after: float  # seconds after the previous post
    customer: int  # index in CUSTOMERS; -1 for the brand
    text: str
    lang: str
    reply_to: int | None = None  # index of an earlier post of the script


SCRIPT: tuple[Post, ...] = (
    Post(3, 0, "@acme bonjour, ma box redémarre toute seule depuis ce matin, une idée ?", "fr"),
    Post(6, 2, "@acme hi! how do I move my contract to my new flat next month?", "en"),
    Post(6, 1, "@acme toujours pas de remboursement après 3 semaines, c'est inadmissible", "fr"),
    Post(8, 3, "@acme thank you so much for the quick fix yesterday, all good now", "en"),
    Post(
        8,
        4,
        "@acme my restaurant has had no internet since noon. Booking system down. Fix it.",
        "en",
    ),
    Post(6, 0, "@acme elle vient de redémarrer encore une fois...", "fr", reply_to=0),
    Post(10, 5, "@acme est-ce que l'appli permet de suivre ma consommation data ?", "fr"),
    Post(8, 6, "@acme my email is emma.w@example.com, please call me about my bill", "en"),
    Post(10, 7, "Win a free phone!! click here https://t.co/demo and follow @acme", "en"),
    Post(
        6,
        1,
        "@acme ça fait une heure que j'attends au téléphone, personne ne répond",
        "fr",
        reply_to=2,
    ),
    # The outage burst: the same neighbourhood, within seconds.
    Post(12, 0, "@acme plus de réseau du tout à Lyon 3e ?? panne ?", "fr"),
    Post(2, 5, "@acme panne internet à Lyon depuis 10 minutes, vous confirmez ?", "fr"),
    Post(2, 7, "@acme is the network down in Lyon? no signal at all", "en"),
    Post(2, 1, "@acme coupure totale ici aussi, Lyon 7e", "fr"),
    Post(2, 2, "@acme anyone else's 4G down in Lyon? nothing works", "en"),
    Post(15, 6, "@acme still waiting for someone to call me back...", "en", reply_to=7),
    Post(10, 3, "@acme how do I change the wifi password on the new router?", "en"),
    Post(
        12,
        4,
        "@acme 4 hours without internet. I am losing customers. Switching provider.",
        "en",
        reply_to=4,
    ),
)


def _seed_people() -> list[tuple[str, str, str]]:
    """(name, e-mail, password) for each person, passwords new at each run."""
    return [(name, email, secrets.token_urlsafe(9)) for name, email, *_ in PEOPLE]


async def _seed(runtime: Runtime, logins: Sequence[tuple[str, str, str]]) -> None:
    workspace_id = runtime.default_workspace_id
    services = runtime.services
    people = PgPeopleStore(runtime.db)
    for (name, email, roles, teams, _), (_, _, password) in zip(PEOPLE, logins, strict=True):
        await people.save_agent(workspace_id, email, name, list(roles), list(teams))
        await services.web_logins.set_password(workspace_id, email, SecretStr(password))
    async with runtime.db.connection() as conn:
        for name, _, _, _, languages in PEOPLE:
            await conn.execute(
                "UPDATE agent SET languages = $3 WHERE workspace_id = $1 AND display_name = $2",
                workspace_id,
                name,
                list(languages),
            )
        await conn.execute(
            "UPDATE team SET languages = ARRAY[lower(right(name, 2))] WHERE workspace_id = $1",
            workspace_id,
        )
    office = {
        "tz": "Europe/Paris",
        "country": "FR",
        "weekly": {d: [["09:00", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "on_call": ["lea@demo.example"],
    }
    policies: dict[str, object] = {
        "policies": {
            "standard": {"name": "standard", "calendar": "office",
                         "out_of_hours_acknowledgement": True},
            "urgent": {"name": "urgent", "calendar": "office",
                       "targets": {"first_response": 15}},
        },
        "rules": [{"when": {"priorities": ["urgent", "high"]}, "policy": "urgent"}],
        "default": "standard",
    }  # fmt: skip
    await services.sla_settings(workspace_id, {"office": office}, policies)
    await services.routing_settings.save(
        workspace_id,
        {"community": {"enabled": True, "topics": ["app"]}, "reassign_after_minutes": 10},
        {},
        {
            "rules": [
                {"name": "spam", "when": {"kinds": ["other"], "text_contains_any": ["click here"]},
                 "then": {"no_reply_needed": True, "tags": ["spam"]}, "stop": True},
                {"name": "billing", "when": {"topics_any": ["billing"]},
                 "then": {"tags": ["billing"]}},
            ]
        },
    )  # fmt: skip
    account_id = await runtime.workspaces.configure_account(
        workspace_id,
        Network.X,
        BRAND_ID,
        BRAND,
        {"search_terms": [], "stream": True, "poll_mentions_seconds": 5},
    )
    await credential_store(runtime.settings, runtime.db).replace(
        workspace_id, account_id, {k: SecretStr(v) for k, v in DEMO_KEYS.items()}
    )


def _world() -> FakeX:
    fake = FakeX(keepalive_seconds=5)
    fake.add_user(BRAND_ID, BRAND, "Acme Telecom", followers_count=80_000)
    for user_id, handle, followers in CUSTOMERS:
        fake.add_user(user_id, handle, handle.replace("_", " ").title(), followers_count=followers)
    return fake


async def _play(fake: FakeX, stop: asyncio.Event, speed: float) -> None:
    posted: list[str] = []
    for post in SCRIPT:
        try:
            await asyncio.wait_for(stop.wait(), timeout=post.after / speed)
            return
        except TimeoutError:
            pass
        author = BRAND_ID if post.customer < 0 else CUSTOMERS[post.customer][0]
        reply_to = posted[post.reply_to] if post.reply_to is not None else None
        posted.append(fake.post(author, post.text, reply_to=reply_to, lang=post.lang))
    print("the scripted day is over; the inbox keeps running (Ctrl-C to stop)", flush=True)


async def run_demo(settings: Settings, host: str, port: int, speed: float) -> None:
    from aiohttp import web

    from web.app import create_app

    folder = Path(tempfile.mkdtemp(prefix="inbox-demo-"))
    fake = _world()
    async with FakeXServer(
        fake,
        bearer_token=DEMO_KEYS["bearer_token"],
        consumer_key=DEMO_KEYS["consumer_key"],
        access_token=ACCESS_TOKEN,
    ) as xserver:
        ca_file = folder / "fake-x-ca.pem"
        xserver.ca.cert_pem.write_to_path(str(ca_file))
        async with demo_networks.other_networks() as others:
            demo_settings = settings.model_copy(
                update={
                    "database_url": None,
                    "data_dir": folder / "postgres",
                    "x_api_address": f"127.0.0.1:{xserver.port}",
                    "x_api_ca_file": ca_file,
                    "secret_key": SecretStr(SecretBox.new_key()),
                    # The fake Mastodon and Bluesky listen on loopback, where outbound
                    # requests go only when the destination is named.
                    "allowed_internal_hosts": demo_networks.allowed_hosts(others),
                }
            )
            async with open_runtime(demo_settings) as runtime:
                logins = _seed_people()
                await _seed(runtime, logins)
                await demo_history.play_past_week(
                    runtime.services,
                    runtime.default_workspace_id,
                    datetime.now(UTC),
                    tuple((user_id, handle) for user_id, handle, _ in CUSTOMERS),
                    (BRAND_ID, BRAND),
                )
                await demo_networks.connect_accounts(runtime, runtime.default_workspace_id, others)
                runner = web.AppRunner(
                    create_app(runtime.services, runtime.default_workspace_id), access_log=None
                )
                await runner.setup()
                try:
                    await web.TCPSite(runner, host, port).start()
                    _announce(host, port, logins, folder)
                    stop = asyncio.Event()
                    loop = asyncio.get_running_loop()
                    for sig in (signal.SIGINT, signal.SIGTERM):
                        loop.add_signal_handler(sig, stop.set)
                    await asyncio.gather(
                        run_workers(runtime, stop),
                        _play(fake, stop, speed),
                        demo_networks.play(others, stop, speed),
                    )
                finally:
                    await runner.cleanup()


def _announce(host: str, port: int, logins: Sequence[tuple[str, str, str]], folder: Path) -> None:
    print(f"inbox demo on http://{host}:{port}/ (data in {folder})", flush=True)
    print("logins (new at each run):", flush=True)
    for name, email, password in logins:
        print(f"  {email:<22} {password}   {name}", flush=True)
    print(
        f"the scripted day starts now ({datetime.now(UTC):%H:%M:%S} UTC); "
        "watch the inbox fill up, answer, and see the SLA page",
        flush=True,
    )
