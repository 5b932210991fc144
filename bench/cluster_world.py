"""The outside world of the chaos run: a fake X, Mastodon and Bluesky in the benchmark's own
process (they outlive every kill), the brand's account on each, customers writing steadily,
one burst of outage complaints, and what the fakes saw: each customer post by its marker, the
replies posted, the polls and X's billed reads.

Every customer post carries a marker (`[c-17]`) and every agent's reply one (`(ref r-4)`), so
what the database holds is matched to what the fakes served by text, whatever id form each
connector stores.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from connectors.bluesky.fake import FakeBluesky, FakeBlueskyServer
from connectors.bluesky.xrpc import BlueskyCredentials
from connectors.common.fake_server import TimedRequest
from connectors.mastodon.fake import FakeMastodon, FakeMastodonServer
from connectors.x.fake import FakeX, FakeXServer
from inbox.domain.network import Network

# Credentials of the fakes only: they mean nothing anywhere else.
X_BRAND_ID = "1000"
X_KEYS = {
    "bearer_token": "chaos-bearer",
    "consumer_key": "chaos-consumer-key",
    "consumer_secret": "chaos-consumer-secret",
    "access_token": f"{X_BRAND_ID}-chaos-access-token",
    "access_token_secret": "chaos-access-secret",
}
MASTODON_TOKEN = "chaos-mastodon-token"  # noqa: S105
BLUESKY_HANDLE = "acme.bsky.social"
BLUESKY_PASSWORD = "chaos-chaos-chaos-chaos"  # noqa: S105
CUSTOMERS = 12
POLL_SECONDS = 1

STEADY_TEXTS = (
    "@{brand} my bill shows the same charge twice {marker}",
    "@{brand} how do I change the address on my contract? {marker}",
    "@{brand} the app logs me out every morning {marker}",
    "@{brand} thanks for fixing my line yesterday {marker}",
)
BURST_TEXT = "@{brand} no signal at all in Lyon since this morning, is the network down? {marker}"
CUSTOMER_MARKER = re.compile(r"\[c-(\d+)\]")
REPLY_MARKER = re.compile(r"\(ref (r-\d+)\)")


@dataclass
class ServedPosts:
    """The markers of the customer posts the fakes served, in order."""

    markers: list[str] = field(default_factory=list)
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def next_marker(self) -> str:
        marker = f"[c-{next(self._numbers)}]"
        self.markers.append(marker)
        return marker


class FakeWorld:
    """The three fakes, their brand accounts and customers, and the run's traffic."""

    def __init__(self) -> None:
        self.x = FakeX(keepalive_seconds=5)
        self.x.add_user(X_BRAND_ID, "acme", "Acme Telecom")
        self.x_customers = [
            self.x.add_user(str(2000 + n), f"customer{n}", f"Customer {n}")
            for n in range(CUSTOMERS)
        ]
        self.mastodon = FakeMastodon(domain="fake.social")
        self.mastodon_brand = self.mastodon.add_account("acme", "Acme", token=MASTODON_TOKEN)
        self.mastodon_customers = [
            self.mastodon.add_account(f"customer{n}", domain="other.example")
            for n in range(CUSTOMERS)
        ]
        self.bluesky = FakeBluesky()
        self.bluesky_brand = self.bluesky.add_account(
            BLUESKY_HANDLE, "Acme", app_password=BLUESKY_PASSWORD
        )
        self.bluesky_customers = [f"customer{n}.bsky.social" for n in range(CUSTOMERS)]
        for handle in self.bluesky_customers:
            self.bluesky.add_account(handle)
        self.served = ServedPosts()
        self.mastodon_url = ""
        self.bluesky_url = ""
        self.x_port = 0
        self._turn = itertools.count()

    @asynccontextmanager
    async def serving(self, ca_file: Path) -> AsyncIterator[FakeWorld]:
        """The fakes on loopback for the block; the fake X's CA written to `ca_file`."""
        async with (
            FakeXServer(
                self.x,
                bearer_token=X_KEYS["bearer_token"],
                consumer_key=X_KEYS["consumer_key"],
                access_token=X_KEYS["access_token"],
            ) as x_server,
            FakeMastodonServer(self.mastodon) as mastodon_server,
            FakeBlueskyServer(self.bluesky) as bluesky_server,
        ):
            x_server.ca.cert_pem.write_to_path(str(ca_file))
            self.x_port = x_server.port
            self.mastodon_url, self.bluesky_url = mastodon_server.url, bluesky_server.url
            yield self

    # -- the brand's accounts, as `inbox connect` stores them --------------------------------

    def accounts(self) -> list[tuple[Network, str, str, dict[str, Any], dict[str, SecretStr]]]:
        """(network, external id, handle, settings, credentials) of each brand account."""
        return [
            (
                Network.X,
                X_BRAND_ID,
                "acme",
                {"search_terms": [], "poll_mentions_seconds": POLL_SECONDS},
                {name: SecretStr(value) for name, value in X_KEYS.items()},
            ),
            (
                Network.MASTODON,
                self.mastodon_brand,
                "acme",
                {"instance": self.mastodon_url, "poll_seconds": POLL_SECONDS},
                {"access_token": SecretStr(MASTODON_TOKEN)},
            ),
            (
                Network.BLUESKY,
                self.bluesky_brand,
                BLUESKY_HANDLE,
                {"service": self.bluesky_url, "poll_seconds": POLL_SECONDS},
                BlueskyCredentials(SecretStr(BLUESKY_PASSWORD)).as_mapping(),
            ),
        ]

    def allowed_hosts(self) -> str:
        """INBOX_ALLOWED_INTERNAL_HOSTS for the fakes reached by URL."""
        return ",".join(urlsplit(url).netloc for url in (self.mastodon_url, self.bluesky_url))

    # -- traffic --------------------------------------------------------------------------

    def post_one(self, network: Network, text: str) -> None:
        """A customer's post mentioning the brand on `network`, with the next marker."""
        turn = next(self._turn)
        marker = self.served.next_marker()
        if network is Network.X:
            author = self.x_customers[turn % CUSTOMERS]
            self.x.post(author, text.format(brand="acme", marker=marker))
        elif network is Network.MASTODON:
            author = self.mastodon_customers[turn % CUSTOMERS]
            self.mastodon.post(author, text.format(brand="acme", marker=marker))
        else:
            author = self.bluesky_customers[turn % CUSTOMERS]
            self.bluesky.post(author, text.format(brand=BLUESKY_HANDLE, marker=marker))

    async def steady(self, stop: asyncio.Event, per_second: float) -> None:
        """A post every 1/`per_second` seconds, networks and texts in turn, until `stop`."""
        networks = itertools.cycle((Network.X, Network.MASTODON, Network.BLUESKY))
        texts = itertools.cycle(STEADY_TEXTS)
        while not stop.is_set():
            self.post_one(next(networks), next(texts))
            try:
                await asyncio.wait_for(stop.wait(), 1 / per_second)
            except TimeoutError:
                continue

    def burst(self, count: int) -> None:
        """`count` outage complaints at once on X: one incident is expected of them."""
        for _ in range(count):
            self.post_one(Network.X, BURST_TEXT)

    # -- what the fakes saw ---------------------------------------------------------------

    def request_logs(self) -> Mapping[str, Sequence[TimedRequest]]:
        return {
            "x": self.x.timed_requests,
            "mastodon": self.mastodon.timed_requests,
            "bluesky": self.bluesky.timed_requests,
        }

    def posted_reply_markers(self) -> Counter[str]:
        """How many times each agent's reply was posted, over the three networks."""
        texts = [
            *(tweet.text for tweet in self.x.posted),
            *(status.text for status in self.mastodon.posted),
            *(str(post.record.get("text", "")) for post in self.bluesky.posted),
        ]
        return Counter(found[1] for text in texts if (found := REPLY_MARKER.search(text)))

    def x_reads_per_post(self) -> float:
        """Tweets X billed as read over the distinct tweets it served (1.0: each read once)."""
        distinct = len(self.x.reads_by_tweet)
        return self.x.reads / distinct if distinct else 0.0
