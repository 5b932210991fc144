"""Out-of-hours acknowledgements say when the team is back, in French or English."""

from __future__ import annotations

from datetime import date, datetime

from sla.acknowledge import acknowledgement, language_of


def test_friday_night_in_french_and_english() -> None:
    friday = date(2026, 3, 6)
    monday_nine = datetime(2026, 3, 9, 9, 0)
    assert acknowledgement("fr", friday, monday_nine).endswith("vous répondra lundi à 09:00.")
    assert acknowledgement("en", friday, monday_nine).endswith("will answer Monday at 09:00.")


def test_tonight_and_early_morning() -> None:
    assert "tomorrow at 09:00" in acknowledgement(None, date(2026, 3, 3), datetime(2026, 3, 4, 9))
    assert "aujourd'hui à 09:00" in acknowledgement(
        "fr-CA", date(2026, 3, 4), datetime(2026, 3, 4, 9)
    )


def test_unknown_languages_get_english() -> None:
    assert language_of("de") == "en"
    assert language_of(None) == "en"
