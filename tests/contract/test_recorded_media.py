"""Media as the networks were recorded sending it parses into attachments, and the fakes
serve media in the recorded shapes.

Recorded: X pages with `includes.media` (twarc: photos and animated GIFs, from search and the
filtered stream), a Mastodon status with a gifv from mastodon.social, a real Bluesky post view
with `recordWithMedia` (its record's blob and the AppView's addresses for it), and the
reference AppView's notification snapshots with images embeds (placeholder ids).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from tweepy.asynchronous import AsyncClient

from connectors.bluesky.fake import FakeBluesky, FakeImage, FakeLinkCard
from connectors.bluesky.normalise import (
    notification_mention,
    post_view_mention,
    record_media,
    thread_ancestors,
)
from connectors.mastodon.fake import FakeMastodon, FakeMedia
from connectors.mastodon.normalise import normalise_status, status_media
from connectors.meta.fake import FakeGraphServer, FakeMeta
from connectors.meta.graph import GraphApi, graph_session
from connectors.meta.normalise import MentionLookup, looked_up_mention
from connectors.x.api import EXPANSIONS, MEDIA_FIELDS, TWEET_FIELDS, USER_FIELDS
from connectors.x.fake import FakeX, FakeXServer, Media, fake_x_session
from connectors.x.normalise import normalise_page
from inbox.domain.media import MediaKind
from tests.contract.test_fake_x import typed_paths
from tests.contract.test_recorded_bluesky import recorded_thread, snapshot_notifications
from tests.contract.test_recorded_mastodon import bodies, is_status, walk
from tests.factories import allowing
from tests.shared_data import require_shared_data

# -- X ------------------------------------------------------------------------------------


def twarc_pages_with_media() -> Iterator[dict[str, Any]]:
    folder = require_shared_data("x", "twarc")
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            try:
                page = json.loads(line)
            except ValueError:
                continue  # the truncated stream line
            if isinstance(page, dict) and (page.get("includes") or {}).get("media"):
                yield page


def test_every_recorded_x_media_object_a_tweet_names_becomes_an_attachment() -> None:
    kinds: dict[MediaKind, int] = {}
    for page in twarc_pages_with_media():
        media = {m["media_key"]: m for m in page["includes"]["media"]}
        for found in normalise_page(page, source="twarc").mentions:
            keys = found.raw["data"].get("attachments", {}).get("media_keys", [])
            named = [media[key] for key in keys if key in media]
            assert len(found.media) == len(named), found.external_id
            for attachment, sent in zip(found.media, named, strict=True):
                kinds[attachment.kind] = kinds.get(attachment.kind, 0) + 1
                assert (attachment.width, attachment.height) == (sent["width"], sent["height"])
                if sent["type"] == "photo":
                    assert attachment.url == sent["url"]
                else:
                    assert attachment.preview_url == sent["preview_image_url"]
                    assert attachment.url == found.url  # plays on the tweet's page
    assert kinds.get(MediaKind.IMAGE, 0) >= 5
    assert kinds.get(MediaKind.GIF, 0) >= 1


@pytest.fixture
async def x_server() -> AsyncIterator[tuple[FakeX, FakeXServer]]:
    fake = FakeX(keepalive_seconds=0.2)
    fake.add_user("1000", "acme", "Acme")
    fake.add_user("2000", "sarah_k", "Sarah K")
    fake.post(
        "2000",
        "@acme my router",
        media=[
            Media("3_1", "photo", 1200, 900, url="https://pbs.twimg.com/media/A.jpg", alt_text="a"),
            Media(
                "16_2", "animated_gif", 320, 200, preview_image_url="https://pbs.twimg.com/g.jpg"
            ),
        ],
    )
    async with FakeXServer(
        fake, bearer_token="b", consumer_key="ck", access_token="1000-token"
    ) as server:
        yield fake, server


async def test_the_fake_x_serves_media_in_the_recorded_shape_to_the_connectors_fields(
    x_server: tuple[FakeX, FakeXServer],
) -> None:
    _, server = x_server
    recorded = set().union(*(typed_paths(page) for page in twarc_pages_with_media()))
    async with fake_x_session(server) as session:
        client = AsyncClient(bearer_token="b", return_type=dict)
        client.session = session
        answer = await client.get_users_mentions(
            "1000",
            expansions=EXPANSIONS,
            tweet_fields=TWEET_FIELDS,
            user_fields=USER_FIELDS,
            media_fields=MEDIA_FIELDS,
        )
    media_paths = {p for p in typed_paths(answer) if "media" in p[0]}
    assert media_paths
    assert media_paths - recorded == set()
    (found,) = normalise_page(answer, source="fake").mentions
    assert [(a.kind, a.alt_text) for a in found.media] == [
        (MediaKind.IMAGE, "a"),
        (MediaKind.GIF, None),
    ]


# -- Mastodon -------------------------------------------------------------------------------


def recorded_media_attachments() -> Iterator[dict[str, Any]]:
    for _where, body in bodies():
        for item in walk(body):
            if is_status(item) and isinstance(item.get("media_attachments"), list):
                yield from (m for m in item["media_attachments"] if isinstance(m, dict))


def test_the_recorded_mastodon_gifv_becomes_an_animation_with_its_description() -> None:
    recorded = list(recorded_media_attachments())
    assert recorded
    for sent in recorded:
        (found,) = status_media([sent])
        assert found.url == sent["url"]
        assert found.preview_url == sent["preview_url"]
        assert found.alt_text == sent["description"]
    (gifv,) = status_media([next(m for m in recorded if m["type"] == "gifv")])
    assert (gifv.kind, gifv.width, gifv.height) == (MediaKind.GIF, 640, 360)


def test_the_fake_mastodon_writes_media_with_the_keys_the_real_instance_sends() -> None:
    real_keys = {key for sent in recorded_media_attachments() for key in sent}
    fake = FakeMastodon()
    ann = fake.add_account("ann", "Ann", domain="other.example")
    status_id = fake.post(
        ann,
        "look",
        media=[FakeMedia("image", "https://files.example/a.png", "https://files.example/s.png")],
    )
    status = fake.status_json(fake.statuses[status_id])
    (sent,) = status["media_attachments"]
    assert set(sent) == real_keys
    assert normalise_status(status).media[0].url == "https://files.example/a.png"


# -- Bluesky --------------------------------------------------------------------------------


def test_the_recorded_post_views_embed_and_its_records_blob_give_the_same_addresses() -> None:
    views, _ = thread_ancestors(recorded_thread())
    (view,) = views
    from_view = post_view_mention(view).media
    shown = view["embed"]["media"]["images"][0]
    assert [(a.kind, a.url, a.preview_url) for a in from_view] == [
        (MediaKind.IMAGE, shown["fullsize"], shown["thumb"])
    ]
    # A notification carries only the record: its blob is found at the same addresses.
    from_record = record_media(view["record"]["embed"], view["author"]["did"], "https://x.y/")
    assert from_record == from_view


def test_recorded_notification_images_become_attachments_with_their_descriptions() -> None:
    found = 0
    for name, item in snapshot_notifications():
        embed = item.get("record", {}).get("embed")
        if not isinstance(embed, dict) or embed.get("$type") != "app.bsky.embed.images":
            continue
        for image in embed["images"]:  # the snapshot's placeholder ids, as real ones
            image["image"]["ref"]["$link"] = "bafkreibjfgx2gprinfvicegelk5kosd6y2frmqpqzwqk"
        media = notification_mention(item).media
        assert [a.alt_text for a in media] == [i["alt"] or None for i in embed["images"]], name
        found += len(media)
    assert found >= 3


def test_the_fake_bluesky_renders_embeds_as_the_appview_does() -> None:
    views, _ = thread_ancestors(recorded_thread())
    recorded_image_keys = set(views[0]["embed"]["media"]["images"][0])
    fake = FakeBluesky()
    fake.add_account("acme.bsky.social", "Acme")
    jo = fake.add_account("jo.bsky.social", "Jo")
    pictured = fake.post(jo, "@acme.bsky.social look", images=[FakeImage("the box", 4, 3)])
    card = fake.post(jo, "@acme.bsky.social see", link=FakeLinkCard("https://s.example/", "S"))
    quote = fake.post(jo, "also", quote=card, images=[FakeImage()])
    view = fake.post_view(fake.posts[pictured])
    (image,) = view["embed"]["images"]
    assert set(image) - {"aspectRatio"} == recorded_image_keys
    assert (
        post_view_mention(view).media
        == notification_mention(
            {
                "uri": pictured,
                "cid": view["cid"],
                "author": view["author"],
                "reason": "mention",
                "record": view["record"],
                "indexedAt": view["indexedAt"],
            }
        ).media
    )
    assert post_view_mention(fake.post_view(fake.posts[card])).media[0].kind is MediaKind.LINK
    quoted = fake.post_view(fake.posts[quote])
    assert quoted["embed"]["$type"] == "app.bsky.embed.recordWithMedia#view"
    assert len(post_view_mention(quoted).media) == 1


# -- Meta -----------------------------------------------------------------------------------


async def test_an_instagram_caption_is_looked_up_with_its_picture_on_the_fake_graph_api() -> None:
    meta = FakeMeta()
    picture = "https://scontent.cdninstagram.com/v/t51/p.jpg"
    caption = meta.instagram_caption("7", "jane.d", "@acme_support hi", media_url=picture)
    lookup = MentionLookup(meta.instagram_id, caption.id, None, "entry[0]", {})
    async with FakeGraphServer(meta) as graph, graph_session(allowing(graph.base_url)) as session:
        api = GraphApi(session, graph.base_url, SecretStr(meta.access_token))
        answer = await api.mentioned(meta.instagram_id, caption.id, None)
    found = looked_up_mention(lookup, answer)
    assert found.text == "@acme_support hi"
    assert [(a.kind, a.url) for a in found.media] == [(MediaKind.IMAGE, picture)]
