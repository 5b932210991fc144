"""Each network's media fields become attachments, in the shapes the networks document (the
recorded ones are in tests/contract/test_recorded_media.py). A field that cannot be kept
costs its attachment, never the message."""

from __future__ import annotations

import json
from typing import Any

from connectors.bluesky.normalise import notification_mention, post_view_mention
from connectors.mastodon.normalise import normalise_status
from connectors.meta.normalise import (
    MentionLookup,
    facebook_comment,
    looked_up_mention,
    normalise_notification,
)
from connectors.x.normalise import normalise_page
from inbox.domain.media import MediaAttachment, MediaKind

# -- X ------------------------------------------------------------------------------------


def _x_page(tweets: list[dict[str, Any]], media: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "data": tweets,
        "includes": {
            "users": [{"id": "42", "username": "sarah_k", "name": "Sarah K"}],
            "media": media,
        },
    }


def _tweet(tweet_id: str, keys: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    tweet: dict[str, Any] = {
        "id": tweet_id,
        "text": "look at this",
        "author_id": "42",
        "created_at": "2026-03-02T09:00:00.000Z",
        "edit_history_tweet_ids": [tweet_id],
        **extra,
    }
    if keys is not None:
        tweet["attachments"] = {"media_keys": keys}
    return tweet


X_MEDIA = [
    {
        "media_key": "3_1",
        "type": "photo",
        "url": "https://pbs.twimg.com/media/Fabc.jpg",
        "width": 1200,
        "height": 900,
        "alt_text": "A router with a red light",
    },
    {
        "media_key": "7_2",
        "type": "video",
        "preview_image_url": "https://pbs.twimg.com/ext_tw_video_thumb/2/pu/img/v.jpg",
        "width": 1280,
        "height": 720,
    },
    {
        "media_key": "16_3",
        "type": "animated_gif",
        "preview_image_url": "https://pbs.twimg.com/tweet_video_thumb/g.jpg",
        "width": 320,
        "height": 200,
    },
]


def test_x_photos_videos_and_animations_come_from_the_pages_media_by_key() -> None:
    page = _x_page([_tweet("100", ["7_2", "3_1", "16_3", "9_unknown"])], X_MEDIA)
    (found,) = normalise_page(page, source="x").mentions
    tweet_page = "https://x.com/sarah_k/status/100"
    assert found.media == (
        MediaAttachment(
            kind=MediaKind.VIDEO,
            url=tweet_page,
            preview_url="https://pbs.twimg.com/ext_tw_video_thumb/2/pu/img/v.jpg",
            width=1280,
            height=720,
        ),
        MediaAttachment(
            kind=MediaKind.IMAGE,
            url="https://pbs.twimg.com/media/Fabc.jpg",
            preview_url="https://pbs.twimg.com/media/Fabc.jpg?name=small",
            alt_text="A router with a red light",
            width=1200,
            height=900,
        ),
        MediaAttachment(
            kind=MediaKind.GIF,
            url=tweet_page,
            preview_url="https://pbs.twimg.com/tweet_video_thumb/g.jpg",
            width=320,
            height=200,
        ),
    )
    # The payload keeps the media objects of this tweet, as sent.
    assert [m["media_key"] for m in found.raw["includes"]["media"]] == ["7_2", "3_1", "16_3"]


def test_x_malformed_attachments_cost_the_tweet_its_media_not_the_tweet() -> None:
    tweets = [
        _tweet("101", ["3_1"]),
        _tweet("102", attachments="not an object"),
        _tweet("103", [3, None, {"k": 1}]),
        _tweet("104", attachments={"media_keys": "3_1"}),
        _tweet("105"),
    ]
    broken_media = [{"media_key": "3_1", "type": "photo", "url": "http://insecure.example/p.jpg"}]
    result = normalise_page(_x_page(tweets, broken_media), source="x")
    assert result.rejected == []
    assert [(m.external_id, m.media) for m in result.mentions] == [
        (tweet_id, ()) for tweet_id in ("101", "102", "103", "104", "105")
    ]


# -- Mastodon ------------------------------------------------------------------------------


def _status(media: Any) -> dict[str, Any]:
    return {
        "id": "110",
        "created_at": "2026-03-02T09:00:00.000Z",
        "visibility": "public",
        "content": "<p>@acme look</p>",
        "url": "https://mastodon.example/@ann/110",
        "account": {"id": "7", "username": "ann", "acct": "ann@mastodon.example"},
        "media_attachments": media,
    }


def test_mastodon_media_attachments_keep_their_preview_description_and_size() -> None:
    media = [
        {
            "id": "1",
            "type": "image",
            "url": "https://files.mastodon.example/original/a.png",
            "preview_url": "https://files.mastodon.example/small/a.png",
            "remote_url": None,
            "description": "Screenshot of the error",
            "meta": {"original": {"width": 1600, "height": 900}, "small": {"width": 640}},
        },
        {
            "id": "2",
            "type": "video",
            "url": "https://files.mastodon.example/original/b.mp4",
            "preview_url": "https://files.mastodon.example/small/b.png",
            "description": None,
            "meta": {"original": {"width": 1280, "height": 720, "duration": 5.0}},
        },
        {
            "id": "3",
            "type": "audio",
            "url": "https://files.mastodon.example/original/c.mp3",
            "preview_url": None,
            "meta": {},
        },
        {
            "id": "4",
            "type": "unknown",
            "url": None,
            "preview_url": None,
            "remote_url": "https://far.example/media/d.jpg",
            "meta": None,
        },
    ]
    found = normalise_status(_status(media)).media
    assert [(a.kind, a.url) for a in found] == [
        (MediaKind.IMAGE, "https://files.mastodon.example/original/a.png"),
        (MediaKind.VIDEO, "https://files.mastodon.example/original/b.mp4"),
        (MediaKind.OTHER, "https://files.mastodon.example/original/c.mp3"),
        (MediaKind.OTHER, "https://far.example/media/d.jpg"),
    ]
    image = found[0]
    assert image.preview_url == "https://files.mastodon.example/small/a.png"
    assert image.alt_text == "Screenshot of the error"
    assert (image.width, image.height) == (1600, 900)


def test_mastodon_media_that_cannot_be_read_leaves_the_status_whole() -> None:
    for media in (None, "oops", [1, "x", {"type": "image"}, {"type": "image", "url": "ftp://a"}]):
        status = normalise_status(_status(media))
        assert status.media == ()
        assert status.text == "@acme look"


# -- Bluesky -------------------------------------------------------------------------------

DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
URI = f"at://{DID}/app.bsky.feed.post/3l3qo2vuowo2b"
CID = "bafkreibjfgx2gprinfvicegelk5kosd6y2frmqpqzwqkg7usac74l3t2v4"


def _record(embed: Any = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "text": "my router",
        "createdAt": "2026-03-02T09:00:00.000Z",
    }
    if embed is not None:
        record["embed"] = embed
    return record


def _notification(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "uri": URI,
        "cid": "bafyreid",
        "author": {"did": DID, "handle": "jo.bsky.social"},
        "reason": "mention",
        "record": record,
        "indexedAt": "2026-03-02T09:00:01.000Z",
    }


def _blob(cid: str = CID) -> dict[str, Any]:
    return {"$type": "blob", "ref": {"$link": cid}, "mimeType": "image/jpeg", "size": 90000}


def test_bluesky_notification_images_are_served_from_the_cdn_by_blob() -> None:
    embed = {
        "$type": "app.bsky.embed.images",
        "images": [
            {"alt": "the box", "image": _blob(), "aspectRatio": {"width": 4, "height": 3}},
            {"alt": "", "image": {"cid": CID, "mimeType": "image/png"}},
            {"alt": "not a cid", "image": _blob("QmNotBase32!")},
        ],
    }
    found = notification_mention(_notification(_record(embed))).media
    cdn = "https://cdn.bsky.app/img"
    assert found == (
        MediaAttachment(
            kind=MediaKind.IMAGE,
            url=f"{cdn}/feed_fullsize/plain/{DID}/{CID}@jpeg",
            preview_url=f"{cdn}/feed_thumbnail/plain/{DID}/{CID}@jpeg",
            alt_text="the box",
            width=4,
            height=3,
        ),
        MediaAttachment(
            kind=MediaKind.IMAGE,
            url=f"{cdn}/feed_fullsize/plain/{DID}/{CID}@jpeg",
            preview_url=f"{cdn}/feed_thumbnail/plain/{DID}/{CID}@jpeg",
        ),
    )


def test_bluesky_link_cards_videos_and_media_beside_a_quote() -> None:
    external = {
        "$type": "app.bsky.embed.external",
        "external": {
            "uri": "https://status.example.com/outage",
            "title": "Outage in Lyon",
            "description": "We are on it",
            "thumb": _blob(),
        },
    }
    (card,) = notification_mention(_notification(_record(external))).media
    assert card.kind is MediaKind.LINK
    assert card.url == "https://status.example.com/outage"
    assert card.alt_text == "Outage in Lyon"
    assert card.preview_url == f"https://cdn.bsky.app/img/feed_thumbnail/plain/{DID}/{CID}@jpeg"

    video = {"$type": "app.bsky.embed.video", "video": _blob(), "alt": "the noise it makes"}
    (clip,) = notification_mention(_notification(_record(video))).media
    assert clip.kind is MediaKind.VIDEO
    assert clip.url == "https://bsky.app/profile/jo.bsky.social/post/3l3qo2vuowo2b"
    assert clip.preview_url == f"https://video.bsky.app/watch/{DID}/{CID}/thumbnail.jpg"

    quoted = {"$type": "app.bsky.embed.record", "record": {"uri": URI, "cid": "bafyreix"}}
    with_media = {"$type": "app.bsky.embed.recordWithMedia", "record": quoted, "media": video}
    assert notification_mention(_notification(_record(with_media))).media == (clip,)
    assert notification_mention(_notification(_record(quoted))).media == ()


def test_bluesky_post_views_take_the_addresses_the_appview_gives() -> None:
    view = {
        "uri": URI,
        "cid": "bafyreid",
        "author": {"did": DID, "handle": "jo.bsky.social"},
        "record": _record({"$type": "app.bsky.embed.images", "images": []}),
        "indexedAt": "2026-03-02T09:00:01.000Z",
        "embed": {
            "$type": "app.bsky.embed.images#view",
            "images": [
                {
                    "thumb": "https://cdn.bsky.app/img/feed_thumbnail/plain/x@jpeg",
                    "fullsize": "https://cdn.bsky.app/img/feed_fullsize/plain/x@jpeg",
                    "alt": "a cat",
                    "aspectRatio": {"width": 1000, "height": 750},
                },
                "not an object",
            ],
        },
    }
    (image,) = post_view_mention(view).media
    assert image.url == "https://cdn.bsky.app/img/feed_fullsize/plain/x@jpeg"
    assert image.preview_url == "https://cdn.bsky.app/img/feed_thumbnail/plain/x@jpeg"
    assert (image.alt_text, image.width, image.height) == ("a cat", 1000, 750)


def test_bluesky_embeds_of_any_other_shape_leave_the_post_whole() -> None:
    for embed in ("x", {"$type": "app.bsky.embed.images", "images": "x"}, {"$type": "other"}):
        found = notification_mention(_notification(_record(embed)))
        assert found.media == ()
        assert found.text == "my router"


# -- Meta ----------------------------------------------------------------------------------

PAGE = "104000000000001"


def _feed_value(**extra: Any) -> dict[str, Any]:
    return {
        "from": {"id": "9", "name": "Jane Doe"},
        "message": "",
        "post_id": f"{PAGE}_1",
        "comment_id": "1_2",
        "created_time": 1772442000,
        "item": "comment",
        "parent_id": f"{PAGE}_1",
        "verb": "add",
        **extra,
    }


def test_meta_a_page_comments_photo_and_video_are_its_attachments() -> None:
    photo = "https://scontent.xx.fbcdn.net/v/t39/p.jpg?oh=abc&oe=def"
    video = "https://video.xx.fbcdn.net/v/t42/v.mp4"
    comment = facebook_comment(_feed_value(photo=photo, video=video), PAGE)
    assert [(a.kind, a.url) for a in comment.media] == [
        (MediaKind.IMAGE, photo),
        (MediaKind.VIDEO, video),
    ]


def test_meta_graph_attachments_stickers_shares_and_animations() -> None:
    def graph(attachment: dict[str, Any]) -> tuple[MediaAttachment, ...]:
        return facebook_comment(_feed_value(attachment=attachment), PAGE).media

    picture = {"image": {"src": "https://scontent.example/s.png", "width": 240, "height": 240}}
    (sticker,) = graph({"type": "sticker", "media": picture, "url": "https://fb.example/s"})
    assert sticker == MediaAttachment(
        kind=MediaKind.IMAGE,
        url="https://scontent.example/s.png",
        alt_text="Sticker",
        width=240,
        height=240,
    )
    (share,) = graph(
        {
            "type": "share",
            "title": "Our status page",
            "media": picture,
            "target": {"url": "https://status.example.com/"},
        }
    )
    assert (share.kind, share.url, share.preview_url, share.alt_text) == (
        MediaKind.LINK,
        "https://status.example.com/",
        "https://scontent.example/s.png",
        "Our status page",
    )
    (gif,) = graph({"type": "animated_image_share", "media": picture, "url": "https://fb.ex/g"})
    assert (gif.kind, gif.url) == (MediaKind.GIF, "https://fb.ex/g")
    assert graph({"type": "photo", "media": {"image": "nope"}}) == ()


def test_meta_a_comment_of_only_a_photo_is_stored_with_it_through_the_webhook() -> None:
    value = _feed_value(photo="https://scontent.example/p.jpg")
    body = json.dumps(
        {
            "object": "page",
            "entry": [
                {"id": PAGE, "time": 1772442000, "changes": [{"field": "feed", "value": value}]}
            ],
        }
    ).encode()
    (comment,) = normalise_notification(body, source="meta").mentions
    assert comment.text == ""
    assert comment.media[0].url == "https://scontent.example/p.jpg"


def test_meta_an_instagram_caption_keeps_its_picture_and_a_video_its_page() -> None:
    lookup = MentionLookup("17841400000000001", "1790", None, "entry[0]", {"field": "mentions"})
    answer = {
        "id": "1790",
        "caption": "@acme_support my parcel",
        "timestamp": "2026-03-02T09:00:00+0000",
        "username": "jane.d",
        "permalink": "https://www.instagram.com/p/C1/",
        "media_type": "IMAGE",
        "media_url": "https://scontent.cdninstagram.com/v/p.jpg",
    }
    (image,) = looked_up_mention(lookup, answer).media
    assert (image.kind, image.url) == (MediaKind.IMAGE, "https://scontent.cdninstagram.com/v/p.jpg")
    (video,) = looked_up_mention(lookup, {**answer, "media_type": "VIDEO"}).media
    assert (video.kind, video.url) == (MediaKind.VIDEO, "https://www.instagram.com/p/C1/")
    without = {key: value for key, value in answer.items() if key != "media_type"}
    assert looked_up_mention(lookup, without).media == ()
