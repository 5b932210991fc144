"""A customer's rights, served to admins: access (a zip file with everything held about the
person, as a JSON document and a readable page) and erasure (their texts, payloads, names and
notes gone from every table; their threads, clocks and counts kept under a pseudonym so the
reports do not change).

Only admins ask, for their own workspace (or whoever runs the command line on the instance).
Both are recorded in the audit trail with ids and counts, never a name or a text."""

from __future__ import annotations

import json
import logging
import zipfile
from dataclasses import dataclass
from typing import IO

from inbox.domain.audit import COMMAND_LINE, Actor, AuditEntry, summary_of
from inbox.domain.clock import Clock
from inbox.domain.customer_record import checked_reason
from inbox.domain.customer_rights import (
    HTML_END,
    Erasure,
    Section,
    export_file_names,
    html_row,
    html_section_end,
    html_section_start,
    html_start,
    identity_key_hash,
    new_pseudonym,
)
from inbox.domain.errors import ConfigurationError, PermissionDeniedError
from inbox.domain.people import Role
from inbox.domain.web import WebSession
from inbox.ports.audit import AuditTrail
from inbox.ports.customer_rights import CustomerRightsStore, CustomerSnapshot
from inbox.usecases.audit import actor_of, history_name, token_actor
from inbox.usecases.tokens import Caller

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RightsRequest:
    """Who asks, for which workspace: `by` as the erasure record names them."""

    workspace_id: int
    actor: Actor
    by: str


def requested_in_session(session: WebSession) -> RightsRequest:
    if Role.ADMIN not in session.roles:
        raise PermissionDeniedError("a customer's access and erasure requests are for admins")
    return RightsRequest(session.workspace_id, actor_of(session), f"agent:{session.agent_id}")


def requested_by_token(caller: Caller, address: str | None) -> RightsRequest:
    if caller.role is not Role.ADMIN:
        raise PermissionDeniedError("a customer's access and erasure requests are for admins")
    actor = token_actor(caller, address)
    return RightsRequest(caller.workspace_id, actor, history_name(actor))


def requested_on_command_line(workspace_id: int) -> RightsRequest:
    return RightsRequest(workspace_id, COMMAND_LINE, "cli")


@dataclass(frozen=True, slots=True)
class ExportSummary:
    customer_id: int
    counts: dict[str, int]  # rows per section


class CustomerRights:
    def __init__(self, store: CustomerRightsStore, trail: AuditTrail, *, clock: Clock) -> None:
        self._store = store
        self._trail = trail
        self._clock = clock

    async def export(
        self, request: RightsRequest, customer_id: int, out: IO[bytes]
    ) -> ExportSummary:
        """Write the zip file of everything held about the customer to `out`, row by row
        (memory stays bounded), from one snapshot; record the export."""
        json_name, html_name = export_file_names(customer_id)
        generated_at = self._clock()
        async with self._store.snapshot(request.workspace_id, customer_id) as snapshot:
            with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                with archive.open(json_name, "w") as document:
                    counts = await _write_json(
                        snapshot, customer_id, generated_at.isoformat(), document
                    )
                with archive.open(html_name, "w") as page:
                    page.write(html_start(customer_id, generated_at).encode())
                    for section in Section:
                        page.write(html_section_start(section).encode())
                        async for row in snapshot.rows(section):
                            page.write(html_row(json.loads(row)).encode())
                        page.write(html_section_end(counts[section.value]).encode())
                    page.write(HTML_END.encode())
        await self._record(request, "customer.exported", customer_id, rows=counts)
        log.info(
            "customer data exported",
            extra={
                "action": "customer.exported",
                "workspace_id": request.workspace_id,
                "customer_id": customer_id,
            },
        )
        return ExportSummary(customer_id, counts)

    async def erase(self, request: RightsRequest, customer_id: int, *, reason: str) -> Erasure:
        """Erase the customer (and those merged into them) in one transaction: see
        inbox.store.customer_rights for what each table keeps."""
        reason = checked_reason(reason)
        entry = AuditEntry(
            request.workspace_id,
            request.actor,
            "customer.erased",
            "customer",
            str(customer_id),
            summary_of(reason=reason),
        )
        erasure = await self._store.erase(
            request.workspace_id,
            customer_id,
            pseudonym=new_pseudonym(),
            erased_by=request.by,
            now=self._clock(),
            audit=entry,
        )
        log.info(
            "customer erased",
            extra={
                "action": "customer.erased",
                "workspace_id": request.workspace_id,
                "customer_id": customer_id,
                "erasure_id": erasure.erasure_id,
            },
        )
        return erasure

    async def erasure_of(self, request: RightsRequest, customer_id: int) -> Erasure | None:
        return await self._store.erasure_of(request.workspace_id, customer_id)

    async def erased_before(
        self, request: RightsRequest, network: str, external_user_id: str
    ) -> Erasure | None:
        """Whether the network account was erased here (a repeated request): answered from
        the tombstone, which is all that is left of it."""
        if not external_user_id.strip():
            raise ConfigurationError("external_user_id", "the account's id on the network")
        key = identity_key_hash(request.workspace_id, network, external_user_id.strip())
        return await self._store.erasure_by_key(request.workspace_id, network, key)

    async def _record(
        self, request: RightsRequest, action: str, customer_id: int, **summary: object
    ) -> None:
        entry = AuditEntry(
            request.workspace_id,
            request.actor,
            action,
            "customer",
            str(customer_id),
            summary_of(**summary),
        )
        await self._trail.record(entry)


async def _write_json(
    snapshot: CustomerSnapshot, customer_id: int, generated_at: str, out: IO[bytes]
) -> dict[str, int]:
    """{"customer_id", "generated_at", "sections": {section: [row, ...]}}, written as the rows
    come: each row is already a JSON object."""
    counts: dict[str, int] = {}
    out.write(
        f'{{"customer_id": {customer_id}, "generated_at": {json.dumps(generated_at)}, '
        '"sections": {'.encode()
    )
    for index, section in enumerate(Section):
        out.write(f'{", " if index else ""}"{section.value}": ['.encode())
        count = 0
        async for row in snapshot.rows(section):
            out.write(((",\n" if count else "\n") + row).encode())
            count += 1
        out.write(b"]")
        counts[section.value] = count
    out.write(b"}}\n")
    return counts
