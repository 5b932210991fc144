"""A customer's access and erasure requests as the use case serves them, over an in-memory
store: the zip's JSON document holds every section and its page escapes every text; only
admins ask; each request is recorded without the person's data."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

import pytest

from inbox.domain.customer_rights import (
    AlreadyErasedError,
    Section,
    html_row,
    identity_key_hash,
    new_pseudonym,
)
from inbox.domain.errors import ConfigurationError, NotFoundError, PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.store.customer_rights import positional
from inbox.usecases.customer_rights import (
    CustomerRights,
    requested_in_session,
    requested_on_command_line,
)
from tests.fakes.audit import FakeAuditTrail
from tests.fakes.customer_rights import FakeCustomerRights

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOSTILE = "</pre><script>alert('x')</script>"


def _rights() -> tuple[CustomerRights, FakeCustomerRights, FakeAuditTrail]:
    store, trail = FakeCustomerRights(), FakeAuditTrail()
    store.held[1, 7] = {
        Section.CUSTOMER: [{"id": 7, "display_name": "Jane Doe"}],
        Section.MESSAGES: [{"body": HOSTILE, "raw": {"text": HOSTILE}}, {"body": "second"}],
    }
    return CustomerRights(store, trail, clock=lambda: NOW), store, trail


def _session(role: Role, workspace_id: int = 1) -> WebSession:
    return WebSession(workspace_id, 3, "Ada", frozenset({role}), "csrf")


async def test_the_zip_holds_a_json_document_of_every_section_and_an_escaped_page() -> None:
    rights, _, _ = _rights()
    out = io.BytesIO()

    summary = await rights.export(requested_on_command_line(1), 7, out)

    with zipfile.ZipFile(out) as archive:
        document = json.loads(archive.read("customer-7.json"))
        page = archive.read("customer-7.html").decode()
    assert list(document["sections"]) == [section.value for section in Section]
    assert [m["body"] for m in document["sections"]["messages"]] == [HOSTILE, "second"]
    assert document["generated_at"] == NOW.isoformat()
    assert summary.counts["messages"] == 2
    assert summary.counts["outbox"] == 0
    assert "<script>" not in page
    assert "&lt;/pre&gt;&lt;script&gt;" in page
    assert page.count("<p>Nothing.</p>") == len(Section) - 2


async def test_an_export_is_recorded_with_counts_and_no_personal_data() -> None:
    rights, _, trail = _rights()

    await rights.export(requested_on_command_line(1), 7, io.BytesIO())

    (entry,) = trail.entries
    assert (entry.action, entry.object_id) == ("customer.exported", "7")
    assert "Jane" not in json.dumps(entry.summary)
    rows = entry.summary["rows"]
    assert isinstance(rows, dict)
    assert (rows["customer"], rows["messages"], rows["outbox"]) == (1, 2, 0)


def test_only_admins_make_requests_in_a_session() -> None:
    for role in (Role.AGENT, Role.LEAD, Role.OPS, Role.COMMUNITY):
        with pytest.raises(PermissionDeniedError):
            requested_in_session(_session(role))
    assert requested_in_session(_session(Role.ADMIN)).by == "agent:3"


async def test_an_admin_of_another_workspace_finds_no_customer() -> None:
    rights, store, _ = _rights()
    stranger = requested_in_session(_session(Role.ADMIN, workspace_id=2))
    with pytest.raises(NotFoundError):
        await rights.export(stranger, 7, io.BytesIO())
    with pytest.raises(NotFoundError):
        await rights.erase(stranger, 7, reason="request R-1")
    assert store.erasures == {}


async def test_an_erasure_needs_a_reason_and_happens_once() -> None:
    rights, store, _ = _rights()
    request = requested_in_session(_session(Role.ADMIN))
    with pytest.raises(ConfigurationError, match="reason"):
        await rights.erase(request, 7, reason="  ")

    erasure = await rights.erase(request, 7, reason="request R-1")

    assert erasure.pseudonym.startswith("erased-")
    assert erasure.erased_by == "agent:3"
    assert store.appended[0].summary == {"reason": "request R-1"}
    with pytest.raises(AlreadyErasedError):
        await rights.erase(request, 7, reason="request R-1")


def test_pseudonyms_are_random_and_tombstones_are_stable() -> None:
    assert new_pseudonym() != new_pseudonym()
    assert identity_key_hash(1, "x", "42") == identity_key_hash(1, "x", "42")
    assert identity_key_hash(1, "x", "42") != identity_key_hash(2, "x", "42")


def test_a_row_on_the_page_escapes_names_and_values() -> None:
    row = html_row({"<b>": "<i>", "n": 3, "raw": {"k": "<x>"}, "none": None})
    assert "<b>" not in row
    assert "<i>" not in row
    assert "&lt;x&gt;" in row


def test_named_parameters_are_numbered_in_order_of_first_use() -> None:
    sql, values = positional("SELECT :b::int, :a, x::text, :b", {"a": 1, "b": 2, "unused": 3})
    assert sql == "SELECT $1::int, $2, x::text, $1"
    assert values == [2, 1]
