"""The people who work the inbox: agents with roles, and the teams they belong to."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Role(StrEnum):
    AGENT = "agent"
    COMMUNITY = "community"  # a trusted customer who may answer low-risk public questions
    LEAD = "lead"
    OPS = "ops"
    ADMIN = "admin"


class Agent(BaseModel):
    model_config = ConfigDict(frozen=True)

    workspace_id: int
    id: int
    email: str
    display_name: str
    roles: frozenset[Role]
    team_ids: frozenset[int] = frozenset()
    active: bool = True
    created_at: datetime


class Team(BaseModel):
    model_config = ConfigDict(frozen=True)

    workspace_id: int
    id: int
    name: str
    skills: frozenset[str] = frozenset()
