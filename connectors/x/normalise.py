"""X API v2 response pages into mentions.

A page is what one call returns: `data` (a list of tweets from a timeline or a search, or one
tweet from the filtered stream), `includes.users` (the authors, from `expansions=author_id`),
`includes.media` (the pictures and videos the tweets' `attachments.media_keys` name) and
maybe `errors`. Each tweet becomes a mention or, when it is malformed, a reject that keeps
its payload and names the problem. A page that says nothing is new (`meta.result_count` 0, no
`data`) holds nothing to store or to quarantine. Nothing here raises on bad input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from connectors.common.rejected import normalised_each, quarantined
from inbox.domain.ingestion import RejectedPayload
from inbox.domain.media import MediaAttachment, MediaKind, attachment, kept
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network

# Codes X puts in `lang` when it could not tell a language (undetermined, hashtags, mentions,
# media or cashtags only, very short text...): they are not languages and must not route.
X_PSEUDO_LANGUAGES = frozenset({"und", "zxx", "art", "qam", "qct", "qht", "qme", "qst"})


class _Reference(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    id: str = Field(min_length=1)


class _NoteTweet(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str


class XTweet(BaseModel):
    """A v2 tweet object as X sends it: only `id` and `text` are always there."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9]+$")
    text: str
    author_id: str | None = Field(default=None, min_length=1, max_length=64)
    created_at: AwareDatetime | None = None
    conversation_id: str | None = Field(default=None, min_length=1, max_length=64)
    lang: str | None = None
    referenced_tweets: list[_Reference] = Field(default_factory=list)
    edit_history_tweet_ids: list[str] = Field(default_factory=list)
    note_tweet: _NoteTweet | None = None


class XUser(BaseModel):
    """A v2 user object (from `includes.users`, `users/me`, user lookups)."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9]+$")
    username: str = Field(min_length=1, max_length=64)
    name: str


class _Tweet(XTweet):
    """What a mention needs: the author and the time (requested with tweet.fields)."""

    author_id: str = Field(min_length=1, max_length=64)
    created_at: AwareDatetime


@dataclass(frozen=True, slots=True)
class NormalisedPage:
    mentions: list[Mention]
    rejected: list[RejectedPayload]
    # Entries of the page's `errors` (deleted or protected tweets...): reported, not stored.
    skipped_errors: int = 0
    # Of those, the tweets X says no longer exist (`resource-not-found`: a lookup's id, or a
    # referenced tweet of a page's expansions): deleted by their author.
    deleted: tuple[str, ...] = ()


def _users_by_id(page: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    includes = page.get("includes")
    users = includes.get("users") if isinstance(includes, dict) else None
    if not isinstance(users, list):
        return {}
    return {str(user["id"]): user for user in users if isinstance(user, dict) and "id" in user}


def _media_by_key(page: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    includes = page.get("includes")
    media = includes.get("media") if isinstance(includes, dict) else None
    if not isinstance(media, list):
        return {}
    return {
        item["media_key"]: item
        for item in media
        if isinstance(item, dict) and isinstance(item.get("media_key"), str)
    }


# X's media types; a video or an animation has no address of its own in the API (only its
# variants, not asked for): the tweet's page is where it plays.
_X_MEDIA_KINDS = {
    "photo": MediaKind.IMAGE,
    "animated_gif": MediaKind.GIF,
    "video": MediaKind.VIDEO,
}


def _x_preview(url: str) -> str | None:
    """The small rendition X's image host serves of a photo (`?name=small`, 680 px at most)."""
    if url.startswith("https://pbs.twimg.com/media/") and "?" not in url:
        return f"{url}?name=small"
    return None


def _attachment(item: Mapping[str, Any], page_url: str) -> MediaAttachment | None:
    kind = _X_MEDIA_KINDS.get(str(item.get("type")), MediaKind.OTHER)
    url = item.get("url")
    preview = item.get("preview_image_url")
    if kind is MediaKind.IMAGE and isinstance(url, str):
        preview = _x_preview(url)
    else:
        url = page_url
    return attachment(
        kind,
        url,
        preview_url=preview,
        alt_text=item.get("alt_text"),
        width=item.get("width"),
        height=item.get("height"),
    )


def _included_media(
    tweet: Mapping[str, Any], media: Mapping[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The media objects a tweet's `attachments.media_keys` name, in its order. Read from
    the tweet as sent: a malformed attachment costs the tweet its media, never the tweet."""
    attachments = tweet.get("attachments")
    keys = attachments.get("media_keys") if isinstance(attachments, dict) else None
    if not isinstance(keys, list):
        return []
    return [media[key] for key in keys if isinstance(key, str) and key in media]


def _followers(user: Mapping[str, Any]) -> int | None:
    """`public_metrics.followers_count` when X sent it (user.fields=public_metrics)."""
    metrics = user.get("public_metrics")
    count = metrics.get("followers_count") if isinstance(metrics, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def tweet_url(tweet_id: str, username: str | None) -> str:
    if username:
        return f"https://x.com/{username}/status/{tweet_id}"
    return f"https://x.com/i/web/status/{tweet_id}"


def normalise_tweet(
    tweet: dict[str, Any],
    users: Mapping[str, dict[str, Any]],
    media: Mapping[str, dict[str, Any]] | None = None,
) -> Mention:
    """One tweet object as a mention; raises ValidationError when it is malformed. `media`:
    the page's `includes.media` by media key."""
    parsed = _Tweet.model_validate(tweet)
    user = users.get(parsed.author_id, {})
    username = _text_or_none(user.get("username"))
    replied_to = next((r.id for r in parsed.referenced_tweets if r.type == "replied_to"), None)
    history = parsed.edit_history_tweet_ids
    edit_of = history[0] if len(history) > 1 and history[0] != parsed.id else None
    page_url = tweet_url(parsed.id, username)
    included = _included_media(tweet, media or {})
    raw: dict[str, Any] = {"data": tweet}
    if user:
        raw["includes"] = {"users": [user]}
    if included:
        raw.setdefault("includes", {})["media"] = included
    return Mention(
        network=Network.X,
        external_id=parsed.id,
        author=Author(
            external_id=parsed.author_id,
            handle=username,
            display_name=_text_or_none(user.get("name")),
            followers=_followers(user),
        ),
        # Long posts arrive cut in `text`; the whole of it is in `note_tweet`.
        text=parsed.note_tweet.text if parsed.note_tweet else parsed.text,
        created_at=parsed.created_at,
        conversation_key=parsed.conversation_id,
        in_reply_to=replied_to,
        language=None if parsed.lang in X_PSEUDO_LANGUAGES else parsed.lang,
        url=page_url,
        edit_of=edit_of,
        raw=raw,
        media=kept(_attachment(item, page_url) for item in included),
    )


def _not_tweets(items: Sequence[Any]) -> str | None:
    """Why a list of objects is some other kind of page (counts, users), if it is one."""
    objects = [item for item in items if isinstance(item, dict)]
    if objects and all("tweet_count" in item and "text" not in item for item in objects):
        return "a tweet counts page, not tweets"
    if objects and all("username" in item and "text" not in item for item in objects):
        return "a users page, not tweets"
    return None


def is_empty_page(page: Mapping[str, Any]) -> bool:
    """X's answer when nothing is new: `{"meta": {"result_count": 0}}`, without `data`."""
    meta = page.get("meta")
    count = meta.get("result_count") if isinstance(meta, dict) else None
    return type(count) is int and count == 0 and "data" not in page


def normalise_page(page: Any, *, source: str) -> NormalisedPage:
    """Every tweet of one response page, as mentions and rejects."""
    try:
        return _normalise_page(page, source)
    except Exception as exc:
        return NormalisedPage([], [quarantined(source, page, f"unreadable: {exc!r}")])


def _normalise_page(page: Any, source: str) -> NormalisedPage:
    if not isinstance(page, dict):
        return NormalisedPage([], [quarantined(source, page, "not a JSON object")])
    errors = page.get("errors")
    skipped = len(errors) if isinstance(errors, list) else 0
    gone = deleted_tweets(errors)
    data = page.get("data")
    if data is None:
        if skipped or is_empty_page(page):
            return NormalisedPage([], [], skipped, gone)
        return NormalisedPage([], [quarantined(source, page, "no 'data' in the page")])
    tweets = [data] if isinstance(data, dict) else data
    if not isinstance(tweets, list):
        reason = f"'data' is a JSON {type(data).__name__}, not tweets"
        return NormalisedPage([], [quarantined(source, page, reason)])
    other_kind = _not_tweets(tweets)
    if other_kind is not None:
        return NormalisedPage([], [quarantined(source, page, other_kind)], skipped, gone)
    users = _users_by_id(page)
    media = _media_by_key(page)
    mentions, rejected = normalised_each(
        tweets, lambda tweet: normalise_tweet(tweet, users, media), source=source, kind="tweet"
    )
    return NormalisedPage(mentions, rejected, skipped, gone)


def deleted_tweets(errors: Any) -> tuple[str, ...]:
    """The ids of the tweets an `errors` list says are not found: X answers a deleted
    tweet so (a protected one is `not-authorized-for-resource`, a suspended author's
    `resource-unavailable`; neither is a deletion)."""
    if not isinstance(errors, list):
        return ()
    found = []
    for error in errors:
        if not isinstance(error, dict) or error.get("resource_type") != "tweet":
            continue
        kind, tweet_id = error.get("type"), error.get("resource_id")
        if (
            isinstance(kind, str)
            and kind.endswith("/resource-not-found")
            and isinstance(tweet_id, str)
            and tweet_id.isdigit()
            and len(tweet_id) <= 20
        ):
            found.append(tweet_id)
    return tuple(dict.fromkeys(found))
