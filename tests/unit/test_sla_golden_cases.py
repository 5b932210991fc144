"""The 41 golden SLA cases of the recorded data, to the second."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from sla.calendar import business_time, deadline
from sla.calendar_config import calendar_from_config
from tests.shared_data import require_shared_data


def golden_cases() -> list[dict[str, Any]]:
    path = require_shared_data("sla", "cases.json")
    return list(json.loads(path.read_text(encoding="utf-8"))["cases"])


def instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_golden_cases_are_all_there() -> None:
    assert len(golden_cases()) == 41


@pytest.mark.parametrize("index", range(41))
def test_golden_case(index: int) -> None:
    cases = golden_cases()
    case = cases[index]
    calendar = calendar_from_config(case["calendar"])
    arrived = instant(case["arrived_at"])
    assert arrived is not None
    events = case.get("events") or {}
    pauses = [(instant(start), instant(end)) for start, end in events.get("pauses", [])]
    pauses_ok = [(s, e) for s, e in pauses if s is not None]
    budget = timedelta(minutes=case["target_minutes"])

    computed = deadline(calendar, arrived, budget, pauses_ok)
    assert computed == instant(case["expected_deadline"]), case["id"]

    now = instant(case.get("now"))
    if now is None:
        return
    if "expected_business_minutes_elapsed" in case:
        elapsed = business_time(calendar, arrived, now, pauses_ok)
        assert elapsed == timedelta(minutes=case["expected_business_minutes_elapsed"]), case["id"]
    if "expected_wall_clock_minutes_elapsed" in case:
        wall = now - arrived
        assert wall == timedelta(minutes=case["expected_wall_clock_minutes_elapsed"]), case["id"]
    if "expected_breached" in case:
        responded = instant(events.get("first_response_at"))
        if computed is None:
            breached = False
        elif responded is not None:
            breached = responded > computed
        else:
            breached = now > computed
        assert breached is case["expected_breached"], case["id"]
