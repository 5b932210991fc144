"""What `inbox connect` checks before anything is sent to a network: X credentials from the
environment, a Bluesky handle and what an app password looks like."""

from __future__ import annotations

import pytest

from connectors.bluesky.connect import checked_handle, looks_like_app_password
from connectors.x.connect import credentials_from_environment
from inbox.domain.errors import ConfigurationError


def test_x_credentials_without_a_bearer_token_are_refused_naming_the_variables() -> None:
    with pytest.raises(ConfigurationError, match="X_BEARER_TOKEN"):
        credentials_from_environment({"X_CONSUMER_KEY": "key"})


def test_x_credentials_with_a_bearer_token_alone_read_but_do_not_post() -> None:
    credentials = credentials_from_environment({"X_BEARER_TOKEN": "bearer", "X_ACCESS_TOKEN": ""})
    assert credentials.can_read
    assert not credentials.can_post


def test_x_credentials_with_the_four_user_keys_post() -> None:
    environ = {
        "X_BEARER_TOKEN": "bearer", "X_CONSUMER_KEY": "ck", "X_CONSUMER_SECRET": "cs",
        "X_ACCESS_TOKEN": "at", "X_ACCESS_TOKEN_SECRET": "ats",
    }  # fmt: skip
    assert credentials_from_environment(environ).can_post


def test_a_bluesky_handle_loses_its_at_sign_and_capitals() -> None:
    assert checked_handle(" @Acme.BSKY.social ") == "acme.bsky.social"


@pytest.mark.parametrize("handle", ["", "@", "acme", "acme corp.bsky.social"])
def test_a_bluesky_handle_that_cannot_be_one_is_refused_naming_the_option(handle: str) -> None:
    with pytest.raises(ConfigurationError, match="--handle"):
        checked_handle(handle)


def test_an_app_password_is_four_groups_of_four() -> None:
    assert looks_like_app_password("abcd-1234-efgh-5678")
    assert not looks_like_app_password("my main password")
