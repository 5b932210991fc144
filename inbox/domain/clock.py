"""The inbox's one notion of "now": decisions are given a clock and never read the time
themselves, so a test can hold it still or move it on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

# Returns an aware instant in UTC; the composition root passes `utc_now`.
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
