"""The auto-merge section of the admin page, and the setting it saves on the fakes."""

from __future__ import annotations

import pytest

from inbox.domain.audit import COMMAND_LINE
from inbox.domain.customer_record import AUTO_MERGEABLE, EvidenceKind
from inbox.domain.errors import ConfigurationError
from inbox.usecases.customers import Customers
from tests.fakes.audit import FakeAuditTrail
from tests.fakes.customers import FakeCustomers
from web.admin.workspaces import AUTO_MERGE_CHOICES


def test_the_page_explains_every_kind_of_evidence_an_admin_may_accept_and_no_other() -> None:
    assert {kind for kind, _, _ in AUTO_MERGE_CHOICES} == AUTO_MERGEABLE


async def test_the_accepted_evidence_is_saved_and_audited_with_the_kinds_only() -> None:
    store, trail = FakeCustomers(), FakeAuditTrail()
    customers = Customers(store, trail)

    await customers.set_auto_merge(1, ["same_phone", "same_crm_id"], COMMAND_LINE)

    assert await customers.auto_merge_kinds(1) == {
        EvidenceKind.SAME_PHONE,
        EvidenceKind.SAME_CRM_ID,
    }
    (entry,) = trail.entries
    assert (entry.action, entry.object_id, entry.actor) == ("auto_merge_changed", "1", COMMAND_LINE)
    assert entry.summary == {"kinds": ["same_crm_id", "same_phone"]}


async def test_a_handle_is_refused_naming_the_setting_and_nothing_is_saved_or_audited() -> None:
    store, trail = FakeCustomers(), FakeAuditTrail()

    with pytest.raises(ConfigurationError, match="auto_merge"):
        await Customers(store, trail).set_auto_merge(1, ["same_handle"], COMMAND_LINE)

    assert store.accepted is None
    assert trail.entries == []
