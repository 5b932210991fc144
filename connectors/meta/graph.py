"""The few Graph API calls the inbox makes: reply to a comment, list a comment's replies, and
look up the comment or caption in which an Instagram account was @mentioned.

The Page access token travels in the Authorization header, never in a URL (URLs end up in
proxies' logs), and only over https to an address the egress policy allows (the session is
guarded; a refused address is a permanent failure). Graph errors come back as
`{"error": {"message", "type", "code", ...}}`, usually with status 400; they are sorted into
transient (throttling, Meta's own failures, timeouts: retrying may succeed) and permanent (a
deleted comment, a bad token).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import aiohttp
from pydantic import SecretStr

from connectors.common.egress import RefusedDestination, guarded_session
from inbox.domain.egress import EgressPolicy
from inbox.domain.errors import InboxError
from inbox.domain.network import Network

GRAPH_URL = "https://graph.facebook.com/v21.0"
CALL_TIMEOUT = aiohttp.ClientTimeout(total=15, connect=5)
# Graph error codes that mean "later": unknown/service errors, and the throttles.
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 368, 613, 80001, 80002, 80005})
LONGEST_REASON = 300


class GraphError(InboxError):
    """A call that did not succeed. The message never contains the token."""

    def __init__(self, reason: str, *, transient: bool, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.code = code


def _graph_error(status: int, body: Any) -> GraphError:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return GraphError(f"Graph API answered {status}", transient=status >= 500)
    code = error.get("code") if isinstance(error.get("code"), int) else None
    message = str(error.get("message") or "no message")[:LONGEST_REASON]
    transient = status >= 500 or status == 429 or code in TRANSIENT_CODES
    return GraphError(f"Graph API error {code}: {message}", transient=transient, code=code)


def replies_edge(network: Network) -> str:
    """Facebook comments answer on `/comments`, Instagram comments on `/replies`."""
    return "replies" if network is Network.INSTAGRAM else "comments"


class GraphApi:
    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, access_token: SecretStr
    ) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._token = access_token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token.get_secret_value()}"}

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            async with self._session.request(
                method,
                f"{self._base}/{path}",
                params=params,
                data=form,
                headers=self._headers(),
                timeout=CALL_TIMEOUT,
                allow_redirects=False,
            ) as answer:
                try:
                    body = await answer.json(content_type=None)
                except ValueError:
                    body = None
                if answer.status >= 400:
                    raise _graph_error(answer.status, body)
        except RefusedDestination as refused:
            raise GraphError(str(refused.refusal), transient=False) from None
        except TimeoutError as exc:
            raise GraphError("the Graph API did not answer in time", transient=True) from exc
        except (aiohttp.ClientError, asyncio.IncompleteReadError) as exc:
            raise GraphError(f"the exchange failed: {type(exc).__name__}", transient=True) from exc
        if not isinstance(body, dict):
            raise GraphError("the Graph API answered something else than an object", transient=True)
        return body

    async def reply(self, network: Network, comment_id: str, text: str) -> dict[str, Any]:
        """POST /{comment-id}/comments (Facebook) or /{ig-comment-id}/replies (Instagram)."""
        return await self._call(
            "POST", f"{comment_id}/{replies_edge(network)}", form={"message": text}
        )

    async def replies(self, network: Network, comment_id: str) -> list[dict[str, Any]]:
        """The comment's replies, newest pages first as Graph lists them (one page of 100)."""
        fields = (
            "id,text,username,from,timestamp"
            if network is Network.INSTAGRAM
            else "id,message,from,created_time"
        )
        body = await self._call(
            "GET",
            f"{comment_id}/{replies_edge(network)}",
            params={"fields": fields, "limit": "100", "order": "reverse_chronological"},
        )
        data = body.get("data")
        return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []

    async def mentioned(
        self, instagram_id: str, media_id: str, comment_id: str | None
    ) -> dict[str, Any]:
        """The comment (or, without one, the caption) that @mentions the account."""
        if comment_id is not None:
            # The documented fields only: Graph refuses a request naming any other, and a
            # mentioned comment does not say who wrote it.
            edge = f"mentioned_comment.comment_id({comment_id}){{id,text,timestamp}}"
            key = "mentioned_comment"
        else:
            # media_type and media_url: the picture (or video) the caption goes with.
            fields = "id,caption,timestamp,username,permalink,media_type,media_url"
            edge = f"mentioned_media.media_id({media_id}){{{fields}}}"
            key = "mentioned_media"
        body = await self._call("GET", instagram_id, params={"fields": edge})
        found = body.get(key)
        if not isinstance(found, dict):
            raise GraphError(f"the answer has no '{key}'", transient=False)
        return found


def graph_session(policy: EgressPolicy) -> aiohttp.ClientSession:
    """The session Graph calls share, to the addresses `policy` allows. Create it in a
    coroutine."""
    return guarded_session(
        policy, timeout=CALL_TIMEOUT, headers={"Accept": "application/json"}, limit=16
    )
