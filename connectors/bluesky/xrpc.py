"""The XRPC calls the Bluesky connector makes: its session, retries and rate limits.

A brand account signs in with its handle and an app password (`createSession`) and gets two
JWTs: a short-lived access token for every call and a refresh token. The access token is
renewed before it expires (its `exp` claim) and again whenever a server answers
`ExpiredToken`; a refused refresh falls back to a new sign-in. Only the app password is
stored; the tokens live in memory, so a restart signs in again.

Answers are sorted into three kinds, as for X: rate limited (429: wait for `ratelimit-reset`),
transient (5xx, timeouts: back off with jitter) and permanent (other 4xx, with the XRPC error
name and message). Reads are retried; writes never are, because a retried POST could post
twice: the outbox decides, after looking for the earlier attempt.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Unpack
from urllib.parse import urlsplit

import aiohttp
from pydantic import SecretStr

from connectors.common import http_api
from connectors.common.egress import CheckedDestinations, RefusedDestination, guarded_session
from connectors.common.http_api import (
    ApiAnswer,
    ApiError,
    HttpRequest,
    RateLimit,
    RetryingApi,
    RetryOptions,
    TransientApiError,
    decoded,
    rate_limit_in,
)
from inbox.domain.clock import Clock
from inbox.domain.egress import EgressPolicy, is_loopback_host
from inbox.domain.errors import ConfigurationError

log = logging.getLogger(__name__)

Params = Sequence[tuple[str, str]]

CREATE_SESSION = "com.atproto.server.createSession"
REFRESH_SESSION = "com.atproto.server.refreshSession"
LIST_NOTIFICATIONS = "app.bsky.notification.listNotifications"
GET_POST_THREAD = "app.bsky.feed.getPostThread"
GET_POSTS = "app.bsky.feed.getPosts"
# The most posts one getPosts call takes.
POSTS_PER_CALL = 25
CREATE_RECORD = "com.atproto.repo.createRecord"
GET_RECORD = "com.atproto.repo.getRecord"
POST_COLLECTION = "app.bsky.feed.post"
# Renew the access token this long before its `exp`: a call in flight must not outlive it.
REFRESH_MARGIN = timedelta(seconds=60)
DETAIL_MAX_CHARS = 300
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=10)
# Error names with which servers say the access token is no longer good.
TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})


# Every XRPC call fails with one of the kinds every network shares.
BlueskyApiError = ApiError


class PermanentApiError(http_api.PermanentApiError):
    """4xx other than 429, with the XRPC error name (`error`): it tells an expired token
    (`ExpiredToken`) from a request the server will never accept."""

    def __init__(self, endpoint: str, status: int, error: str, detail: str) -> None:
        super().__init__(endpoint, status, detail, error=error)
        self.error = error


class RefusedService(PermanentApiError):
    """A call not made: the egress policy refuses the service's address. Retrying cannot
    help until the service or the setting changes."""

    def __init__(self, endpoint: str, refused: RefusedDestination) -> None:
        ApiError.__init__(self, f"{endpoint}: {refused.refusal}")
        self.status = 0  # no HTTP exchange took place
        self.error = "RefusedDestination"
        self.detail = refused.refusal.reason


class AuthenticationFailed(PermanentApiError):
    """The handle and app password were refused (revoked, mistyped, account taken down)."""


@dataclass(frozen=True, slots=True)
class BlueskyCredentials:
    """What is stored for an account: the app password (the handle is the account's own)."""

    app_password: SecretStr

    @classmethod
    def from_mapping(cls, values: Mapping[str, SecretStr]) -> BlueskyCredentials | None:
        password = values.get("app_password")
        return None if password is None else cls(password)

    def as_mapping(self) -> dict[str, SecretStr]:
        return {"app_password": self.app_password}


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The account as the server knows it after a sign-in."""

    did: str
    handle: str


@dataclass(frozen=True, slots=True)
class _Tokens:
    access: SecretStr
    refresh: SecretStr
    access_expires_at: datetime | None


def check_service_url(url: str) -> str:
    """The service URL without a trailing slash. Plain http only to this machine (a fake
    server): an app password must never cross a network in clear."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError("Bluesky service", f"{url!r} is not an http(s) URL")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ConfigurationError(
            "Bluesky service", "only https is accepted, except on this machine (127.0.0.1)"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError("Bluesky service", "a service URL has no query or fragment")
    return url.rstrip("/")


def rate_limit_from(headers: Mapping[str, str]) -> RateLimit | None:
    """The `ratelimit-*` headers a PDS sends (reset in epoch seconds)."""
    return rate_limit_in(
        headers, limit="ratelimit-limit", remaining="ratelimit-remaining", reset="ratelimit-reset"
    )


def jwt_expiry(token: str) -> datetime | None:
    """The `exp` claim of a JWT, read without verifying it (the server verifies; we only
    want to know when to renew). None when the token is not a readable JWT."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        expiry = claims["exp"]
        if not isinstance(expiry, int | float) or isinstance(expiry, bool):
            return None
        return datetime.fromtimestamp(expiry, UTC)
    except (IndexError, ValueError, KeyError, TypeError, binascii.Error, OverflowError, OSError):
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _error_of(raw: bytes) -> tuple[str, str]:
    """(error name, message) of an XRPC error body `{"error": ..., "message": ...}`."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return "Unknown", "an error answer that is not JSON"
    if not isinstance(body, dict):
        return "Unknown", "an error answer that is not a JSON object"
    error = body.get("error")
    message = body.get("message")
    name = error if isinstance(error, str) and error else "Unknown"
    detail = message if isinstance(message, str) and message else "no detail"
    # Network text: bounded, and on one line so that it cannot forge log lines.
    return name[:100], " ".join(detail.split())[:DETAIL_MAX_CHARS]


class BlueskyApi(RetryingApi):
    """One account's XRPC client. `session` is any aiohttp session (the fake's in tests)."""

    network = "bluesky"

    def __init__(
        self,
        service: str,
        handle: str,
        credentials: BlueskyCredentials,
        session: aiohttp.ClientSession,
        *,
        clock: Clock,
        **retry: Unpack[RetryOptions],
    ) -> None:
        super().__init__(clock=clock, **retry)
        self.service = check_service_url(service)
        self._handle = handle
        self._credentials = credentials
        self._session = session
        self._tokens: _Tokens | None = None
        self._signed_in: SignedIn | None = None
        # Several calls may find the token expired at once: one renewal serves them all.
        self._auth_lock = asyncio.Lock()
        self.sign_ins = 0
        self.refreshes = 0

    # -- the session --------------------------------------------------------------------

    async def sign_in(self) -> SignedIn:
        """The account's DID and handle, signing in if no session is open yet."""
        async with self._auth_lock:
            if self._signed_in is None:
                await self._create_session()
            assert self._signed_in is not None
            return self._signed_in

    async def _create_session(self) -> None:
        body = {
            "identifier": self._handle,
            "password": self._credentials.app_password.get_secret_value(),
        }
        answer = await self._send("POST", CREATE_SESSION, json_body=body, token=None)
        self.sign_ins += 1
        self._accept_session(CREATE_SESSION, answer)
        log.info(
            "bluesky session created",
            extra={"action": "bluesky_sign_in", "account": self._handle},
        )

    async def _refresh_session(self) -> None:
        assert self._tokens is not None
        answer = await self._send(
            "POST", REFRESH_SESSION, token=self._tokens.refresh.get_secret_value()
        )
        self.refreshes += 1
        self._accept_session(REFRESH_SESSION, answer)

    def _accept_session(self, endpoint: str, answer: ApiAnswer) -> None:
        body = answer.body if isinstance(answer.body, dict) else {}
        access, refresh = _text(body.get("accessJwt")), _text(body.get("refreshJwt"))
        did, handle = _text(body.get("did")), _text(body.get("handle"))
        if access is None or refresh is None or did is None or handle is None:
            raise TransientApiError(f"{endpoint}: the answer has no tokens, did or handle")
        self._tokens = _Tokens(SecretStr(access), SecretStr(refresh), jwt_expiry(access))
        self._signed_in = SignedIn(did, handle)

    async def _access_token(self) -> str:
        async with self._auth_lock:
            if self._tokens is None:
                await self._create_session()
            elif self._expiring(self._tokens):
                await self._renew()
            assert self._tokens is not None
            return self._tokens.access.get_secret_value()

    def _expiring(self, tokens: _Tokens) -> bool:
        expires = tokens.access_expires_at
        return expires is not None and expires - REFRESH_MARGIN <= self._clock()

    async def _renew_after_refusal(self, refused: str) -> None:
        async with self._auth_lock:
            current = self._tokens
            if current is not None and current.access.get_secret_value() != refused:
                return  # another call renewed it while this one waited
            await self._renew()

    async def _renew(self) -> None:
        """Refresh; when the refresh token is refused too, sign in again."""
        if self._tokens is not None:
            try:
                await self._refresh_session()
                return
            except PermanentApiError as error:
                log.info(
                    "bluesky refresh refused; signing in again",
                    extra={"action": "bluesky_refresh_refused", "error": error.error},
                )
        await self._create_session()

    # -- the endpoints the connector uses ----------------------------------------------

    async def notifications(
        self, *, cursor: str | None, reasons: Sequence[str], limit: int = 100
    ) -> ApiAnswer:
        params = [("limit", str(limit)), *(("reasons", reason) for reason in reasons)]
        if cursor is not None:
            params.append(("cursor", cursor))
        return await self.query(LIST_NOTIFICATIONS, params)

    async def post_thread(self, uri: str, *, parent_height: int, depth: int = 0) -> ApiAnswer:
        params = [("uri", uri), ("depth", str(depth)), ("parentHeight", str(parent_height))]
        return await self.query(GET_POST_THREAD, params)

    async def present_posts(self, uris: Sequence[str]) -> set[str] | None:
        """Those of `uris` (at most POSTS_PER_CALL) that still exist: `getPosts` leaves out
        the others. None when the answer cannot be read (it proves nothing gone)."""
        answer = await self.query(GET_POSTS, [("uris", uri) for uri in uris])
        posts = answer.body.get("posts") if isinstance(answer.body, dict) else None
        if not isinstance(posts, list):
            return None
        found = (post.get("uri") for post in posts if isinstance(post, dict))
        return {uri for uri in found if isinstance(uri, str)}

    async def create_post(self, repo: str, rkey: str, record: Mapping[str, Any]) -> ApiAnswer:
        body = {"repo": repo, "collection": POST_COLLECTION, "rkey": rkey, "record": record}
        return await self.procedure(CREATE_RECORD, body)

    async def get_post_record(self, repo: str, rkey: str) -> ApiAnswer:
        params = [("repo", repo), ("collection", POST_COLLECTION), ("rkey", rkey)]
        return await self.query(GET_RECORD, params)

    # -- calls --------------------------------------------------------------------------

    async def query(self, nsid: str, params: Params) -> ApiAnswer:
        """A GET call (XRPC query), retried on 429 and transient failures."""
        return await self._attempts(lambda: self._authorised("GET", nsid, params=params))

    async def procedure(self, nsid: str, body: Mapping[str, Any]) -> ApiAnswer:
        """A POST call (XRPC procedure), tried once: the caller decides about a retry."""
        return await self._authorised("POST", nsid, json_body=body)

    async def _authorised(
        self,
        method: str,
        nsid: str,
        *,
        params: Params = (),
        json_body: Mapping[str, Any] | None = None,
    ) -> ApiAnswer:
        token = await self._access_token()
        try:
            return await self._send(method, nsid, params=params, json_body=json_body, token=token)
        except PermanentApiError as error:
            if error.error not in TOKEN_ERRORS and error.status != 401:
                raise
            # Expired or revoked early: renew once and repeat; a second refusal is final.
            await self._renew_after_refusal(token)
            token = await self._access_token()
            try:
                return await self._send(
                    method, nsid, params=params, json_body=json_body, token=token
                )
            except PermanentApiError as again:
                if again.error in TOKEN_ERRORS or again.status == 401:
                    raise AuthenticationFailed(
                        nsid, again.status, again.error, again.detail
                    ) from None
                raise

    async def _send(
        self,
        method: str,
        nsid: str,
        *,
        params: Params = (),
        json_body: Mapping[str, Any] | None = None,
        token: str | None,
    ) -> ApiAnswer:
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = HttpRequest(
            method, f"{self.service}/xrpc/{nsid}", headers, params=params, json_body=json_body
        )
        answer = await self._exchange(
            self._session, nsid, request, rate_from=rate_limit_from, refused=RefusedService
        )
        if answer.status >= 500:
            error, detail = _error_of(answer.raw)
            raise TransientApiError(f"{nsid}: HTTP {answer.status} {error}: {detail}")
        if answer.status >= 300:
            error, detail = _error_of(answer.raw)
            if nsid == CREATE_SESSION and answer.status in (400, 401):
                raise AuthenticationFailed(nsid, answer.status, error, detail)
            raise PermanentApiError(nsid, answer.status, error, detail)
        return ApiAnswer(decoded(answer.raw), answer.raw, answer.rate)


async def sign_in_once(
    service: str,
    handle: str,
    credentials: BlueskyCredentials,
    *,
    clock: Clock,
    policy: EgressPolicy,
) -> SignedIn:
    """Check a handle and app password against the service (`inbox connect bluesky`); a
    service whose address `policy` refuses is named before the password is sent anywhere."""
    await CheckedDestinations(policy).check(service, "Bluesky service")
    async with bluesky_session(policy) as session:
        try:
            return await BlueskyApi(service, handle, credentials, session, clock=clock).sign_in()
        except RefusedService as refused:
            raise ConfigurationError("Bluesky service", refused.detail) from None


def bluesky_session(policy: EgressPolicy) -> aiohttp.ClientSession:
    """The HTTP session every Bluesky account of a worker shares, to the addresses `policy`
    allows. Create it in a coroutine."""
    return guarded_session(policy, timeout=REQUEST_TIMEOUT)
