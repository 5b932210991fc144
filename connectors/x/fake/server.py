"""The fake X API v2 over HTTPS on loopback: routes, X's wire format, auth, limits, the stream.

The application answers what `FakeX` (the state) says, in the shapes X sends: the same keys,
the same error bodies, the same rate-limit headers. Bad requests get X's 400 body naming the
parameter; nothing a client sends makes the fake crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import unquote

import trustme
from aiohttp import web

from connectors.common.fake_server import LoopbackServer, timed
from connectors.x.fake.state import (
    MAX_QUERY_LENGTH,
    AuthKind,
    FakeX,
    Media,
    PageCursor,
    PageSelection,
    PageWindow,
    Predicate,
    QueryError,
    RateDecision,
    Refusal,
    StreamRule,
    Tweet,
    User,
    format_time,
)

JsonObject = dict[str, Any]
log = logging.getLogger(__name__)

X_HOSTS: Final = ("api.twitter.com", "api.x.com")
PROBLEMS: Final = "https://api.twitter.com/2/problems"
ID_PATTERN: Final = "^[0-9]{1,19}$"
MAX_TWEET_LENGTH: Final = 280
MAX_LOOKUP_IDS: Final = 100
MAX_BACKFILL_MINUTES: Final = 5
DEFAULT_PROFILE_IMAGE: Final = (
    "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"
)


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


TWEET_FIELDS: Final = _names(
    "article attachments author_id card_uri community_id context_annotations conversation_id "
    "created_at display_text_range edit_controls edit_history_tweet_ids entities geo id "
    "in_reply_to_user_id lang media_metadata non_public_metrics note_tweet organic_metrics "
    "possibly_sensitive promoted_metrics public_metrics referenced_tweets reply_settings scopes "
    "source text withheld"
)
USER_FIELDS: Final = _names(
    "affiliation connection_status created_at description entities id is_identity_verified "
    "location most_recent_tweet_id name parody pinned_tweet_id profile_banner_url "
    "profile_image_url protected public_metrics receives_your_dm subscription subscription_type "
    "url username verified verified_followers_count verified_type withheld"
)
TWEET_EXPANSIONS: Final = _names(
    "article.cover_media article.media_entities attachments.media_keys "
    "attachments.media_source_tweet attachments.poll_ids author_id edit_history_tweet_ids "
    "entities.mentions.username entities.note.mentions.username geo.place_id "
    "in_reply_to_user_id referenced_tweets.id referenced_tweets.id.attachments.media_keys "
    "referenced_tweets.id.author_id"
)
USER_EXPANSIONS: Final = _names("affiliation.user_id most_recent_tweet_id pinned_tweet_id")
MEDIA_FIELDS: Final = _names(
    "alt_text duration_ms height media_key non_public_metrics organic_metrics preview_image_url "
    "promoted_metrics public_metrics type url variants width"
)
PLACE_FIELDS: Final = _names(
    "contained_within country country_code full_name geo id name place_type"
)
POLL_FIELDS: Final = _names("duration_minutes end_datetime id options voting_status")

FIELD_PARAMETERS: Final = frozenset(
    {"expansions", "tweet.fields", "user.fields", "media.fields", "place.fields", "poll.fields"}
)
TIMELINE_PARAMETERS: Final = FIELD_PARAMETERS | {
    "max_results",
    "since_id",
    "until_id",
    "start_time",
    "end_time",
    "pagination_token",
}
SEARCH_PARAMETERS: Final = TIMELINE_PARAMETERS | {"query", "next_token", "sort_order"}
USER_PARAMETERS: Final = frozenset({"expansions", "tweet.fields", "user.fields"})


# --- X's bodies ---------------------------------------------------------------------------------


def problem(status: int, title: str, detail: str, problem_type: str = "about:blank") -> JsonObject:
    return {"title": title, "detail": detail, "type": problem_type, "status": status}


def status_problem(status: int) -> JsonObject:
    """X's body for plain HTTP failures (401, 429, 503...): the reason phrase twice."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return problem(status, phrase, phrase)


def invalid_request(errors: list[JsonObject]) -> JsonObject:
    return {
        "errors": errors,
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": f"{PROBLEMS}/invalid-request",
    }


def parameter_error(name: str, values: list[str], message: str) -> JsonObject:
    return {"parameters": {name: values}, "message": message}


def not_found_error(value: str, resource: str, parameter: str, detail: str) -> JsonObject:
    return {
        "value": value,
        "detail": detail,
        "title": "Not Found Error",
        "resource_type": resource,
        "parameter": parameter,
        "resource_id": value,
        "type": f"{PROBLEMS}/resource-not-found",
    }


def unsupported_authentication(kinds: frozenset[AuthKind]) -> JsonObject:
    supported = ", ".join(
        name
        for kind, name in (
            ("app", "OAuth 2.0 Application-Only"),
            ("user", "OAuth 1.0a User Context"),
        )
        if kind in kinds
    )
    return problem(
        403,
        "Unsupported Authentication",
        f"Authenticating with this method is forbidden for this endpoint. "
        f"Supported authentication types are [{supported}].",
        f"{PROBLEMS}/unsupported-authentication",
    )


def encode_json(body: object) -> bytes:
    try:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        # Text scripted with lone surrogates cannot be UTF-8; X would send escapes.
        return json.dumps(body, separators=(",", ":")).encode("ascii")


class InvalidRequest(Exception):
    """A request X answers with 400 and its `errors` list."""

    def __init__(self, errors: list[JsonObject]):
        super().__init__(f"{len(errors)} invalid parameter(s)")
        self.errors = errors


# --- query parameters ---------------------------------------------------------------------------


class Params:
    """Reads query parameters the way X checks them, collecting every problem before failing."""

    def __init__(self, query: Mapping[str, str], allowed: frozenset[str], repeated: set[str]):
        self._query = query
        self.errors: list[JsonObject] = []
        for name in query:
            if name not in allowed:
                self._fail(
                    name,
                    f"The query parameter [{name}] is not one of [{','.join(sorted(allowed))}]",
                )
            elif name in repeated:
                self._fail(name, f"Duplicate parameters are not allowed: the `{name}` parameter")

    @classmethod
    def of(cls, request: web.Request, allowed: frozenset[str]) -> Params:
        counts: dict[str, int] = {}
        for name, _ in request.query.items():  # every occurrence, not unique keys
            counts[name] = counts.get(name, 0) + 1
        repeated = {name for name, count in counts.items() if count > 1}
        return cls({name: request.query[name] for name in counts}, allowed, repeated)

    def _fail(self, name: str, message: str) -> None:
        value = self._query.get(name)
        self.errors.append(parameter_error(name, [value] if value is not None else [], message))

    def text(self, name: str) -> str | None:
        return self._query.get(name)

    def required(self, name: str) -> str | None:
        value = self._query.get(name)
        if value is None or value == "":
            self._fail(name, f"The `{name}` query parameter can not be empty")
            return None
        return value

    def integer(self, name: str, low: int, high: int, default: int) -> int:
        raw = self._query.get(name)
        if raw is None:
            return default
        if not raw.isdigit() or not low <= int(raw) <= high:
            self._fail(
                name, f"The `{name}` query parameter value [{raw}] is not between {low} and {high}"
            )
            return default
        return int(raw)

    def snowflake(self, name: str) -> int | None:
        raw = self._query.get(name)
        if raw is None:
            return None
        if re.fullmatch(ID_PATTERN, raw) is None:
            self._fail(
                name, f"The `{name}` query parameter value [{raw}] does not match {ID_PATTERN}"
            )
            return None
        return int(raw)

    def moment(self, name: str) -> datetime | None:
        raw = self._query.get(name)
        if raw is None:
            return None
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            self._fail(
                name, f"The `{name}` query parameter value [{raw}] is not a valid RFC3339 date-time"
            )
            return None
        return parsed.astimezone(UTC)

    def choices(self, name: str, allowed: frozenset[str]) -> frozenset[str]:
        raw = self._query.get(name)
        if raw is None:
            return frozenset()
        values = frozenset(raw.split(","))
        for value in sorted(values - allowed):
            self.errors.append(
                parameter_error(
                    name,
                    [value],
                    f"The `{name}` query parameter value [{value}] is not one of "
                    f"[{','.join(sorted(allowed))}]",
                )
            )
        return values & allowed

    def check(self) -> None:
        if self.errors:
            raise InvalidRequest(self.errors)


def check_path_id(name: str, value: str) -> str:
    if re.fullmatch(ID_PATTERN, value) is None:
        raise InvalidRequest(
            [
                parameter_error(
                    name,
                    [value],
                    f"The `{name}` query parameter value [{value}] does not match {ID_PATTERN}",
                )
            ]
        )
    return value


@dataclass(frozen=True, slots=True)
class Fields:
    """What the request asked to see: tweet.fields, user.fields and expansions."""

    tweet: frozenset[str] = frozenset()
    user: frozenset[str] = frozenset()
    expansions: frozenset[str] = frozenset()
    media: frozenset[str] = frozenset()

    @classmethod
    def read(cls, params: Params, expansions: frozenset[str] = TWEET_EXPANSIONS) -> Fields:
        # Places and polls are never modelled, but their fields are still validated.
        params.choices("place.fields", PLACE_FIELDS)
        params.choices("poll.fields", POLL_FIELDS)
        return cls(
            tweet=params.choices("tweet.fields", TWEET_FIELDS),
            user=params.choices("user.fields", USER_FIELDS),
            expansions=params.choices("expansions", expansions),
            media=params.choices("media.fields", MEDIA_FIELDS),
        )


# --- rendering ----------------------------------------------------------------------------------


class Renderer:
    """Tweets and users as X renders them: id, text, edit history, then only the asked fields."""

    def __init__(self, fake: FakeX, fields: Fields):
        self._fake = fake
        self._fields = fields

    def tweet(self, tweet: Tweet) -> JsonObject:
        out: JsonObject = {
            "id": tweet.id,
            "text": tweet.text,
            "edit_history_tweet_ids": [tweet.id],
        }
        for name in sorted(self._fields.tweet):
            value = self._tweet_field(tweet, name)
            if value is not None:
                out[name] = value
        return out

    def _tweet_field(self, tweet: Tweet, name: str) -> object:
        simple: dict[str, object] = {
            "author_id": tweet.author_id,
            "conversation_id": tweet.conversation_id,
            "created_at": format_time(tweet.created_at),
            "lang": tweet.lang,
            "in_reply_to_user_id": tweet.in_reply_to_user_id,
            "possibly_sensitive": False,
            "reply_settings": "everyone",
        }
        if name in simple:
            return simple[name]
        if name == "public_metrics":
            return {
                "retweet_count": tweet.retweet_count,
                "reply_count": tweet.reply_count,
                "like_count": tweet.like_count,
                "quote_count": tweet.quote_count,
                "bookmark_count": 0,
                "impression_count": 0,
            }
        if name == "referenced_tweets" and tweet.referenced:
            return [{"type": ref.type, "id": ref.id} for ref in tweet.referenced]
        if name == "entities":
            return _entities(tweet)
        if name == "attachments" and tweet.media:
            return {"media_keys": [media.media_key for media in tweet.media]}
        if name == "edit_controls":
            return {
                "edits_remaining": 5,
                "is_edit_eligible": True,
                "editable_until": format_time(tweet.created_at + timedelta(hours=1)),
            }
        return None  # fields X has but the fake does not model (geo, polls...)

    def media(self, media: Media) -> JsonObject:
        """A media object: its key and type always, then only the asked fields X has."""
        out: JsonObject = {"media_key": media.media_key, "type": media.type}
        values: dict[str, object] = {
            "url": media.url,
            "preview_image_url": media.preview_image_url,
            "width": media.width,
            "height": media.height,
            "alt_text": media.alt_text,
        }
        for name in sorted(self._fields.media):
            if values.get(name) is not None:
                out[name] = values[name]
        return out

    def user(self, user: User) -> JsonObject:
        out: JsonObject = {"id": user.id, "name": user.name, "username": user.username}
        for name in sorted(self._fields.user):
            value = self._user_field(user, name)
            if value is not None:
                out[name] = value
        return out

    def _user_field(self, user: User, name: str) -> object:
        newest = self._fake.newest_tweet_of(user.id) if name == "most_recent_tweet_id" else None
        simple: dict[str, object] = {
            "created_at": format_time(user.created_at),
            "description": user.description,
            "location": user.location,
            "protected": user.protected,
            "verified": user.verified,
            "verified_type": "blue" if user.verified else "none",
            "profile_image_url": DEFAULT_PROFILE_IMAGE,
            "url": "",
            "most_recent_tweet_id": newest.id if newest is not None else None,
        }
        if name == "public_metrics":
            return {
                "followers_count": user.followers_count,
                "following_count": user.following_count,
                "tweet_count": user.tweet_count,
                "listed_count": 0,
                "like_count": 0,
            }
        return simple.get(name)

    def expand(self, tweets: list[Tweet]) -> tuple[JsonObject, list[JsonObject]]:
        """`includes` for the requested expansions, and errors for referenced tweets now gone."""
        expansions = self._fields.expansions
        included: dict[str, Tweet] = {}
        errors: list[JsonObject] = []
        if "referenced_tweets.id" in expansions:
            for reference in (ref for tweet in tweets for ref in tweet.referenced):
                target = self._fake.tweet(reference.id)
                if target is not None:
                    included.setdefault(target.id, target)
                else:
                    errors.append(_missing_reference(reference.id))
        user_ids = self._expanded_user_ids(tweets, list(included.values()))
        users = [u for u in (self._fake.user(user_id) for user_id in user_ids) if u is not None]
        includes: JsonObject = {}
        if users:
            includes["users"] = [self.user(user) for user in users]
        if included:
            includes["tweets"] = [self.tweet(tweet) for tweet in included.values()]
        if "attachments.media_keys" in expansions:
            media = {m.media_key: m for tweet in tweets for m in tweet.media}
            if media:
                includes["media"] = [self.media(item) for item in media.values()]
        return includes, errors

    def _expanded_user_ids(self, tweets: list[Tweet], included: list[Tweet]) -> dict[str, None]:
        expansions = self._fields.expansions
        ids: dict[str, None] = {}  # insertion-ordered set: authors first, as X lists them
        for tweet in tweets:
            if "author_id" in expansions:
                ids[tweet.author_id] = None
            if "in_reply_to_user_id" in expansions and tweet.in_reply_to_user_id is not None:
                ids[tweet.in_reply_to_user_id] = None
            if "entities.mentions.username" in expansions:
                ids.update((m.user_id, None) for m in tweet.mentions if m.user_id is not None)
        if "referenced_tweets.id.author_id" in expansions:
            ids.update((tweet.author_id, None) for tweet in included)
        return ids


def _entities(tweet: Tweet) -> JsonObject | None:
    entities: JsonObject = {}
    if tweet.mentions:
        entities["mentions"] = [
            {"start": m.start, "end": m.end, "username": m.username}
            | ({"id": m.user_id} if m.user_id is not None else {})
            for m in tweet.mentions
        ]
    if tweet.hashtags:
        entities["hashtags"] = [
            {"start": h.start, "end": h.end, "tag": h.tag} for h in tweet.hashtags
        ]
    return entities or None  # X leaves `entities` out when a tweet has none


def _missing_reference(tweet_id: str) -> JsonObject:
    return not_found_error(
        tweet_id,
        "tweet",
        "referenced_tweets.id",
        f"Could not find tweet with referenced_tweets.id: [{tweet_id}].",
    )


# --- the application ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the app (bearer token) or a user (OAuth 1.0a user context)."""

    kind: AuthKind
    credential: str
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: JsonObject
    tweets: list[Tweet] = field(default_factory=list)  # what X bills as posts read


@dataclass(frozen=True, slots=True)
class Credentials:
    bearer_token: str
    consumer_key: str
    access_token: str
    user_id: str


Handler = Callable[
    [web.Request, Principal, "RateHeaders"], Awaitable["Answer | web.StreamResponse"]
]
RateHeaders = dict[str, str]

APP_ONLY: Final[frozenset[AuthKind]] = frozenset({"app"})
USER_ONLY: Final[frozenset[AuthKind]] = frozenset({"user"})
ANY_AUTH: Final[frozenset[AuthKind]] = frozenset({"app", "user"})
_OAUTH_PARAMETER = re.compile(r'([A-Za-z_]+)="([^"]*)"')


def parse_oauth_header(header: str) -> dict[str, str]:
    """The parameters of an `Authorization: OAuth k="v", ...` header (values percent-decoded)."""
    scheme, _, rest = header.partition(" ")
    if scheme != "OAuth":
        return {}
    return {name: unquote(value) for name, value in _OAUTH_PARAMETER.findall(rest)}


def rate_headers(decision: RateDecision) -> RateHeaders:
    return {
        "x-rate-limit-limit": str(decision.limit),
        "x-rate-limit-remaining": str(decision.remaining),
        "x-rate-limit-reset": str(decision.reset),
    }


class FakeXApi:
    """The aiohttp application: one pipeline (record, auth, scenario, limits) per endpoint."""

    def __init__(self, fake: FakeX, credentials: Credentials):
        self.fake = fake
        self._credentials = credentials
        self._streams: set[asyncio.Queue[Tweet | None]] = set()

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self._never_crash])
        routes: list[tuple[str, str, str, frozenset[AuthKind], Handler]] = [
            ("GET", "/2/users/me", "me", USER_ONLY, self._me),
            ("GET", "/2/users/{id}/mentions", "mentions", ANY_AUTH, self._mentions),
            ("GET", "/2/users/{id}/tweets", "user_tweets", ANY_AUTH, self._user_tweets),
            ("GET", "/2/tweets/search/recent", "search", ANY_AUTH, self._search),
            ("GET", "/2/tweets/search/stream", "stream", APP_ONLY, self._stream),
            ("GET", "/2/tweets/search/stream/rules", "rules", APP_ONLY, self._list_rules),
            ("POST", "/2/tweets/search/stream/rules", "rules", APP_ONLY, self._change_rules),
            ("GET", "/2/tweets", "lookup", ANY_AUTH, self._lookup_many),
            ("GET", "/2/tweets/{id}", "lookup", ANY_AUTH, self._lookup_one),
            ("POST", "/2/tweets", "create_tweet", USER_ONLY, self._create_tweet),
            ("DELETE", "/2/tweets/{id}", "delete_tweet", USER_ONLY, self._delete_tweet),
            (
                "POST",
                "/2/dm_conversations/with/{participant_id}/messages",
                "dm",
                USER_ONLY,
                self._send_dm,
            ),
        ]
        for method, path, endpoint, kinds, handler in routes:
            app.router.add_route(method, path, self._endpoint(endpoint, kinds, handler))
        app.router.add_route("*", "/{tail:.*}", self._unknown_route)
        return app

    async def close_streams(self) -> None:
        """End every open stream so the server can stop without waiting for clients."""
        for queue in list(self._streams):
            queue.put_nowait(None)
        await asyncio.sleep(0)

    # --- pipeline ---

    @web.middleware
    async def _never_crash(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except InvalidRequest as invalid:
            return json_response(400, invalid_request(invalid.errors))
        except web.HTTPException as http_error:
            # aiohttp's own refusals (body too large, bad framing) still answer in X's shape.
            return json_response(http_error.status, status_problem(http_error.status))
        except Exception:
            log.exception("fake X failed on %s %s", request.method, request.path)
            return json_response(500, status_problem(500))

    async def _unknown_route(self, request: web.Request) -> web.StreamResponse:
        self.fake.record_request(request.method, request.path, request.query)
        return json_response(404, status_problem(404))

    def _endpoint(
        self, endpoint: str, kinds: frozenset[AuthKind], handler: Handler
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def serve(request: web.Request) -> web.StreamResponse:
            started = time.monotonic()
            try:
                return await self._serve(request, endpoint, kinds, handler)
            finally:
                self.fake.timed_requests.append(timed(endpoint, request, started))

        return serve

    async def _serve(
        self, request: web.Request, endpoint: str, kinds: frozenset[AuthKind], handler: Handler
    ) -> web.StreamResponse:
        fake = self.fake
        fake.record_request(request.method, request.path, request.query)
        principal = self._authenticate(request)
        if principal is None:
            return json_response(401, status_problem(401))
        if principal.kind not in kinds:
            return json_response(403, unsupported_authentication(kinds))
        if (delay := fake.delay_for(endpoint)) > 0:
            await asyncio.sleep(delay)
        storm = fake.take_storm(endpoint, principal.kind)
        if storm is not None:
            return json_response(429, status_problem(429), rate_headers(storm))
        decision = fake.consume_rate_limit(endpoint, principal.kind, principal.credential)
        headers = rate_headers(decision)
        if not decision.allowed:
            return json_response(429, status_problem(429), headers)
        if (failure := fake.take_failure(endpoint)) is not None:
            return json_response(failure, status_problem(failure), headers)
        try:
            outcome = await handler(request, principal, headers)
        except InvalidRequest as invalid:
            return json_response(400, invalid_request(invalid.errors), headers)
        except Refusal as refusal:
            body = problem(refusal.status, refusal.title, refusal.detail, refusal.problem_type)
            return json_response(refusal.status, body, headers)
        if (hold := fake.hold_for(endpoint)) > 0:
            await asyncio.sleep(hold)
        if isinstance(outcome, Answer):
            return self._deliver(endpoint, outcome, headers)
        return outcome

    def _deliver(self, endpoint: str, answer: Answer, headers: RateHeaders) -> web.Response:
        self.fake.record_reads([tweet.id for tweet in answer.tweets])
        malformation = self.fake.pending_malformation(endpoint)
        if malformation is None or not answer.tweets:
            return json_response(answer.status, answer.body, headers)
        self.fake.consume_malformation(endpoint)
        if malformation == "invalid_json":
            raw = encode_json(answer.body)
            return json_response(answer.status, raw[: len(raw) // 2], headers)
        return json_response(answer.status, _without_created_at(answer.body), headers)

    def _authenticate(self, request: web.Request) -> Principal | None:
        header = request.headers.get("Authorization", "")
        expected = self._credentials
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer":
            if hmac.compare_digest(token.strip().encode(), expected.bearer_token.encode()):
                return Principal("app", expected.bearer_token)
            return None
        oauth = parse_oauth_header(header)
        signed = all(
            oauth.get(name) for name in ("oauth_signature", "oauth_nonce", "oauth_timestamp")
        )
        if (
            signed
            and oauth.get("oauth_consumer_key") == expected.consumer_key
            and oauth.get("oauth_token") == expected.access_token
            and self.fake.user(expected.user_id) is not None
        ):
            return Principal("user", expected.access_token, expected.user_id)
        return None

    # --- users and timelines ---

    async def _me(self, request: web.Request, principal: Principal, _: RateHeaders) -> Answer:
        params = Params.of(request, USER_PARAMETERS)
        fields = Fields.read(params, USER_EXPANSIONS)
        params.check()
        user = self.fake.user(principal.user_id or "")
        if user is None:
            raise Refusal(401, "Unauthorized", "Unauthorized")
        return Answer(200, {"data": Renderer(self.fake, fields).user(user)})

    async def _mentions(self, request: web.Request, _: Principal, __: RateHeaders) -> Answer:
        return self._timeline(request, self.fake.mentions_page, frozenset())

    async def _user_tweets(self, request: web.Request, _: Principal, __: RateHeaders) -> Answer:
        return self._timeline(request, self.fake.user_tweets_page, frozenset({"exclude"}))

    def _timeline(
        self,
        request: web.Request,
        select: Callable[[str, PageWindow], PageSelection],
        extra_parameters: frozenset[str],
    ) -> Answer:
        user_id = check_path_id("id", request.match_info["id"])
        params = Params.of(request, TIMELINE_PARAMETERS | extra_parameters)
        fields = Fields.read(params)
        excluded = params.choices("exclude", frozenset({"retweets", "replies"}))
        window = self._window(params, "pagination_token", low=5, filters=[_excluding(excluded)])
        params.check()
        if self.fake.user(user_id) is None:
            detail = f"Could not find user with id: [{user_id}]."
            return Answer(200, {"errors": [not_found_error(user_id, "user", "id", detail)]})
        selection = select(user_id, window)
        return self._page(selection, fields, with_previous_token=True)

    def _window(
        self, params: Params, token_name: str, *, low: int, filters: list[Predicate | None]
    ) -> PageWindow:
        start, end = params.moment("start_time"), params.moment("end_time")
        checks = [check for check in [*filters, _within(start, end)] if check is not None]
        token = params.text(token_name)
        cursor = self.fake.resolve_page_token(token) if token is not None else None
        if token is not None and cursor is None:
            params.errors.append(
                parameter_error(
                    token_name,
                    [token],
                    f"The `{token_name}` query parameter value [{token}] is not valid",
                )
            )
        return PageWindow(
            max_results=params.integer("max_results", low, 100, default=10),
            since_id=params.snowflake("since_id"),
            until_id=params.snowflake("until_id"),
            cursor=cursor,
            accept=_all_of(checks),
        )

    def _page(
        self, selection: PageSelection, fields: Fields, *, with_previous_token: bool
    ) -> Answer:
        tweets = selection.tweets
        if not tweets:
            return Answer(200, {"meta": {"result_count": 0}})
        renderer = Renderer(self.fake, fields)
        includes, errors = renderer.expand(tweets)
        meta: JsonObject = {
            "result_count": len(tweets),
            "newest_id": tweets[0].id,
            "oldest_id": tweets[-1].id,
        }
        if selection.has_older:
            meta["next_token"] = self.fake.issue_page_token(PageCursor("older", tweets[-1].number))
        if with_previous_token and selection.has_newer:
            cursor = PageCursor("newer", tweets[0].number)
            meta["previous_token"] = self.fake.issue_page_token(cursor)
        body: JsonObject = {"data": [renderer.tweet(tweet) for tweet in tweets]}
        if includes:
            body["includes"] = includes
        if errors:
            body["errors"] = errors
        body["meta"] = meta
        return Answer(200, body, tweets)

    async def _search(self, request: web.Request, _: Principal, __: RateHeaders) -> Answer:
        params = Params.of(request, SEARCH_PARAMETERS)
        fields = Fields.read(params)
        params.choices("sort_order", frozenset({"recency", "relevancy"}))
        matcher = self._query_predicate(params)
        # X's recent search takes `next_token`; newer clients may send `pagination_token`.
        token_name = "pagination_token" if params.text("pagination_token") else "next_token"
        window = self._window(params, token_name, low=10, filters=[matcher])
        params.check()
        return self._page(self.fake.search_page(window), fields, with_previous_token=False)

    def _query_predicate(self, params: Params) -> Predicate | None:
        query = params.required("query")
        if query is None:
            return None
        try:
            return self.fake.compile_query(query)
        except QueryError as error:
            params.errors.append(
                parameter_error(
                    "query",
                    [query],
                    f"There were errors processing your request: {error} "
                    f"(queries are at most {MAX_QUERY_LENGTH} characters)",
                )
            )
            return None

    # --- lookup ---

    async def _lookup_many(self, request: web.Request, _: Principal, __: RateHeaders) -> Answer:
        params = Params.of(request, FIELD_PARAMETERS | {"ids"})
        fields = Fields.read(params)
        raw_ids = params.required("ids")
        ids = self._lookup_ids(params, raw_ids or "")
        params.check()
        found = [t for t in (self.fake.tweet(tweet_id) for tweet_id in ids) if t is not None]
        missing = [
            not_found_error(
                tweet_id, "tweet", "ids", f"Could not find tweet with ids: [{tweet_id}]."
            )
            for tweet_id in ids
            if self.fake.tweet(tweet_id) is None
        ]
        return self._lookup_answer(found, missing, fields, many=True)

    def _lookup_ids(self, params: Params, raw: str) -> list[str]:
        if not raw:
            return []
        ids = list(dict.fromkeys(raw.split(",")))
        if len(ids) > MAX_LOOKUP_IDS:
            params.errors.append(
                parameter_error(
                    "ids",
                    [raw],
                    f"The number of values in the `ids` query parameter list [{len(ids)}] "
                    f"is not between 1 and {MAX_LOOKUP_IDS}",
                )
            )
        for tweet_id in ids:
            if re.fullmatch(ID_PATTERN, tweet_id) is None:
                params.errors.append(
                    parameter_error(
                        "ids",
                        [tweet_id],
                        f"The `ids` query parameter value [{tweet_id}] does not match {ID_PATTERN}",
                    )
                )
        return ids

    async def _lookup_one(self, request: web.Request, _: Principal, __: RateHeaders) -> Answer:
        tweet_id = check_path_id("id", request.match_info["id"])
        params = Params.of(request, FIELD_PARAMETERS)
        fields = Fields.read(params)
        params.check()
        tweet = self.fake.tweet(tweet_id)
        if tweet is None:
            detail = f"Could not find tweet with id: [{tweet_id}]."
            return Answer(200, {"errors": [not_found_error(tweet_id, "tweet", "id", detail)]})
        return self._lookup_answer([tweet], [], fields, many=False)

    def _lookup_answer(
        self, found: list[Tweet], missing: list[JsonObject], fields: Fields, *, many: bool
    ) -> Answer:
        renderer = Renderer(self.fake, fields)
        includes, reference_errors = renderer.expand(found)
        body: JsonObject = {}
        if found:
            rendered = [renderer.tweet(tweet) for tweet in found]
            body["data"] = rendered if many else rendered[0]
        if includes:
            body["includes"] = includes
        if missing or reference_errors:
            body["errors"] = missing + reference_errors
        return Answer(200, body, found)

    # --- writes ---

    async def _create_tweet(
        self, request: web.Request, principal: Principal, _: RateHeaders
    ) -> Answer:
        Params.of(request, frozenset()).check()
        body = await read_json_object(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InvalidRequest(
                [parameter_error("text", [], "Your request must contain text for the Tweet.")]
            )
        if len(text) > MAX_TWEET_LENGTH:
            raise Refusal(403, "Forbidden", "Your Tweet text is too long.")
        reply_to = _reply_target(body.get("reply"))
        tweet = self.fake.publish(principal.user_id or "", text, reply_to=reply_to)
        data = {"id": tweet.id, "text": tweet.text, "edit_history_tweet_ids": [tweet.id]}
        return Answer(201, {"data": data})

    async def _delete_tweet(
        self, request: web.Request, principal: Principal, _: RateHeaders
    ) -> Answer:
        tweet_id = check_path_id("id", request.match_info["id"])
        Params.of(request, frozenset()).check()
        deleted = self.fake.unpublish(principal.user_id or "", tweet_id)
        return Answer(200, {"data": {"deleted": deleted}})

    async def _send_dm(self, request: web.Request, principal: Principal, _: RateHeaders) -> Answer:
        participant_id = check_path_id("participant_id", request.match_info["participant_id"])
        Params.of(request, frozenset()).check()
        body = await read_json_object(request)
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise InvalidRequest(
                [parameter_error("text", [], "A Direct Message must contain text or attachments.")]
            )
        message = self.fake.send_dm(principal.user_id or "", participant_id, text)
        data = {
            "dm_conversation_id": message.dm_conversation_id,
            "dm_event_id": message.dm_event_id,
        }
        return Answer(201, {"data": data})

    # --- filtered stream rules ---

    async def _list_rules(self, request: web.Request, _: Principal, __: RateHeaders) -> Answer:
        params = Params.of(request, frozenset({"ids", "max_results", "pagination_token"}))
        wanted = params.text("ids")
        params.integer("max_results", 1, 1000, default=1000)
        params.check()
        rules = self.fake.rules
        if wanted:
            rules = [rule for rule in rules if rule.id in wanted.split(",")]
        meta: JsonObject = {"sent": format_time(self.fake.now()), "result_count": len(rules)}
        if not rules:
            return Answer(200, {"meta": meta})
        return Answer(200, {"data": [_rule_json(rule) for rule in rules], "meta": meta})

    async def _change_rules(self, request: web.Request, _: Principal, __: RateHeaders) -> Answer:
        params = Params.of(request, frozenset({"dry_run"}))
        dry_run = params.choices("dry_run", frozenset({"true", "false"})) == {"true"}
        params.check()
        body = await read_json_object(request)
        if "add" in body and "delete" not in body:
            return self._add_rules(body["add"], dry_run=dry_run)
        if "delete" in body and "add" not in body:
            return self._delete_rules(body["delete"], dry_run=dry_run)
        raise InvalidRequest(
            [parameter_error("body", [], "The request body must contain either `add` or `delete`.")]
        )

    def _add_rules(self, requested: object, *, dry_run: bool) -> Answer:
        candidates = _rule_requests(requested)
        created: list[StreamRule] = []
        errors: list[JsonObject] = []
        for value, tag in candidates:
            error = self._rule_problem(value)
            if error is not None:
                errors.append(error)
            elif not dry_run:
                created.append(self.fake.add_rule(value, tag))
        summary = {
            "created": len(candidates) - len(errors) if not dry_run else 0,
            "not_created": len(errors) if not dry_run else len(candidates),
            "valid": len(candidates) - len(errors),
            "invalid": len(errors),
        }
        body: JsonObject = {}
        if created:
            body["data"] = [_rule_json(rule) for rule in created]
        if errors:
            body["errors"] = errors
        body["meta"] = {"sent": format_time(self.fake.now()), "summary": summary}
        return Answer(201 if created else 200, body)

    def _rule_problem(self, value: str) -> JsonObject | None:
        existing = self.fake.rule_with_value(value)
        if existing is not None:
            return {
                "value": value,
                "id": existing.id,
                "title": "DuplicateRule",
                "type": f"{PROBLEMS}/duplicate-rules",
            }
        try:
            self.fake.compile_query(value)
        except QueryError as error:
            return {
                "value": value,
                "details": [str(error)],
                "title": "UnprocessableEntity",
                "type": f"{PROBLEMS}/invalid-rules",
            }
        return None

    def _delete_rules(self, requested: object, *, dry_run: bool) -> Answer:
        ids = requested.get("ids") if isinstance(requested, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise InvalidRequest(
                [parameter_error("delete.ids", [], "`delete.ids` must be a list of rule ids.")]
            )
        known = {rule.id for rule in self.fake.rules}
        errors = [
            {
                "value": rule_id,
                "detail": "Rule does not exist",
                "title": "Not Found Error",
                "type": f"{PROBLEMS}/resource-not-found",
            }
            for rule_id in ids
            if rule_id not in known
        ]
        deleted = [rule_id for rule_id in ids if rule_id in known]
        if not dry_run:
            for rule_id in deleted:
                self.fake.delete_rule(rule_id)
        summary = {"deleted": len(deleted), "not_deleted": len(errors)}
        body: JsonObject = {"meta": {"sent": format_time(self.fake.now()), "summary": summary}}
        if errors:
            body["errors"] = errors
        return Answer(200, body)

    # --- filtered stream ---

    async def _stream(
        self, request: web.Request, _: Principal, headers: RateHeaders
    ) -> web.StreamResponse:
        params = Params.of(request, FIELD_PARAMETERS | {"backfill_minutes"})
        fields = Fields.read(params)
        backfill = params.integer("backfill_minutes", 0, MAX_BACKFILL_MINUTES, default=0)
        params.check()
        queue: asyncio.Queue[Tweet | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def hand_over(tweet: Tweet) -> None:
            # Benchmarks may post from another thread; only the loop's thread touches the queue.
            loop.call_soon_threadsafe(queue.put_nowait, tweet)

        unsubscribe = self.fake.subscribe(hand_over)
        self._streams.add(queue)
        try:
            response = web.StreamResponse(status=200, headers=headers)
            response.content_type = "application/json"
            response.enable_chunked_encoding()
            await response.prepare(request)
            if backfill:
                since = self.fake.now() - timedelta(minutes=backfill)
                for tweet in self.fake.recent_tweets(since):
                    queue.put_nowait(tweet)
            with contextlib.suppress(ConnectionResetError):
                await self._pump(request, response, queue, Renderer(self.fake, fields))
            return response
        finally:
            unsubscribe()
            self._streams.discard(queue)

    async def _pump(
        self,
        request: web.Request,
        response: web.StreamResponse,
        queue: asyncio.Queue[Tweet | None],
        renderer: Renderer,
    ) -> None:
        """Write matching tweets as they arrive, and `\\r\\n` keep-alives in the silences."""
        while True:
            try:
                tweet = await asyncio.wait_for(queue.get(), self.fake.keepalive_seconds)
            except TimeoutError:
                await response.write(b"\r\n")
                continue
            if tweet is None:
                return
            rules = self.fake.matching_rules(tweet)
            if not rules:
                continue
            if not await self._write_line(
                request, response, tweet.id, self._stream_line(tweet, rules, renderer)
            ):
                return

    async def _write_line(
        self, request: web.Request, response: web.StreamResponse, tweet_id: str, line: JsonObject
    ) -> bool:
        """Write one tweet line as the scenario says; False once the connection is cut."""
        malformation = self.fake.pending_malformation("stream")
        self.fake.consume_malformation("stream")
        if malformation == "missing_created_at":
            line = _without_created_at(line)
        raw = encode_json(line)
        if malformation == "invalid_json":
            raw = raw[: len(raw) // 2]
        plan = self.fake.stream_line_plan()
        if plan == "cut_before":
            _cut(request)
            return False
        if plan == "cut_mid_line":
            await response.write(raw[: len(raw) // 2])
            _cut(request)
            return False
        await response.write(raw + b"\r\n")
        self.fake.record_reads([tweet_id])
        if plan == "send_then_cut":
            _cut(request)
            return False
        return True

    def _stream_line(self, tweet: Tweet, rules: list[StreamRule], renderer: Renderer) -> JsonObject:
        includes, errors = renderer.expand([tweet])
        line: JsonObject = {"data": renderer.tweet(tweet)}
        if includes:
            line["includes"] = includes
        if errors:
            line["errors"] = errors
        line["matching_rules"] = [
            {"id": rule.id} | ({"tag": rule.tag} if rule.tag is not None else {}) for rule in rules
        ]
        return line


def _cut(request: web.Request) -> None:
    # Closing the transport mid-body leaves the chunked response unterminated, as a dropped
    # connection does; the client sees what was flushed, then a payload error.
    transport = request.transport
    if transport is not None:
        transport.close()


def _rule_json(rule: StreamRule) -> JsonObject:
    out: JsonObject = {"id": rule.id, "value": rule.value}
    if rule.tag is not None:
        out["tag"] = rule.tag
    return out


def _rule_requests(requested: object) -> list[tuple[str, str | None]]:
    if not isinstance(requested, list) or not requested:
        raise InvalidRequest(
            [parameter_error("add", [], "`add` must be a non-empty list of rules.")]
        )
    rules: list[tuple[str, str | None]] = []
    for index, item in enumerate(requested):
        value = item.get("value") if isinstance(item, dict) else None
        tag = item.get("tag") if isinstance(item, dict) else None
        if (
            not isinstance(value, str)
            or not value
            or (tag is not None and not isinstance(tag, str))
        ):
            raise InvalidRequest(
                [parameter_error(f"add[{index}].value", [], "Each rule needs a string `value`.")]
            )
        rules.append((value, tag))
    return rules


def _reply_target(reply: object) -> str | None:
    if reply is None:
        return None
    target = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
    if not isinstance(target, str) or re.fullmatch(ID_PATTERN, target) is None:
        raise InvalidRequest(
            [
                parameter_error(
                    "reply.in_reply_to_tweet_id",
                    [str(target)] if target is not None else [],
                    f"`reply.in_reply_to_tweet_id` must be a tweet id matching {ID_PATTERN}",
                )
            ]
        )
    return target


async def read_json_object(request: web.Request) -> JsonObject:
    if request.content_type != "application/json":
        raise InvalidRequest(
            [
                parameter_error(
                    "body", [], "Requests with bodies must have content-type of application/json."
                )
            ]
        )
    try:
        body = json.loads(await request.read())
    except (ValueError, RecursionError) as error:
        raise InvalidRequest(
            [parameter_error("body", [], f"The request body is not valid JSON: {error}")]
        ) from None
    if not isinstance(body, dict):
        raise InvalidRequest(
            [parameter_error("body", [], "The request body must be a JSON object.")]
        )
    return body


def _excluding(excluded: frozenset[str]) -> Predicate | None:
    if not excluded:
        return None
    kinds = {"retweets": "retweeted", "replies": "replied_to"}
    unwanted = {kinds[name] for name in excluded}
    return lambda tweet: not any(ref.type in unwanted for ref in tweet.referenced)


def _within(start: datetime | None, end: datetime | None) -> Predicate | None:
    if start is None and end is None:
        return None
    return lambda tweet: (
        (start is None or tweet.created_at >= start) and (end is None or tweet.created_at < end)
    )


def _all_of(predicates: Iterable[Predicate]) -> Predicate | None:
    checks = list(predicates)
    if not checks:
        return None
    return lambda tweet: all(check(tweet) for check in checks)


def _without_created_at(body: JsonObject) -> JsonObject:
    """The body with the first data tweet's `created_at` removed (a malformed page)."""
    data = body.get("data")
    first = data[0] if isinstance(data, list) and data else data
    if not isinstance(first, dict):
        return body
    broken = {key: value for key, value in first.items() if key != "created_at"}
    new_data = [broken, *data[1:]] if isinstance(data, list) else broken
    return body | {"data": new_data}


def json_response(
    status: int, body: JsonObject | bytes, headers: Mapping[str, str] | None = None
) -> web.Response:
    raw = body if isinstance(body, bytes) else encode_json(body)
    return web.Response(
        status=status,
        body=raw,
        headers=dict(headers or {}),
        content_type="application/json",
        charset="utf-8",
    )


# --- the server ---------------------------------------------------------------------------------


def _user_id_of(access_token: str) -> str | None:
    # X's OAuth 1.0a access tokens start with the user's id: "<user id>-<secret>".
    prefix, dash, _ = access_token.partition("-")
    return prefix if dash and prefix.isdigit() else None


class FakeXServer(LoopbackServer):
    """Runs the fake on 127.0.0.1 (ephemeral port) over TLS for api.twitter.com / api.x.com."""

    def __init__(
        self,
        fake: FakeX,
        *,
        bearer_token: str,
        consumer_key: str,
        access_token: str,
        user_id: str | None = None,
    ) -> None:
        authenticated = user_id or _user_id_of(access_token)
        if authenticated is None:
            raise ValueError(
                "access_token must look like X's '<user id>-<secret>', or pass user_id="
            )
        self.fake = fake
        self.ca = trustme.CA()
        self._certificate = self.ca.issue_cert(*X_HOSTS)
        self._api = FakeXApi(
            fake, Credentials(bearer_token, consumer_key, access_token, authenticated)
        )
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the fake X server is not started")
        return self._port

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts the fake's CA (and nothing else)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies certificate and host name
        self.ca.configure_trust(context)
        return context

    async def start(self) -> None:
        if self._runner is not None:
            return
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._certificate.configure_cert(context)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        # Handler cancellation ends a stream's handler as soon as its client goes away.
        runner = web.AppRunner(
            self._api.application(),
            handler_cancellation=True,
            shutdown_timeout=1.0,
            access_log=None,
        )
        await runner.setup()
        await web.SockSite(runner, listener, ssl_context=context).start()
        self._runner = runner
        self._port = listener.getsockname()[1]

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        await self._api.close_streams()
        await runner.cleanup()
