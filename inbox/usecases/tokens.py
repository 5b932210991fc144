"""API tokens for integrations: issued once, stored as a hash, checked on every request.

A token reads `inb_<workspace id>_<secret>`: the workspace part routes the lookup, the secret
(256 random bits) is what proves it. Only sha256(token) is stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from inbox.domain.errors import AuthenticationError, PermissionDeniedError
from inbox.domain.people import Role
from inbox.ports.people import TokenStore

_TOKEN = re.compile(r"^inb_(\d{1,18})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, slots=True)
class Caller:
    workspace_id: int
    token_id: int
    role: Role
    agent_id: int | None = None  # the agent the token acts for, when it is someone's

    def require_agent(self) -> int:
        if self.agent_id is None:
            raise PermissionDeniedError(
                "this acts as an agent: use a token made with `inbox token create --agent EMAIL`"
            )
        return self.agent_id

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise PermissionDeniedError(f"this needs one of the roles {allowed}")


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class ApiTokens:
    def __init__(self, store: TokenStore) -> None:
        self._store = store

    async def issue(
        self, workspace_id: int, name: str, role: Role, agent_email: str | None = None
    ) -> str:
        token = f"inb_{workspace_id}_{secrets.token_urlsafe(32)}"
        await self._store.create_token(workspace_id, name, role, _digest(token), agent_email)
        return token

    async def authenticate(self, token: str) -> Caller:
        match = _TOKEN.match(token)
        if match is None:
            raise AuthenticationError("malformed API token")
        workspace_id = int(match[1])
        found = await self._store.find_token(workspace_id, _digest(token))
        if found is None:
            raise AuthenticationError("unknown or revoked API token")
        token_id, role, agent_id = found
        return Caller(workspace_id, token_id, role, agent_id)
