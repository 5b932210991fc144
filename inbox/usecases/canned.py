"""Canned responses: written once per workspace, filled in for a thread.

Placeholders: `{customer}` (the customer's @handle or name), `{agent}` (who answers), `{thread}`
(the thread's number). Anything else in braces is refused when saved, so that no customer
ever receives a raw `{placeholder}`.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from inbox.domain.errors import ConfigurationError
from inbox.domain.text import is_storable
from inbox.ports.replies import CannedStore

PLACEHOLDERS = frozenset({"customer", "agent", "thread"})
MAX_RESPONSES = 200
LANGUAGE = re.compile(r"[a-z]{2,3}")


@dataclass(frozen=True, slots=True)
class CannedResponse:
    name: str
    body: str
    language: str | None = None

    def filled(self, *, customer: str, agent: str, thread: int) -> str:
        return self.body.format(customer=customer, agent=agent, thread=thread)


def checked(raw: object) -> list[CannedResponse]:
    if not isinstance(raw, list) or len(raw) > MAX_RESPONSES:
        raise ConfigurationError("canned responses", f"a list of at most {MAX_RESPONSES}")
    responses: list[CannedResponse] = []
    names: set[str] = set()
    for position, item in enumerate(raw, start=1):
        where = f"canned response {position}"
        if not isinstance(item, dict) or set(item) - {"name", "body", "language"}:
            raise ConfigurationError(where, 'an object {"name", "body", "language"}')
        name, body, language = item.get("name"), item.get("body"), item.get("language")
        if not isinstance(name, str) or not name.strip() or name.strip().casefold() in names:
            raise ConfigurationError(where, "a name, different from the others")
        if not isinstance(body, str) or not body.strip() or not is_storable(body):
            raise ConfigurationError(where, "a body of plain text")
        if language is not None and not (
            isinstance(language, str) and re.fullmatch(r"[a-z]{2,3}", language)
        ):
            raise ConfigurationError(where, "a language is a 2 or 3 letter code")
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(body) if f is not None}
        except ValueError as exc:
            raise ConfigurationError(where, f"unbalanced braces: {exc}") from exc
        unknown = fields - PLACEHOLDERS
        if unknown:
            raise ConfigurationError(
                where, f"unknown placeholders {sorted(unknown)}; use {sorted(PLACEHOLDERS)}"
            )
        names.add(name.strip().casefold())
        responses.append(CannedResponse(name.strip(), body.strip(), language))
    return responses


class CannedResponses:
    def __init__(self, store: CannedStore) -> None:
        self._store = store

    async def all(self, workspace_id: int) -> list[CannedResponse]:
        return [CannedResponse(n, b, lang) for n, b, lang in await self._store.all(workspace_id)]

    async def replace(self, workspace_id: int, raw: object) -> int:
        responses = checked(raw)
        await self._store.replace(workspace_id, [(r.name, r.body, r.language) for r in responses])
        return len(responses)
