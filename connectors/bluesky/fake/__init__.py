"""A fake Bluesky PDS and AppView for tests, benchmarks and the demo: XRPC on loopback.

Typical use::

    fake = FakeBluesky()
    brand = fake.add_account("acme.bsky.social", "Acme", app_password="abcd-efgh-ijkl-mnop")
    customer = fake.add_account("jo.bsky.social", "Jo")
    fake.post(customer, "@acme.bsky.social my line is down")
    async with FakeBlueskyServer(fake) as server:
        ...  # BlueskyApi(server.url, "acme.bsky.social", ...)
"""

from connectors.bluesky.fake.errors import XrpcError
from connectors.bluesky.fake.server import FakeBlueskyServer
from connectors.bluesky.fake.state import FakeBluesky, FakeImage, FakeLinkCard

__all__ = ["FakeBluesky", "FakeBlueskyServer", "FakeImage", "FakeLinkCard", "XrpcError"]
