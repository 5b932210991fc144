"""Sessions of the fake Bluesky: JWT-shaped tokens that expire, refresh tokens that rotate."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from connectors.bluesky.fake.errors import XrpcError
from inbox.domain.clock import Clock

TokenKind = Literal["access", "refresh"]
SCOPES: dict[TokenKind, str] = {"access": "com.atproto.access", "refresh": "com.atproto.refresh"}


@dataclass(slots=True)
class _Token:
    did: str
    kind: TokenKind
    expires_at: datetime
    revoked: bool = False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class FakeSessions:
    """Issues and checks tokens as a PDS does: access tokens for calls, refresh tokens that
    can be used once (each refresh rotates both)."""

    def __init__(
        self,
        clock: Clock,
        *,
        access_ttl: timedelta,
        refresh_ttl: timedelta,
    ) -> None:
        self._clock = clock
        self._access_ttl = access_ttl
        self._refresh_ttl = refresh_ttl
        self._key = secrets.token_bytes(32)
        self._tokens: dict[str, _Token] = {}
        self.created = 0
        self.refreshed = 0

    def _issue(self, did: str, kind: TokenKind) -> str:
        now = self._clock()
        expires_at = now + (self._access_ttl if kind == "access" else self._refresh_ttl)
        header = _b64(json.dumps({"typ": "at+jwt", "alg": "HS256"}).encode())
        claims = {
            "scope": SCOPES[kind],
            "sub": did,
            "aud": "did:web:fake.bsky.test",
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
            "jti": secrets.token_urlsafe(12),
        }
        payload = _b64(json.dumps(claims).encode())
        signature = _b64(
            hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        )
        token = f"{header}.{payload}.{signature}"
        self._tokens[token] = _Token(did, kind, expires_at)
        return token

    def open(self, did: str) -> tuple[str, str]:
        """(access, refresh) for a new session."""
        self.created += 1
        return self._issue(did, "access"), self._issue(did, "refresh")

    def refresh(self, refresh_token: str | None) -> tuple[str, str, str]:
        """(did, access, refresh); the refresh token used is spent."""
        token = self._check(refresh_token, "refresh")
        token.revoked = True
        self.refreshed += 1
        return token.did, self._issue(token.did, "access"), self._issue(token.did, "refresh")

    def caller(self, access_token: str | None) -> str:
        """The DID an access token speaks for; XrpcError when it does not."""
        return self._check(access_token, "access").did

    def _check(self, presented: str | None, kind: TokenKind) -> _Token:
        if presented is None:
            raise XrpcError(401, "AuthenticationRequired", "Authentication Required")
        token = self._tokens.get(presented)
        if token is None or token.kind != kind or token.revoked:
            raise XrpcError(400, "InvalidToken", "Token could not be verified")
        if self._clock() >= token.expires_at:
            raise XrpcError(400, "ExpiredToken", "Token has expired")
        return token

    def expire_access_tokens(self) -> int:
        """Every access token issued so far expires now (their `exp` claims say later): the
        server's word wins, as when a PDS revokes sessions early."""
        now = self._clock()
        expired = 0
        for token in self._tokens.values():
            if token.kind == "access" and token.expires_at > now:
                token.expires_at = now
                expired += 1
        return expired

    def expire_refresh_tokens(self) -> None:
        now = self._clock()
        for token in self._tokens.values():
            if token.kind == "refresh":
                token.expires_at = min(token.expires_at, now)
