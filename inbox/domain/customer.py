"""A person the brand talks to, and their identities on each network."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from inbox.domain.network import Network


class Customer(BaseModel):
    model_config = ConfigDict(frozen=True)

    workspace_id: int
    id: int
    display_name: str | None
    owner_agent_id: int | None  # the agent who follows this customer
    crm_external_id: str | None
    created_at: datetime


class Identity(BaseModel):
    """A user id and handle on one network, linked to exactly one customer."""

    model_config = ConfigDict(frozen=True)

    workspace_id: int
    id: int
    customer_id: int
    network: Network
    external_user_id: str
    handle: str | None
    display_name: str | None
