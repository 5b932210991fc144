"""Small builders of domain objects for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from inbox.domain.egress import EgressPolicy
from inbox.domain.mention import Author, Direction, Mention
from inbox.domain.network import Network

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def paris_office(**more: object) -> dict[str, object]:
    """A calendar's settings as an admin writes them: Paris, weekdays 09:00 to 19:00 (and
    `more`, such as holidays)."""
    return {"tz": "Europe/Paris", "weekly": {d: [["09:00", "19:00"]] for d in WEEKDAYS}, **more}


def mention(
    external_id: str,
    *,
    author: str = "u1",
    minute: int = 0,
    conversation: str | None = None,
    reply_to: str | None = None,
    text: str | None = None,
    network: Network = Network.X,
    direction: Direction = Direction.INBOUND,
) -> Mention:
    return Mention(
        network=network,
        external_id=external_id,
        author=Author(external_id=author, handle=f"handle_{author}", display_name=author.upper()),
        text=text if text is not None else f"message {external_id}",
        created_at=T0 + timedelta(minutes=minute),
        direction=direction,
        conversation_key=conversation,
        in_reply_to=reply_to,
        raw={"id": external_id},
    )


def allowed_hosts(*urls: str) -> str:
    """INBOX_ALLOWED_INTERNAL_HOSTS naming the fake services (on loopback) at `urls`."""
    return ",".join(urlsplit(url).netloc for url in urls)


def allowing(*urls: str) -> EgressPolicy:
    """The egress policy of a test that reaches fake services on loopback at `urls`."""
    return EgressPolicy.from_setting(allowed_hosts(*urls))
