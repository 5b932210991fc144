"""A fake Meta for tests, benchmarks and demos: the Graph API calls the inbox makes, served
over HTTP on loopback, and a sender that pushes signed webhook notifications.

Typical use::

    fake = FakeMeta()
    async with FakeGraphServer(fake) as graph:
        comment = fake.facebook_comment("5001", "Jane Doe", "My internet is down")
        await MetaSender(session, inbox_url, app_secret).deliver(fake.notification(comment))
"""

from connectors.meta.fake.sender import MetaSender
from connectors.meta.fake.server import FakeGraphServer
from connectors.meta.fake.state import FakeComment, FakeMeta

__all__ = ["FakeComment", "FakeGraphServer", "FakeMeta", "MetaSender"]
