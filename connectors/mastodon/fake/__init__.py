"""A fake Mastodon instance for tests, benchmarks and the demo: HTTP on loopback, real wire format.

Typical use::

    world = FakeMastodon()
    brand = world.add_account("acme", "Acme Support", token="brand-token")
    customer = world.add_account("ann", domain="other.example")
    world.post(customer, "@acme my line is down")
    async with FakeMastodonServer(world) as server:
        api = MastodonApi(server.url, SecretStr("brand-token"), session, clock=...)
"""

from connectors.mastodon.fake.server import FakeMastodonServer
from connectors.mastodon.fake.state import FakeMastodon, FakeMedia

__all__ = ["FakeMastodon", "FakeMastodonServer", "FakeMedia"]
