"""The demo's other networks: a fake Mastodon instance and a fake Bluesky service on loopback,
the brand's accounts on both connected through the real connectors, and a few customers
writing there during the scripted day (each time it plays). The texts are the project's own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import SecretStr

from connectors.bluesky.fake import FakeBluesky, FakeBlueskyServer
from connectors.bluesky.xrpc import BlueskyCredentials
from connectors.mastodon.fake import FakeMastodon, FakeMastodonServer
from inbox.demo_day import pause
from inbox.domain.network import Network
from inbox.usecases.accounts import ConnectAccounts

# Credentials of the fake services only: they mean nothing anywhere else.
MASTODON_TOKEN = "demo-mastodon-token"  # noqa: S105
BLUESKY_HANDLE = "acme.bsky.social"
BLUESKY_APP_PASSWORD = "demo-demo-demo-demo"  # noqa: S105


@dataclass(frozen=True, slots=True)
class Toot:
    after: float  # seconds after the previous post of this script
    network: Network
    author: str  # a Mastodon username or a Bluesky handle
    text: str
    lang: str
    reply_to: int | None = None  # index of an earlier post of this script
    direct: bool = False  # a Mastodon direct message


M, B = Network.MASTODON, Network.BLUESKY
SCRIPT: tuple[Toot, ...] = (
    Toot(5, M, "margot", "@acme bonjour, la facture de novembre est en double ?", "fr"),
    Toot(9, B, "julien.bsky.social",
         "@acme.bsky.social is fibre coming to Villeurbanne this year?", "en"),
    Toot(12, M, "dev_kim",
         "@acme your status page has been green all day but my line is dead", "en"),
    Toot(8, M, "margot", "@acme mon numéro client est le 4412 3390, merci de regarder", "fr",
         direct=True),
    Toot(14, B, "ines.bsky.social",
         "@acme.bsky.social plus de réseau à Lyon, c'est général ?", "fr"),
    Toot(10, B, "julien.bsky.social",
         "@acme.bsky.social any date at all? even a rough one", "en", reply_to=1),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class OtherNetworks:
    mastodon: FakeMastodon
    mastodon_url: str
    mastodon_brand_id: str
    bluesky: FakeBluesky
    bluesky_url: str
    bluesky_brand_did: str


@contextlib.asynccontextmanager
async def other_networks() -> AsyncIterator[OtherNetworks]:
    mastodon = FakeMastodon(domain="fake.social", keepalive_seconds=5)
    brand_id = mastodon.add_account("acme", "Acme Telecom", followers=12_000, token=MASTODON_TOKEN)
    for username in ("margot", "dev_kim"):
        mastodon.add_account(username, username.replace("_", " ").title(), followers=150)
    bluesky = FakeBluesky()
    brand_did = bluesky.add_account(
        BLUESKY_HANDLE, "Acme Telecom", app_password=BLUESKY_APP_PASSWORD
    )
    for handle in ("julien.bsky.social", "ines.bsky.social"):
        bluesky.add_account(handle, handle.split(".")[0].title())
    async with FakeMastodonServer(mastodon) as mserver, FakeBlueskyServer(bluesky) as bserver:
        yield OtherNetworks(mastodon, mserver.url, brand_id, bluesky, bserver.url, brand_did)


def allowed_hosts(others: OtherNetworks) -> str:
    """INBOX_ALLOWED_INTERNAL_HOSTS for the fake services: their loopback address and port."""
    return ",".join(urlsplit(url).netloc for url in (others.mastodon_url, others.bluesky_url))


async def connect_accounts(
    accounts: ConnectAccounts, workspace_id: int, others: OtherNetworks
) -> None:
    """The brand's accounts, connected as `inbox connect mastodon|bluesky` would."""
    await accounts.connect(
        workspace_id,
        Network.MASTODON,
        others.mastodon_brand_id,
        "acme",
        {"instance": others.mastodon_url, "stream": True, "poll_seconds": 5},
        {"access_token": SecretStr(MASTODON_TOKEN)},
    )
    credentials = BlueskyCredentials(SecretStr(BLUESKY_APP_PASSWORD))
    await accounts.connect(
        workspace_id,
        Network.BLUESKY,
        others.bluesky_brand_did,
        BLUESKY_HANDLE,
        {"service": others.bluesky_url, "poll_seconds": 5},
        credentials.as_mapping(),
    )


async def play(others: OtherNetworks, stop: asyncio.Event, speed: float) -> None:
    """The script once, `speed` times faster; every post is new (new ids, new threads)."""
    posted: list[str] = []
    for toot in SCRIPT:
        if not await pause(stop, toot.after / speed):
            return
        reply_to = posted[toot.reply_to] if toot.reply_to is not None else None
        if toot.network is Network.MASTODON:
            author = others.mastodon.find(toot.author)
            assert author is not None  # the script names only accounts made above
            posted.append(
                others.mastodon.post(
                    author.id,
                    toot.text,
                    reply_to=reply_to,
                    language=toot.lang,
                    visibility="direct" if toot.direct else "public",
                )
            )
        else:
            posted.append(
                others.bluesky.post(toot.author, toot.text, reply_to=reply_to, langs=(toot.lang,))
            )
