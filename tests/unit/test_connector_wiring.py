"""Each network's wiring through the one shared walk: an account with usable secrets becomes
a runner (and a stream, and a channel); one without secrets, or with an address its client
refuses, is logged and left out while the others start."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from connectors.bluesky.wiring import BlueskyWiring
from connectors.common.wiring import (
    AccountParts,
    ConnectorPorts,
    EnabledAccount,
    NetworkWiring,
    wire_account,
)
from connectors.mastodon.wiring import MastodonWiring
from connectors.x.wiring import XWiring, polling_plan


def now() -> datetime:
    return datetime.now(UTC)


class Unused:
    """Ports the wiring hands on to pollers and runners, never calls while it wires."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"wiring called {name}")


async def _unused_ingest(workspace_id: int, batch: object) -> Any:
    raise AssertionError("wiring ingested")


TOKEN = "token-never-logged"
PORTS = ConnectorPorts(_unused_ingest, Unused(), Unused(), Unused())


def account(
    account_id: int, settings: Mapping[str, Any], secrets: Mapping[str, str]
) -> EnabledAccount:
    return EnabledAccount(
        7,
        account_id,
        f"ext-{account_id}",
        f"brand{account_id}",
        settings,
        {name: SecretStr(value) for name, value in secrets.items()},
    )


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


def wired_parts(
    wiring: NetworkWiring[Any, Any], accounts: list[EnabledAccount]
) -> dict[int, AccountParts]:
    """Each account that could start, by its id, with its parts."""
    wired = {enabled.account_id: wire_account(wiring, enabled, PORTS) for enabled in accounts}
    return {account_id: parts for account_id, parts in wired.items() if parts is not None}


async def test_a_mastodon_account_without_a_token_or_with_a_refused_instance_is_left_out(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    instance = "https://mastodon.example"
    accounts = [
        account(1, {"instance": instance, "stream": True}, {"access_token": TOKEN}),
        account(2, {"instance": instance}, {}),
        account(3, {"instance": "http://mastodon.example"}, {"access_token": TOKEN}),
    ]
    with caplog.at_level(logging.INFO):
        wired = wired_parts(MastodonWiring(session, now), accounts)
    assert list(wired) == [1]
    assert wired[1].stream is not None
    assert wired[1].stream.part == "mastodon:1:stream"
    assert wired[1].channel is not None
    actions = {getattr(record, "action", None): record for record in caplog.records}
    assert actions["mastodon_no_credentials"].__dict__["account"] == "brand2"
    assert actions["mastodon_bad_instance"].__dict__["account"] == "brand3"
    assert TOKEN not in caplog.text


async def test_an_x_account_that_can_read_but_not_post_runs_without_a_channel(
    session: aiohttp.ClientSession,
) -> None:
    accounts = [
        account(1, {"stream": True}, {"bearer_token": "b"}),
        account(2, {}, {}),
    ]
    wired = wired_parts(XWiring(session, now), accounts)
    assert list(wired) == [1]
    assert wired[1].stream is not None
    assert wired[1].stream.part == "x:1:stream"
    assert wired[1].channel is None


def test_a_streamed_x_account_polls_rarely_and_a_polled_one_every_minute() -> None:
    assert polling_plan({"stream": True}).mentions_base_seconds == 900.0
    assert polling_plan({}).mentions_base_seconds == 60.0
    assert polling_plan({"poll_mentions_seconds": 30}).mentions_base_seconds == 30.0


async def test_a_bluesky_account_signs_in_at_its_own_service_or_the_default(
    session: aiohttp.ClientSession,
) -> None:
    accounts = [
        account(1, {}, {"app_password": "p"}),
        account(2, {"service": "https://pds.example"}, {"app_password": "p"}),
    ]
    wiring = BlueskyWiring(session, now, "https://bsky.social")
    services = []
    for enabled in accounts:
        credentials = wiring.credentials(enabled)
        assert credentials is not None
        services.append(wiring.client(enabled, credentials).service)
    assert services == ["https://bsky.social", "https://pds.example"]
    wired = wired_parts(wiring, accounts)
    assert [(n, parts.channel is not None) for n, parts in wired.items()] == [(1, True), (2, True)]
