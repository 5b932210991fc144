"""The Mastodon REST calls the connector makes, on aiohttp, with retries and rate limits.

One `MastodonApi` speaks for one account on one instance, with the account's access token.
Every answer keeps its exact bytes (a page that does not parse is quarantined whole), its
rate-limit headers (`X-RateLimit-Limit`, `-Remaining`, `-Reset`, the reset an ISO 8601
instant) and its `Link` header. Failures come in three kinds: rate limited (429: wait for the
reset, then try again), transient (5xx, timeouts, broken connections: back off with jitter)
and permanent (other 4xx). Waits are `await`s on the account's own task, so one rate-limited
account never holds up another. POSTs are never retried here: the outbox decides.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Unpack
from urllib.parse import parse_qs, quote, urlsplit

import aiohttp
from pydantic import SecretStr

from connectors.common.egress import RefusedDestination, guarded_session
from connectors.common.http_api import (
    ApiAnswer,
    ApiError,
    HttpRequest,
    PermanentApiError,
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

# Mastodon serves at most 80 notifications and 40 statuses a page.
NOTIFICATIONS_PAGE = 80
STATUSES_PAGE = 40
# `GET /api/v1/statuses?id[]=` (Mastodon 4.3 and later) takes at most this many ids.
STATUSES_PER_LOOKUP = 20
# Ids go into URL paths: Mastodon's are numbers, other servers' (Pleroma, Akkoma) letters too.
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=10)


def is_status_id(text: str) -> bool:
    """Whether `text` can be an id of this instance's (a number on Mastodon, letters too
    on Pleroma or Akkoma)."""
    return _ID.match(text) is not None


# Every Mastodon call fails with one of the kinds every network shares.
MastodonApiError = ApiError


@dataclass(frozen=True, slots=True)
class LinkedAnswer(ApiAnswer):
    """An answer with its `Link` header: rel -> the query parameters of that link
    ("next": {"max_id": "..."})."""

    links: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def mastodon_session(policy: EgressPolicy) -> aiohttp.ClientSession:
    """One session for every account's instance, to the addresses `policy` allows; never
    through a proxy of the environment (the token goes with every request)."""
    return guarded_session(policy, timeout=REQUEST_TIMEOUT)


def instance_url(text: str) -> str:
    """The instance's base URL, `https://host[:port]`; plain http only on loopback (a test
    double), since the token travels with every request."""
    parts = urlsplit(text.strip() if "://" in text else f"https://{text.strip()}")
    host = parts.hostname
    if parts.scheme not in ("https", "http") or not host:
        raise ConfigurationError("--instance", "give the instance as https://host")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ConfigurationError("--instance", "give the instance alone, without a path")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ConfigurationError("--instance", "only https is accepted for a remote instance")
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError("--instance", "the port is not a number") from None
    shown_host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{shown_host}" + (f":{port}" if port else "")


def checked_id(value: str) -> str:
    if not _ID.match(value):
        raise PermanentApiError("request", 400, "an id that is not a Mastodon id")
    return quote(value, safe="")


def rate_limit_from(headers: Mapping[str, str]) -> RateLimit | None:
    return rate_limit_in(
        headers,
        limit="X-RateLimit-Limit",
        remaining="X-RateLimit-Remaining",
        reset="X-RateLimit-Reset",
        reset_instant=_instant,
    )


def _instant(value: str) -> datetime:
    """Mastodon sends an ISO 8601 instant; some servers send seconds since the epoch."""
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _links(response: aiohttp.ClientResponse) -> dict[str, dict[str, str]]:
    """Only the query parameters of each link: the connector never follows a URL it was
    given (it could point anywhere, and the token goes with every request)."""
    found: dict[str, dict[str, str]] = {}
    try:
        links = response.links
    except (ValueError, KeyError):
        return found
    for rel, link in links.items():
        url = link.get("url")
        if url is None:
            continue
        query = parse_qs(str(getattr(url, "query_string", "") or urlsplit(str(url)).query))
        found[str(rel)] = {key: values[-1] for key, values in query.items() if values}
    return found


def _detail(raw: bytes) -> str:
    """Mastodon explains a refusal in {"error": "..."}."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return "no detail"
    error = body.get("error") if isinstance(body, dict) else None
    return str(error)[:300] if error else "no detail"


class RefusedInstance(PermanentApiError):
    """A call not made: the egress policy refuses the instance's address. Retrying cannot
    help until the instance or the setting changes."""

    def __init__(self, endpoint: str, refused: RefusedDestination) -> None:
        ApiError.__init__(self, f"{endpoint}: {refused.refusal}")
        self.status = 0  # no HTTP exchange took place
        self.detail = refused.refusal.reason


class MastodonApi(RetryingApi):
    """One account's view of its instance. `session` is any aiohttp session."""

    network = "mastodon"

    def __init__(
        self,
        instance: str,
        token: SecretStr,
        session: aiohttp.ClientSession,
        *,
        clock: Clock,
        timeout: aiohttp.ClientTimeout = REQUEST_TIMEOUT,
        **retry: Unpack[RetryOptions],
    ) -> None:
        super().__init__(clock=clock, **retry)
        self.instance = instance_url(instance)
        self._timeout = timeout
        self._token = token
        self._session = session

    @property
    def session(self) -> aiohttp.ClientSession:
        return self._session

    def authorization(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token.get_secret_value()}"}

    # -- reads --------------------------------------------------------------------------

    async def verify_credentials(self) -> ApiAnswer:
        return await self._call("verify_credentials", "GET", "/api/v1/accounts/verify_credentials")

    async def instance_info(self) -> ApiAnswer:
        return await self._call("instance", "GET", "/api/v2/instance")

    async def mentions(
        self,
        *,
        min_id: str | None = None,
        max_id: str | None = None,
        limit: int = NOTIFICATIONS_PAGE,
    ) -> ApiAnswer:
        """Mention notifications, newest first. With `min_id`: the page just above it."""
        params: list[tuple[str, str]] = [("types[]", "mention"), ("limit", str(limit))]
        if min_id is not None:
            params.append(("min_id", min_id))
        if max_id is not None:
            params.append(("max_id", max_id))
        return await self._call("notifications", "GET", "/api/v1/notifications", params=params)

    async def status(self, status_id: str) -> ApiAnswer:
        return await self._call("status", "GET", f"/api/v1/statuses/{checked_id(status_id)}")

    async def present_statuses(self, status_ids: Sequence[str]) -> set[str] | None:
        """Those of `status_ids` (at most STATUSES_PER_LOOKUP) the instance still returns:
        `GET /api/v1/statuses` (Mastodon 4.3+) leaves out the statuses that no longer exist
        or that the account may not see. None when it cannot say (an older instance has no
        such call, or the answer cannot be read)."""
        params = [("id[]", checked_id(status_id)) for status_id in status_ids]
        try:
            answer = await self._call("statuses", "GET", "/api/v1/statuses", params=params)
        except PermanentApiError:
            return None
        if not isinstance(answer.body, list):
            return None
        found = (status.get("id") for status in answer.body if isinstance(status, dict))
        return {status_id for status_id in found if isinstance(status_id, str)}

    async def context(self, status_id: str) -> ApiAnswer:
        """The status's ancestors (oldest first) and descendants."""
        path = f"/api/v1/statuses/{checked_id(status_id)}/context"
        return await self._call("context", "GET", path)

    async def account_statuses(self, account_id: str, *, max_id: str | None = None) -> ApiAnswer:
        """The account's own statuses, newest first: where a reply posted before a crash is."""
        params = [("limit", str(STATUSES_PAGE)), ("exclude_reblogs", "true")]
        if max_id is not None:
            params.append(("max_id", max_id))
        path = f"/api/v1/accounts/{checked_id(account_id)}/statuses"
        return await self._call("account_statuses", "GET", path, params=params)

    # -- writes -------------------------------------------------------------------------

    async def post_status(
        self,
        text: str,
        *,
        in_reply_to_id: str | None,
        visibility: str,
        idempotency_key: str,
    ) -> ApiAnswer:
        """Mastodon keeps the Idempotency-Key an hour: the same key posts at most once."""
        body: dict[str, Any] = {"status": text, "visibility": visibility}
        if in_reply_to_id is not None:
            body["in_reply_to_id"] = in_reply_to_id
        return await self._call(
            "post_status",
            "POST",
            "/api/v1/statuses",
            json_body=body,
            headers={"Idempotency-Key": idempotency_key},
            retry=False,
        )

    # -- machinery ----------------------------------------------------------------------

    async def _call(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | None = None,
        json_body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        retry: bool = True,
    ) -> ApiAnswer:
        request = HttpRequest(
            method,
            self.instance + path,
            headers={**self.authorization(), "Accept": "application/json", **(headers or {})},
            params=params or (),
            json_body=json_body,
            timeout=self._timeout,
        )
        return await self._attempts(lambda: self._once(endpoint, request), retry=retry)

    async def _once(self, endpoint: str, request: HttpRequest) -> ApiAnswer:
        answer = await self._exchange(
            self._session,
            endpoint,
            request,
            rate_from=rate_limit_from,
            refused=RefusedInstance,
        )
        if answer.status >= 500:
            raise TransientApiError(f"{endpoint}: HTTP {answer.status}")
        if answer.status >= 300:
            raise PermanentApiError(endpoint, answer.status, _detail(answer.raw))
        return LinkedAnswer(decoded(answer.raw), answer.raw, answer.rate, _links(answer.response))
