"""A workspace's routing settings as admins write them (JSON), validated.

{"fair_window_max": 5, "fair_window_minutes": 60, "reassign_after_minutes": 30,
 "community": {"enabled": true, "topics": ["app", "delivery"]}, "complaint_threshold": 0.5}
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from routing.snapshot import RoutingSettings

# Upper bounds far beyond any team's use, so that the windows they make stay durations a
# clock can add (a week, thirty days) rather than overflow.
MAX_FAIR_WINDOW_MINUTES = 7 * 24 * 60
MAX_REASSIGN_AFTER_MINUTES = 30 * 24 * 60


class CommunitySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    topics: tuple[str, ...] = Field(default=(), max_length=100)


class WorkspaceRouting(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fair_window_max: int = Field(default=5, ge=1, le=1000)
    fair_window_minutes: int = Field(default=60, ge=1, le=MAX_FAIR_WINDOW_MINUTES)
    # An assigned thread nobody answered within this time goes to someone else (None: never).
    reassign_after_minutes: int | None = Field(default=30, ge=1, le=MAX_REASSIGN_AFTER_MINUTES)
    community: CommunitySettings = CommunitySettings()
    # The complaint probability from which a message is a complaint (None: the model's own,
    # chosen on the development set). Lower finds more complaints and flags more in error.
    complaint_threshold: float | None = Field(default=None, ge=0.05, le=0.95)

    @property
    def fair_window(self) -> timedelta:
        return timedelta(minutes=self.fair_window_minutes)

    @property
    def reassign_after(self) -> timedelta | None:
        minutes = self.reassign_after_minutes
        return None if minutes is None else timedelta(minutes=minutes)

    def decisions(self) -> RoutingSettings:
        return RoutingSettings(
            fair_window_max=self.fair_window_max,
            community_topics=frozenset(self.community.topics),
            community_enabled=self.community.enabled,
        )
