"""Retention settings: checked with a message naming the field; cutoffs from the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox.domain.errors import ConfigurationError
from inbox.domain.retention import RetentionSettings

NOW = datetime(2026, 3, 31, 8, 0, tzinfo=UTC)


def test_settings_not_given_keep_the_defaults_and_keep_means_for_ever() -> None:
    settings = RetentionSettings.checked({"quarantine_days": "keep", "raw_payload_days": "7"})
    assert settings.as_dict() == {
        "raw_payload_days": 7,
        "closed_thread_text_months": 24,
        "quarantine_days": None,
    }


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"raw_payload_days": 0}, "raw_payload_days: must be between 1 and 36500, got 0"),
        ({"raw_payload_days": -3}, "raw_payload_days: must be between 1 and 36500, got -3"),
        ({"closed_thread_text_months": 1201}, "closed_thread_text_months: must be between 1"),
        ({"quarantine_days": "a week"}, "quarantine_days: expected a whole number or 'keep'"),
        ({"quarantine_days": 1.5}, "quarantine_days: expected a whole number or null"),
        ({"quarantine_days": True}, "quarantine_days: expected a whole number or null"),
        ({"raw_days": 3}, "raw_days: not a retention setting"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        RetentionSettings.checked(values)


def test_cutoffs_count_days_and_calendar_months_and_none_for_kept() -> None:
    cutoffs = RetentionSettings(30, 1, None).cutoffs(NOW)
    assert cutoffs.raw_payloads == NOW - timedelta(days=30)
    # One month before 31 March is the last day of February.
    assert cutoffs.closed_threads == datetime(2026, 2, 28, 8, 0, tzinfo=UTC)
    assert cutoffs.quarantined is None
