"""Pushes notifications as Meta does: a JSON body signed with the app secret.

`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed by the app secret>`; and
the subscription handshake, a GET with hub.mode, hub.verify_token and hub.challenge.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from pydantic import SecretStr

from inbox.domain.inbound_webhooks import META_SIGNATURE_HEADER, meta_signature


def encoded(notification: dict[str, Any]) -> bytes:
    """Meta's bodies are compact JSON with non-ASCII escaped."""
    return json.dumps(notification, separators=(",", ":")).encode()


class MetaSender:
    def __init__(self, session: aiohttp.ClientSession, url: str, app_secret: str) -> None:
        self._session = session
        self.url = url
        self._secret = SecretStr(app_secret)

    def headers(self, body: bytes) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "User-Agent": "facebookexternalua",
            META_SIGNATURE_HEADER: meta_signature(self._secret, body),
        }

    async def deliver(
        self, notification: dict[str, Any] | bytes, *, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """The status and the answer; `headers` replaces the signed ones (to send bad ones)."""
        body = notification if isinstance(notification, bytes) else encoded(notification)
        async with self._session.post(
            self.url, data=body, headers=self.headers(body) if headers is None else headers
        ) as answer:
            text = await answer.text()
            try:
                return answer.status, json.loads(text)
            except ValueError:
                return answer.status, text

    async def subscribe(self, verify_token: str, challenge: str) -> tuple[int, str]:
        params = {
            "hub.mode": "subscribe",
            "hub.verify_token": verify_token,
            "hub.challenge": challenge,
        }
        async with self._session.get(self.url, params=params) as answer:
            return answer.status, await answer.text()
