"""Where reads that may be a moment behind go: the read replica's last measured lag."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReplicaState:
    """The replica's lag in seconds (None: it could not be reached) and whether reads go to
    it (its lag within the bound) or to the primary."""

    lag_seconds: float | None
    reads_from_replica: bool
