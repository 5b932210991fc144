"""The retention use case on in-memory fakes: what it asks the store to remove, when, and what
it records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox.domain.audit import COMMAND_LINE
from inbox.domain.errors import ConfigurationError
from inbox.domain.retention import RetentionReport
from inbox.usecases.retention import DAILY_JOB, KEEP_DELETIONS, ManageRetention
from tests.fakes.audit import FakeAuditTrail
from tests.fakes.retention import FakeRetentionStore

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
WORKSPACE = 1


def retention(store: FakeRetentionStore, audit: FakeAuditTrail | None = None) -> ManageRetention:
    return ManageRetention(store, audit or FakeAuditTrail(), clock=lambda: NOW)


async def test_a_pass_removes_each_kind_before_its_cutoff_and_records_what_it_removed() -> None:
    store = FakeRetentionStore(raw=5, closed=(2, 9), quarantined=1)
    report = await retention(store).run(WORKSPACE, run_by=DAILY_JOB)
    assert report == RetentionReport(5, 2, 9, 1)
    assert store.asked == [
        ("raw", NOW - timedelta(days=90), False),
        ("closed", datetime(2024, 12, 6, 3, 0, tzinfo=UTC), False),
        ("quarantine", NOW - timedelta(days=30), False),
    ]
    assert store.forgotten_before == [NOW - KEEP_DELETIONS]
    ((_, run),) = store.runs
    assert (run.run_by, run.removed) == (DAILY_JOB, report)


async def test_a_dry_run_counts_and_records_nothing() -> None:
    store = FakeRetentionStore(raw=3)
    report = await retention(store).run(WORKSPACE, dry_run=True)
    assert report.raw_payloads == 3
    assert all(dry for _, _, dry in store.asked)
    assert store.runs == []
    assert store.forgotten_before == []


async def test_kinds_kept_for_ever_are_not_asked_and_settings_are_audited() -> None:
    store, audit = FakeRetentionStore(), FakeAuditTrail()
    manage = retention(store, audit)
    await manage.set(
        WORKSPACE, {"raw_payload_days": "keep", "quarantine_days": None}, by=COMMAND_LINE
    )
    await manage.run(WORKSPACE)
    assert [kind for kind, _, _ in store.asked] == ["closed"]
    (entry,) = audit.entries
    assert (entry.action, entry.summary["raw_payload_days"]) == ("retention_set", None)


async def test_a_bad_value_changes_nothing_and_names_the_field() -> None:
    store, audit = FakeRetentionStore(), FakeAuditTrail()
    manage = retention(store, audit)
    with pytest.raises(ConfigurationError, match="raw_payload_days"):
        await manage.set(
            WORKSPACE, {"quarantine_days": 3, "raw_payload_days": "-1"}, by=COMMAND_LINE
        )
    assert store.saved == {}
    assert audit.entries == []
