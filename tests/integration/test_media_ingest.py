"""Media from each network's fake, through its real connector, stored with the message and
read back with the thread page; the image proxy's lookup by index."""

from __future__ import annotations

import json

import pytest

from connectors.bluesky.fake import FakeImage, FakeLinkCard
from connectors.mastodon.fake import FakeMedia
from connectors.meta.fake import FakeMeta
from connectors.meta.normalise import facebook_comment
from connectors.x.fake import Media
from inbox.domain.ingestion import IngestBatch
from inbox.domain.media import MediaAttachment, MediaKind
from inbox.domain.web import PageAttachment, ThreadPage
from inbox.store.database import Database
from inbox.store.inbox_pages import PgInboxPages
from inbox.store.ingest import PgIngestStore
from inbox.store.media import PgMediaLookup
from inbox.usecases.ingest import IngestMentions
from inbox.usecases.sla import KeepClocks
from tests.factories import mention
from tests.integration import test_bluesky_connector as bluesky
from tests.integration import test_mastodon_connector as mastodon
from tests.x_world import BRAND, CUSTOMERS, connected

pytestmark = pytest.mark.integration

PHOTO = "https://pbs.twimg.com/media/FxPhoto.jpg"


async def _only_page(db: Database, workspace_id: int) -> ThreadPage:
    thread_id = await db.fetchval("SELECT id FROM thread WHERE workspace_id = $1", workspace_id)
    page = await PgInboxPages(db).thread(workspace_id, thread_id)
    assert page is not None
    return page


def _shown(attachments: tuple[PageAttachment, ...]) -> list[tuple[str, str, str | None]]:
    return [(a.kind, a.url, a.preview_url) for a in attachments]


async def test_x_pictures_and_videos_are_stored_with_the_tweet_and_shown_with_it(
    db: Database, workspace_id: int
) -> None:
    async with connected(db, workspace_id) as x:
        x.fake.post(
            CUSTOMERS[0],
            f"@{BRAND} the box blinks red",
            media=[
                Media("3_11", "photo", 1200, 900, url=PHOTO, alt_text="A red light"),
                Media("7_12", "video", 1280, 720, preview_image_url=f"{PHOTO}?v"),
            ],
        )
        assert (await x.poller.poll_mentions()).added == 1
    (message,) = (await _only_page(db, workspace_id)).messages
    tweet_page = message.url
    assert _shown(message.attachments) == [
        ("image", PHOTO, f"{PHOTO}?name=small"),
        ("video", tweet_page, f"{PHOTO}?v"),
    ]
    assert message.attachments[0].alt_text == "A red light"
    assert (message.attachments[0].width, message.attachments[0].height) == (1200, 900)
    assert [a.index for a in message.attachments] == [0, 1]


async def test_mastodon_media_attachments_are_stored_and_shown(
    db: Database, workspace_id: int
) -> None:
    world = mastodon.build_world()
    files = "https://files.other.example/media"
    world.fake.post(
        world.customers[0],
        f"@{mastodon.BRAND} look",
        media=[
            FakeMedia("image", f"{files}/a.png", f"{files}/a-small.png", "the error", 800, 600),
            FakeMedia("gifv", f"{files}/b.mp4", f"{files}/b.png"),
        ],
    )
    async with mastodon.connected(db, workspace_id, world) as m:
        assert (await m.poller.poll_mentions()).added == 1
    (message,) = (await _only_page(db, workspace_id)).messages
    assert _shown(message.attachments) == [
        ("image", f"{files}/a.png", f"{files}/a-small.png"),
        ("gif", f"{files}/b.mp4", f"{files}/b.png"),
    ]
    assert message.attachments[0].alt_text == "the error"


async def test_bluesky_pictures_and_link_cards_are_stored_at_the_cdns_addresses(
    db: Database, workspace_id: int
) -> None:
    fake = bluesky.build_world()
    customer = bluesky.CUSTOMERS[0]
    fake.post(customer, f"@{bluesky.BRAND} see", images=[FakeImage("a photo", 1000, 750)])
    fake.post(
        customer,
        f"@{bluesky.BRAND} and this",
        link=FakeLinkCard("https://status.example.com/", "Status page"),
    )
    async with bluesky.connected(db, workspace_id, fake) as bsky:
        assert (await bsky.poller.poll()).added == 2
    async with db.connection() as conn:
        rows = await conn.fetch(
            "SELECT media FROM mention WHERE workspace_id = $1 ORDER BY created_at", workspace_id
        )
    stored = [MediaAttachment.model_validate(json.loads(row["media"])[0]) for row in rows]
    did = fake.did_of(customer)
    assert stored[0].url.startswith(f"https://cdn.bsky.app/img/feed_fullsize/plain/{did}/bafkrei")
    assert stored[0].preview_url is not None
    assert (stored[0].alt_text, stored[0].width, stored[0].height) == ("a photo", 1000, 750)
    assert (stored[1].kind, stored[1].url, stored[1].alt_text) == (
        MediaKind.LINK,
        "https://status.example.com/",
        "Status page",
    )


async def test_a_page_comments_photo_is_stored_with_it(db: Database, workspace_id: int) -> None:
    meta = FakeMeta()
    photo = "https://scontent.xx.fbcdn.net/v/t39.1/p.jpg?oh=1"
    comment = meta.facebook_comment("9", "Jane Doe", "", photo=photo)
    value = meta.notification(comment)["entry"][0]["changes"][0]["value"]
    ingest = IngestMentions(PgIngestStore(db), hooks=[KeepClocks()])
    await ingest(workspace_id, IngestBatch([facebook_comment(value, meta.page_id)]))
    (message,) = (await _only_page(db, workspace_id)).messages
    assert _shown(message.attachments) == [("image", photo, None)]


async def test_ingestion_bounds_the_attachments_and_stores_the_rest_of_the_batch(
    db: Database, workspace_id: int
) -> None:
    many = tuple(
        MediaAttachment(kind=MediaKind.IMAGE, url=f"{PHOTO}?n={n}", alt_text="d" * 3000)
        for n in range(12)
    )
    loaded = mention("1", conversation="c").model_copy(update={"media": many})
    plain = mention("2", conversation="c", minute=1)
    result = await IngestMentions(PgIngestStore(db))(workspace_id, IngestBatch([loaded, plain]))
    assert (result.mentions_added, result.quarantined) == (2, 0)
    first, second = (await _only_page(db, workspace_id)).messages
    assert len(first.attachments) == 10
    assert all(len(a.alt_text or "") == 1501 for a in first.attachments)
    assert second.attachments == ()
    # A message without media keeps the column empty.
    assert (
        await db.fetchval(
            "SELECT count(*) FROM mention WHERE workspace_id = $1 AND media IS NULL", workspace_id
        )
        == 1
    )


async def test_the_proxy_finds_an_attachment_by_its_message_and_index_in_its_workspace(
    db: Database, workspace_id: int
) -> None:
    media = (
        MediaAttachment(kind=MediaKind.VIDEO, url=PHOTO, preview_url=f"{PHOTO}?p"),
        MediaAttachment(kind=MediaKind.IMAGE, url=f"{PHOTO}?2"),
    )
    loaded = mention("1").model_copy(update={"media": media})
    await IngestMentions(PgIngestStore(db))(workspace_id, IngestBatch([loaded]))
    lookup = PgMediaLookup(db)
    assert await lookup.attachment(workspace_id, "x", "1", 1) == media[1]
    assert await lookup.attachment(workspace_id, "x", "1", 0) == media[0]
    assert await lookup.attachment(workspace_id, "x", "1", 2) is None
    assert await lookup.attachment(workspace_id, "mastodon", "1", 0) is None
    assert await lookup.attachment(workspace_id + 1, "x", "1", 0) is None
