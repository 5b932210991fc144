"""The X API v2 calls the connector makes, on tweepy's AsyncClient, with retries and limits.

tweepy builds, signs and sends the requests; this module reads what tweepy hides (the
rate-limit headers, the exact bytes of a page that does not parse), turns tweepy's exceptions
into three kinds (rate limited, transient, permanent), waits for the reset on a 429 and backs
off with jitter on 5xx and timeouts. Every wait is an `await` on the account's own task, so a
rate-limited account never stalls the others.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Unpack

import aiohttp
import tweepy.errors
from pydantic import SecretStr
from tweepy.asynchronous import AsyncClient

from connectors.common.http_api import (
    ApiAnswer,
    ApiError,
    PermanentApiError,
    RateLimit,
    RateLimited,
    RetryingApi,
    RetryOptions,
    TransientApiError,
    decoded,
    rate_limit_in,
)
from inbox.domain.clock import Clock

TWEET_FIELDS = [
    "author_id",
    "created_at",
    "conversation_id",
    "in_reply_to_user_id",
    "referenced_tweets",
    "lang",
    "entities",
    "public_metrics",
    "edit_history_tweet_ids",
    "note_tweet",
    "attachments",
]
EXPANSIONS = ["author_id", "referenced_tweets.id", "in_reply_to_user_id", "attachments.media_keys"]
USER_FIELDS = ["username", "name", "verified", "public_metrics", "created_at"]
# What a message's pictures and videos are shown with (`includes.media`).
MEDIA_FIELDS = ["url", "preview_image_url", "type", "width", "height", "alt_text"]
PAGE_SIZE = 100

# Every X call fails with one of the kinds every network shares.
XApiError = ApiError


@dataclass(frozen=True, slots=True)
class XCredentials:
    """App-only bearer token for reads; OAuth 1.0a user context to post as the brand."""

    bearer_token: SecretStr | None = None
    consumer_key: SecretStr | None = None
    consumer_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    access_token_secret: SecretStr | None = None

    NAMES = (
        "bearer_token",
        "consumer_key",
        "consumer_secret",
        "access_token",
        "access_token_secret",
    )

    @classmethod
    def from_mapping(cls, values: Mapping[str, SecretStr]) -> XCredentials:
        return cls(**{name: values[name] for name in cls.NAMES if name in values})

    def as_mapping(self) -> dict[str, SecretStr]:
        values = {name: getattr(self, name) for name in self.NAMES}
        return {name: value for name, value in values.items() if value is not None}

    @property
    def can_post(self) -> bool:
        return all(
            getattr(self, name) is not None
            for name in ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
        )

    @property
    def can_read(self) -> bool:
        return self.bearer_token is not None or self.can_post


def _reveal(secret: SecretStr | None) -> str | None:
    return None if secret is None else secret.get_secret_value()


def rate_limit_from(headers: Mapping[str, str]) -> RateLimit | None:
    """X's `x-rate-limit-*` headers (reset in epoch seconds)."""
    return rate_limit_in(
        headers,
        limit="x-rate-limit-limit",
        remaining="x-rate-limit-remaining",
        reset="x-rate-limit-reset",
    )


def _detail(error: tweepy.errors.HTTPException) -> str:
    """X's explanation of a refused call ("duplicate content", "not visible to you"...)."""
    messages = [m for m in error.api_messages if m] if error.api_messages else []
    if messages:
        return "; ".join(str(m) for m in messages)[:500]
    return str(getattr(error.response, "reason", "") or "no detail")


class XApi(RetryingApi):
    """One account's view of the API. `session` is any aiohttp session (the fake's in tests)."""

    network = "x"

    def __init__(
        self,
        credentials: XCredentials,
        session: aiohttp.ClientSession,
        *,
        clock: Clock,
        **retry: Unpack[RetryOptions],
    ) -> None:
        super().__init__(clock=clock, **retry)
        self._client = AsyncClient(
            bearer_token=_reveal(credentials.bearer_token),
            consumer_key=_reveal(credentials.consumer_key),
            consumer_secret=_reveal(credentials.consumer_secret),
            access_token=_reveal(credentials.access_token),
            access_token_secret=_reveal(credentials.access_token_secret),
            return_type=aiohttp.ClientResponse,
        )
        self._client.session = session
        self._reads_as_user = credentials.bearer_token is None

    # -- reads --------------------------------------------------------------------------

    async def mentions(
        self, user_id: str, *, since_id: str | None, pagination_token: str | None
    ) -> ApiAnswer:
        return await self._call(
            "mentions",
            lambda: self._client.get_users_mentions(
                user_id,
                since_id=since_id,
                pagination_token=pagination_token,
                max_results=PAGE_SIZE,
                **self._expanded(),
            ),
        )

    async def search_recent(
        self, query: str, *, since_id: str | None, next_token: str | None
    ) -> ApiAnswer:
        return await self._call(
            "search",
            lambda: self._client.search_recent_tweets(
                query,
                since_id=since_id,
                next_token=next_token,
                max_results=PAGE_SIZE,
                **self._expanded(),
            ),
        )

    async def lookup(self, ids: Sequence[str]) -> ApiAnswer:
        return await self._call(
            "lookup", lambda: self._client.get_tweets(list(ids)[:100], **self._expanded())
        )

    async def own_posts(self, user_id: str, *, start_time: datetime) -> ApiAnswer:
        """The account's own recent posts: where a reply sent before a crash shows up."""
        return await self._call(
            "user_tweets",
            lambda: self._client.get_users_tweets(
                user_id,
                start_time=start_time,
                max_results=PAGE_SIZE,
                tweet_fields=["created_at", "conversation_id", "referenced_tweets"],
                user_auth=self._reads_as_user,
            ),
        )

    # -- writes (user context) ----------------------------------------------------------

    async def create_reply(self, text: str, in_reply_to: str | None) -> ApiAnswer:
        return await self._call(
            "create_tweet",
            lambda: self._client.create_tweet(
                text=text, in_reply_to_tweet_id=in_reply_to, user_auth=True
            ),
            retry=False,  # a retried POST could post twice: the outbox decides
        )

    async def send_direct_message(self, recipient_id: str, text: str) -> ApiAnswer:
        return await self._call(
            "dm",
            lambda: self._client.create_direct_message(
                participant_id=recipient_id, text=text, user_auth=True
            ),
            retry=False,
        )

    # -- machinery ----------------------------------------------------------------------

    def _expanded(self) -> dict[str, Any]:
        return {
            "expansions": EXPANSIONS,
            "tweet_fields": TWEET_FIELDS,
            "user_fields": USER_FIELDS,
            "media_fields": MEDIA_FIELDS,
            "user_auth": self._reads_as_user,
        }

    async def _call(
        self,
        endpoint: str,
        request: Callable[[], Coroutine[Any, Any, Any]],
        *,
        retry: bool = True,
    ) -> ApiAnswer:
        return await self._attempts(lambda: self._once(endpoint, request), retry=retry)

    async def _once(
        self, endpoint: str, request: Callable[[], Coroutine[Any, Any, Any]]
    ) -> ApiAnswer:
        await self._attempt_begins(endpoint)
        try:
            response: aiohttp.ClientResponse = await request()
        except tweepy.errors.TooManyRequests as exc:
            rate = rate_limit_from(exc.response.headers)
            self._remember_limit(endpoint, rate)
            raise RateLimited(endpoint, rate.reset_at if rate else None) from None
        except tweepy.errors.TwitterServerError as exc:
            raise TransientApiError(f"{endpoint}: HTTP {exc.response.status}") from None
        except tweepy.errors.HTTPException as exc:
            status = int(getattr(exc.response, "status", 0))
            raise PermanentApiError(endpoint, status, _detail(exc)) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientApiError(f"{endpoint}: {exc.__class__.__name__}") from None
        except json.JSONDecodeError:
            # tweepy decodes error bodies; one that is not JSON is the server's failure.
            raise TransientApiError(f"{endpoint}: an error answer that is not JSON") from None
        rate = rate_limit_from(response.headers)
        self._remember_limit(endpoint, rate)
        # tweepy has read the body and released the connection; aiohttp then refuses read()
        # but still decodes the kept body. surrogateescape gives back its exact bytes.
        raw = (await response.text("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
        return ApiAnswer(decoded(raw), raw, rate)
