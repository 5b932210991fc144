"""Checking an account before it is connected: the token works and is the named account's."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from connectors.common.egress import CheckedDestinations
from connectors.mastodon.api import (
    MastodonApi,
    MastodonApiError,
    RefusedInstance,
    instance_url,
    mastodon_session,
)
from inbox.domain.clock import utc_now
from inbox.domain.egress import EgressPolicy
from inbox.domain.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class MastodonIdentity:
    instance: str
    user_id: str
    username: str


async def verify_account(
    instance: str, handle: str, token: SecretStr, *, policy: EgressPolicy
) -> MastodonIdentity:
    """Who the token speaks for on `instance`; refuses a token of another account, and an
    instance whose address `policy` refuses (before the token is sent anywhere)."""
    base = instance_url(instance)
    await CheckedDestinations(policy).check(base, "--instance")
    wanted = handle.strip().removeprefix("@").split("@")[0]
    async with mastodon_session(policy) as session:
        api = MastodonApi(base, token, session, clock=utc_now, max_attempts=2)
        try:
            answer = await api.verify_credentials()
        except RefusedInstance as refused:
            raise ConfigurationError("--instance", refused.detail) from None
        except MastodonApiError as error:
            raise ConfigurationError("--instance", f"the instance refused: {error}") from None
    me = answer.body if isinstance(answer.body, dict) else {}
    user_id, username = me.get("id"), me.get("username")
    if not isinstance(user_id, str) or not isinstance(username, str):
        raise ConfigurationError("--instance", "the instance did not say whose token this is")
    if username.casefold() != wanted.casefold():
        raise ConfigurationError("--handle", f"the token is @{username}'s, not @{wanted}'s")
    return MastodonIdentity(base, user_id, username)
