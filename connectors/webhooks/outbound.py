"""Posting a signed event to a receiver over HTTP.

Redirects are not followed (a receiver that moved says so with its status, and the signed
body never goes where the admin did not send it). The session is guarded by the egress
policy: a receiver whose address is refused fails for good, with the reason. Error reasons
carry no URL: receivers often keep a secret in the path.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping

import aiohttp

from connectors.common.egress import RefusedDestination, guarded_session
from inbox.domain.egress import EgressPolicy
from inbox.domain.webhooks import WebhookUnreachable

POST_TIMEOUT = aiohttp.ClientTimeout(total=10, connect=5)


class AiohttpWebhookPoster:
    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> int:
        try:
            async with self._session.post(
                url, data=body, headers=dict(headers), allow_redirects=False, timeout=POST_TIMEOUT
            ) as answer:
                # Read a little, so the connection can be reused, and no more.
                await answer.content.read(4096)
                return answer.status
        except RefusedDestination as refused:
            raise refused.refusal from None
        except TimeoutError as exc:
            raise WebhookUnreachable("the receiver did not answer within 10 s") from exc
        except aiohttp.ClientSSLError as exc:
            raise WebhookUnreachable("TLS handshake with the receiver failed") from exc
        except aiohttp.ClientConnectorError as exc:
            # The OS's wording, from the error number only: its message names the address.
            number = exc.os_error.errno
            why = os.strerror(number) if number else "no route"
            raise WebhookUnreachable(f"cannot connect to the receiver ({why})") from exc
        except (aiohttp.ClientError, asyncio.IncompleteReadError) as exc:
            raise WebhookUnreachable(f"the exchange failed: {type(exc).__name__}") from exc


def webhook_session(policy: EgressPolicy) -> aiohttp.ClientSession:
    """The session every webhook delivery of a process shares. Create it in a coroutine."""
    return guarded_session(policy, timeout=POST_TIMEOUT, headers={"Accept": "*/*"}, limit=32)
