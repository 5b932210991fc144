"""A fake X API v2 for tests, benchmarks and the demo: real HTTPS on loopback, X's wire format.

Typical use, with a tweepy AsyncClient `client`::

    fake = FakeX()
    brand = fake.add_user("1000", "acme_help", "Acme Support")
    async with FakeXServer(
        fake, bearer_token="b", consumer_key="ck", access_token=f"{brand}-secret"
    ) as server:
        client.session = fake_x_session(server)
"""

from connectors.x.fake.server import FakeXServer
from connectors.x.fake.state import FakeX, Media
from connectors.x.fake.transport import fake_x_session

__all__ = ["FakeX", "FakeXServer", "Media", "fake_x_session"]
