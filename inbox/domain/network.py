"""Networks the inbox speaks to, and a brand's connected account on one of them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Network(StrEnum):
    X = "x"
    MASTODON = "mastodon"
    BLUESKY = "bluesky"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    WEBHOOK = "webhook"


class Workspace(BaseModel):
    """A brand or client account; every row of the store belongs to exactly one."""

    model_config = ConfigDict(frozen=True)

    id: int
    slug: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    created_at: datetime


class NetworkAccount(BaseModel):
    """A brand's own account on a network (for example @acme_support on X).

    Messages authored by it are outbound; credentials live apart, as write-only secrets.
    """

    model_config = ConfigDict(frozen=True)

    workspace_id: int
    id: int
    network: Network
    external_id: str = Field(min_length=1)
    handle: str
    display_name: str | None = None
    created_at: datetime


class ChannelStatus(BaseModel):
    """A connected account as its connector last reported it: health, lag, read budget."""

    model_config = ConfigDict(frozen=True)

    account_id: int
    network: Network
    handle: str
    enabled: bool
    status: dict[str, Any] | None
    updated_at: datetime | None
    degraded_events: int
