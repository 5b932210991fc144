"""SLA policies as leads edit them: the policy book as one JSON document (policies, the rules
that pick one, the default), checked field by field, then saved through SaveSlaSettings so
running clocks are re-planned. A table of each policy's targets per priority sits beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import ValidationError

from inbox.domain.documents import read_json
from inbox.domain.errors import ConfigurationError
from inbox.domain.thread import Priority
from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section, require_section
from inbox.usecases.admin_documents import check_length, check_storable
from inbox.usecases.sla import SaveSlaSettings
from sla.policy import PolicyBook


@dataclass(frozen=True, slots=True)
class PolicyRow:
    """One policy at one priority: budgets in business minutes (None: no target)."""

    policy: str
    calendar: str
    priority: str
    first_response: int
    next_response: int
    resolution: int | None
    warn_at_percent: int


@dataclass(frozen=True, slots=True)
class PolicyPage:
    document: str
    rows: tuple[PolicyRow, ...]
    calendars: tuple[str, ...]
    version: int


class ManageSlaPolicies:
    def __init__(self, sla: SaveSlaSettings) -> None:
        self._sla = sla

    async def page(self, session: WebSession) -> PolicyPage:
        require_section(session, Section.SLA)
        current = await self._sla.current(session.workspace_id)
        document = json.dumps(current.policies, indent=2, ensure_ascii=False)
        try:
            rows = _rows(PolicyBook.model_validate(current.policies))
        except ValidationError:
            rows = ()
        return PolicyPage(document, rows, tuple(sorted(current.calendars)), current.version)

    async def save(self, session: WebSession, text: str) -> tuple[int, int]:
        """(settings version, running clocks re-planned)."""
        require_section(session, Section.SLA)
        policies = checked_policies(text)
        current = await self._sla.current(session.workspace_id)
        book = PolicyBook.model_validate(policies)
        for name, policy in book.policies.items():
            if policy.calendar not in current.calendars:
                known = ", ".join(sorted(current.calendars))
                raise ConfigurationError(
                    f"policies.{name}.calendar",
                    f"no calendar {policy.calendar!r}; the calendars are {known}",
                )
        return await self._sla(session.workspace_id, dict(current.calendars), policies)


def checked_policies(text: str) -> dict[str, object]:
    """The document parsed and validated; errors name the line or the field."""
    check_length(text, "policies")
    document = read_json(text, "policies")
    if not isinstance(document, dict):
        raise ConfigurationError("policies", 'an object {"policies", "rules", "default"}')
    check_storable(document, "policies")
    try:
        PolicyBook.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "policies"
        raise ConfigurationError(where, first["msg"]) from exc
    return document


def _rows(book: PolicyBook) -> tuple[PolicyRow, ...]:
    rows = []
    for name, policy in sorted(book.policies.items()):
        for priority in Priority:
            targets = policy.targets_for(priority)
            rows.append(
                PolicyRow(
                    policy=name,
                    calendar=policy.calendar,
                    priority=priority.value,
                    first_response=targets.first_response,
                    next_response=targets.next_response,
                    resolution=targets.resolution,
                    warn_at_percent=round(policy.warn_at * 100),
                )
            )
    return tuple(rows)
