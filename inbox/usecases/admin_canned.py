"""Canned responses one at a time: add, edit, delete. The whole set is checked and replaced
(placeholders {customer}, {agent}, {thread} only), so the rules of `canned` hold for each."""

from __future__ import annotations

from dataclasses import dataclass

from inbox.domain.errors import ConfigurationError, NotFoundError
from inbox.domain.text import is_storable
from inbox.domain.web import WebSession
from inbox.usecases.admin_access import Section, require_section
from inbox.usecases.canned import CannedResponse, CannedResponses, checked


@dataclass(frozen=True, slots=True)
class CannedForm:
    name: str
    body: str
    language: str = ""

    def as_item(self) -> dict[str, object]:
        return {
            "name": self.name,
            "body": self.body,
            "language": self.language.strip().lower() or None,
        }


class ManageCanned:
    def __init__(self, canned: CannedResponses) -> None:
        self._canned = canned

    async def all(self, session: WebSession) -> list[CannedResponse]:
        require_section(session, Section.CANNED)
        return await self._canned.all(session.workspace_id)

    async def add(self, session: WebSession, form: CannedForm) -> None:
        require_section(session, Section.CANNED)
        _check_one(form)
        current = await self._canned.all(session.workspace_id)
        if any(r.name.casefold() == form.name.strip().casefold() for r in current):
            raise ConfigurationError("name", f"a response is named {form.name.strip()!r} already")
        await self._replace(session, [*map(_item, current), form.as_item()])

    async def edit(self, session: WebSession, original: str, form: CannedForm) -> None:
        require_section(session, Section.CANNED)
        _check_one(form)
        current = await self._canned.all(session.workspace_id)
        if not any(r.name == original for r in current):
            raise NotFoundError("canned response", original)
        clash = [
            r for r in current
            if r.name != original and r.name.casefold() == form.name.strip().casefold()
        ]  # fmt: skip
        if clash:
            raise ConfigurationError("name", f"a response is named {clash[0].name!r} already")
        items = [form.as_item() if r.name == original else _item(r) for r in current]
        await self._replace(session, items)

    async def delete(self, session: WebSession, name: str) -> None:
        require_section(session, Section.CANNED)
        current = await self._canned.all(session.workspace_id)
        kept = [_item(r) for r in current if r.name != name]
        if len(kept) == len(current):
            raise NotFoundError("canned response", name)
        await self._replace(session, kept)

    async def _replace(self, session: WebSession, items: list[dict[str, object]]) -> None:
        await self._canned.replace(session.workspace_id, items)


def _item(response: CannedResponse) -> dict[str, object]:
    return {"name": response.name, "body": response.body, "language": response.language}


def _check_one(form: CannedForm) -> None:
    """The response alone, so that a refusal names its field rather than its position."""
    if not (form.name.isprintable() and is_storable(form.name)):
        raise ConfigurationError("name", "printable characters only")
    try:
        checked([form.as_item()])
    except ConfigurationError as exc:
        reason = exc.reason
        field = (
            "name" if reason.startswith("a name")
            else "language" if "language" in reason
            else "body"
        )  # fmt: skip
        raise ConfigurationError(field, reason) from exc
