"""SLA policies as leads edit them: one policy at a time through its fields, the rules that
choose a policy one at a time, or the whole policy book as one JSON document (as the API and
the command line take it). Every change is saved through SaveSlaSettings, so the book passes
the same checks whichever way it was edited, and running clocks are re-planned at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from inbox.domain.documents import read_json
from inbox.domain.errors import ConfigurationError, NotFoundError
from inbox.domain.sla import SlaSettings
from inbox.domain.web import WebSession
from inbox.ports.audit import AuditTrail
from inbox.ports.people import TeamAdminStore
from inbox.usecases.admin_access import Section, require_section
from inbox.usecases.admin_documents import check_length, check_storable
from inbox.usecases.admin_sla_forms import (
    KINDS,
    NETWORKS,
    PRIORITIES,
    PolicyForm,
    PolicyView,
    RuleForm,
    RuleView,
    policy_document,
    policy_views,
    rule_document,
    rule_position,
    rule_views,
)
from inbox.usecases.audit import entry_by
from inbox.usecases.sla_settings import SaveSlaSettings
from sla.policy import PolicyBook


@dataclass(frozen=True, slots=True)
class PolicyPage:
    document: str
    policies: tuple[PolicyView, ...]
    rules: tuple[RuleView, ...]
    default: str
    calendars: tuple[str, ...]
    teams: tuple[tuple[int, str], ...]
    version: int
    kinds: tuple[str, ...] = KINDS
    priorities: tuple[str, ...] = PRIORITIES
    networks: tuple[str, ...] = NETWORKS


class ManageSlaPolicies:
    def __init__(self, sla: SaveSlaSettings, teams: TeamAdminStore, audit: AuditTrail) -> None:
        self._sla = sla
        self._teams = teams
        self._audit = audit

    async def page(self, session: WebSession) -> PolicyPage:
        require_section(session, Section.SLA)
        current = await self._sla.current(session.workspace_id)
        teams = await self._team_names(session)
        document = json.dumps(current.policies, indent=2, ensure_ascii=False)
        try:
            book = PolicyBook.model_validate(current.policies)
        except ValidationError:  # checked when saved: nothing to list should one slip through
            return PolicyPage(document, (), (), "", tuple(sorted(current.calendars)), (), 0)
        return PolicyPage(
            document=document,
            policies=policy_views(book),
            rules=rule_views(book, teams),
            default=book.default,
            calendars=tuple(sorted(current.calendars)),
            teams=tuple(sorted(teams.items(), key=lambda team: team[1].casefold())),
            version=current.version,
        )

    async def save(self, session: WebSession, text: str) -> tuple[int, int]:
        """The whole book as a JSON document: (settings version, running clocks re-planned)."""
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
        return await self._saved(session, current, policies)

    async def save_policy(self, session: WebSession, form: PolicyForm) -> tuple[int, int]:
        """A new policy, or one edited (renamed: the rules and the default follow it)."""
        current, book = await self._editing(session)
        policies: dict[str, Any] = book.setdefault("policies", {})
        policy = policy_document(form)
        if policy["calendar"] not in current.calendars:
            raise ConfigurationError("calendar", f"no calendar {policy['calendar']!r}")
        name = str(policy["name"])
        original = form.original.strip()
        if original and original not in policies:
            raise NotFoundError("policy", original)
        if name != original and name in policies:
            raise ConfigurationError("name", f"a policy is named {name!r} already")
        if original:
            book["policies"] = {
                (name if key == original else key): (policy if key == original else value)
                for key, value in policies.items()
            }
            for rule in _rules(book):
                if rule.get("policy") == original:
                    rule["policy"] = name
            if book.get("default") == original:
                book["default"] = name
        else:
            policies[name] = policy
        if form.default or not book.get("default"):
            book["default"] = name
        return await self._save(session, current, book)

    async def remove_policy(self, session: WebSession, name: str) -> tuple[int, int]:
        current, book = await self._editing(session)
        policies: dict[str, Any] = book.get("policies", {})
        if name not in policies:
            raise NotFoundError("policy", name)
        if book.get("default") == name:
            raise ConfigurationError(
                "policy", f"{name!r} is the default policy: make another the default first"
            )
        choosing = [n for n, rule in enumerate(_rules(book), start=1) if rule.get("policy") == name]
        if choosing:
            rules = f"rule{'s' if len(choosing) > 1 else ''} {', '.join(map(str, choosing))}"
            raise ConfigurationError(
                "policy", f"{name!r} is chosen by {rules}: change or remove them first"
            )
        del policies[name]
        return await self._save(session, current, book)

    async def save_rule(self, session: WebSession, form: RuleForm) -> tuple[int, int]:
        """A new rule, or one edited, at its place in the order (the first match wins)."""
        current, book = await self._editing(session)
        rule = rule_document(form, frozenset(await self._team_names(session)))
        if rule["policy"] not in book.get("policies", {}):
            raise ConfigurationError("policy", f"no policy {rule['policy']!r}")
        rules = _rules(book)
        if form.number:
            if not 1 <= form.number <= len(rules):
                raise NotFoundError("rule", form.number)
            rules.pop(form.number - 1)
        place = rule_position(form.position, len(rules) + 1, form.number or len(rules) + 1)
        rules.insert(place - 1, rule)
        book["rules"] = rules
        return await self._save(session, current, book)

    async def remove_rule(self, session: WebSession, number: int) -> tuple[int, int]:
        current, book = await self._editing(session)
        rules = _rules(book)
        if not 1 <= number <= len(rules):
            raise NotFoundError("rule", number)
        rules.pop(number - 1)
        book["rules"] = rules
        return await self._save(session, current, book)

    async def _team_names(self, session: WebSession) -> dict[int, str]:
        return {team.team_id: team.name for team in await self._teams.teams(session.workspace_id)}

    async def _editing(self, session: WebSession) -> tuple[SlaSettings, dict[str, Any]]:
        """The workspace's settings and a copy of their book to change, for one allowed to."""
        require_section(session, Section.SLA)
        current = await self._sla.current(session.workspace_id)
        return current, _copy(current)

    async def _save(
        self, session: WebSession, current: SlaSettings, book: dict[str, Any]
    ) -> tuple[int, int]:
        check_storable(book, "policies")
        return await self._saved(session, current, book)

    async def _saved(
        self, session: WebSession, current: SlaSettings, book: dict[str, Any]
    ) -> tuple[int, int]:
        version, replanned = await self._sla(session.workspace_id, dict(current.calendars), book)
        await self._audit.record(
            entry_by(
                session,
                "sla_policies_changed",
                "sla_settings",
                version,
                before_version=current.version,
                after_version=version,
                policies=sorted(book.get("policies", {})),
                default=book.get("default"),
                rules=len(_rules(book)),
                clocks_replanned=replanned,
            )
        )
        return version, replanned


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


def _copy(current: SlaSettings) -> dict[str, Any]:
    """The stored book, deep-copied: the stored settings are never changed in place."""
    copied: dict[str, Any] = json.loads(json.dumps(current.policies))
    return copied


def _rules(book: dict[str, Any]) -> list[dict[str, Any]]:
    rules = book.get("rules")
    return [rule for rule in rules if isinstance(rule, dict)] if isinstance(rules, list) else []
