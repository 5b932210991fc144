"""Where the recorded real-world data lives, and a skip when it is not there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path | None:
    configured = os.environ.get("INBOX_SHARED_DATA")
    candidate = Path(configured) if configured else PROJECT_ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


def require_shared_data(*parts: str) -> Path:
    """The path below the shared data folder, or skip the test saying why."""
    base = shared_data_dir()
    if base is None:
        pytest.skip("recorded data not found: set INBOX_SHARED_DATA or place it at ../shared/data")
    path = base.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"recorded data file missing: {'/'.join(parts)}")
    return path
