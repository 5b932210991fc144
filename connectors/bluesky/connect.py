"""Checking a Bluesky account before it is connected: a handle that can be one, and an app
password that signs in to the service."""

from __future__ import annotations

import re

from pydantic import SecretStr

from connectors.bluesky.xrpc import BlueskyApiError, BlueskyCredentials, SignedIn, sign_in_once
from inbox.domain.clock import utc_now
from inbox.domain.egress import EgressPolicy
from inbox.domain.errors import ConfigurationError

# What Bluesky's settings give as an app password; anything else may be the main password.
APP_PASSWORD = re.compile(r"^[a-z0-9]{4}(-[a-z0-9]{4}){3}$")


def checked_handle(handle: str) -> str:
    """The handle as the network writes it: no @, lower case."""
    handle = handle.strip().removeprefix("@").lower()
    if not handle or "." not in handle or any(c.isspace() for c in handle):
        raise ConfigurationError("--handle", "a Bluesky handle looks like name.bsky.social")
    return handle


def looks_like_app_password(password: str) -> bool:
    return APP_PASSWORD.match(password) is not None


async def verify_account(
    service: str, handle: str, password: SecretStr, *, policy: EgressPolicy
) -> tuple[SignedIn, BlueskyCredentials]:
    """Who the password signs in as, and the credentials to store; a refusal is named."""
    credentials = BlueskyCredentials(password)
    try:
        signed_in = await sign_in_once(service, handle, credentials, clock=utc_now, policy=policy)
    except BlueskyApiError as error:
        raise ConfigurationError("Bluesky sign-in", str(error)) from None
    return signed_in, credentials
