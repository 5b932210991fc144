"""Checking an account before it is connected: the token works and is the named account's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from pydantic import SecretStr

from connectors.mastodon.api import MastodonApi, MastodonApiError, instance_url
from inbox.domain.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class MastodonIdentity:
    instance: str
    user_id: str
    username: str


async def verify_account(instance: str, handle: str, token: SecretStr) -> MastodonIdentity:
    """Who the token speaks for on `instance`; refuses a token of another account."""
    base = instance_url(instance)
    wanted = handle.strip().removeprefix("@").split("@")[0]
    async with aiohttp.ClientSession() as session:
        api = MastodonApi(base, token, session, clock=lambda: datetime.now(UTC), max_attempts=2)
        try:
            answer = await api.verify_credentials()
        except MastodonApiError as error:
            raise ConfigurationError("--instance", f"the instance refused: {error}") from None
    me = answer.body if isinstance(answer.body, dict) else {}
    user_id, username = me.get("id"), me.get("username")
    if not isinstance(user_id, str) or not isinstance(username, str):
        raise ConfigurationError("--instance", "the instance did not say whose token this is")
    if username.casefold() != wanted.casefold():
        raise ConfigurationError("--handle", f"the token is @{username}'s, not @{wanted}'s")
    return MastodonIdentity(base, user_id, username)
