"""What the fake networks log of each request, for a run of several processes to tell who
asked what and when: the endpoint, the client's port (one per connection: two clients, two
ports), when it began and ended; the fake X also counts each tweet it billed as read."""

from __future__ import annotations

import aiohttp

from connectors.bluesky.fake import FakeBluesky, FakeBlueskyServer
from connectors.mastodon.fake import FakeMastodon, FakeMastodonServer
from connectors.x.fake import FakeX, FakeXServer, fake_x_session

BEARER = "fake-bearer-token"


async def test_the_fake_x_logs_each_request_and_bills_each_tweet_it_delivers() -> None:
    fake = FakeX()
    brand = fake.add_user("100", "acme")
    customer = fake.add_user("200", "ann")
    posted = [fake.post(customer, f"@acme my line is down ({n})") for n in range(3)]
    async with (
        FakeXServer(fake, bearer_token=BEARER, consumer_key="k", access_token="100-a") as server,
        fake_x_session(server) as session,
    ):
        for _ in range(2):
            async with session.get(
                f"https://api.twitter.com/2/users/{brand}/mentions",
                headers={"Authorization": f"Bearer {BEARER}"},
            ) as answer:
                assert answer.status == 200
    first, second = fake.timed_requests
    assert (first.endpoint, second.endpoint) == ("mentions", "mentions")
    assert first.client_port == second.client_port > 0  # one kept-alive connection
    assert first.started <= first.finished <= second.started <= second.finished
    assert fake.reads_by_tweet == dict.fromkeys(posted, 2)
    assert fake.reads == 6


async def test_the_fake_mastodon_tells_two_clients_apart_by_their_port() -> None:
    fake = FakeMastodon()
    fake.add_account("acme", token="brand-token")
    async with FakeMastodonServer(fake) as server:
        for _ in range(2):
            async with (
                aiohttp.ClientSession() as session,
                session.get(
                    f"{server.url}/api/v1/notifications",
                    headers={"Authorization": "Bearer brand-token"},
                ) as answer,
            ):
                assert answer.status == 200
    first, second = fake.timed_requests
    assert (first.endpoint, second.endpoint) == ("notifications", "notifications")
    assert first.client_port != second.client_port
    assert first.started <= first.finished <= second.started


async def test_the_fake_bluesky_logs_each_request_refused_ones_too() -> None:
    fake = FakeBluesky()
    async with (
        FakeBlueskyServer(fake) as server,
        aiohttp.ClientSession() as session,
        session.get(f"{server.url}/xrpc/app.bsky.notification.listNotifications") as answer,
    ):
        assert answer.status == 401
    [logged] = fake.timed_requests
    assert logged.endpoint == "app.bsky.notification.listNotifications"
    assert logged.client_port > 0
    assert logged.started <= logged.finished
