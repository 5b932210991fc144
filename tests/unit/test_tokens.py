"""API tokens: shown once, stored hashed, checked by workspace and role."""

from __future__ import annotations

import pytest

from inbox.domain.errors import AuthenticationError, PermissionDeniedError
from inbox.domain.people import Role
from inbox.usecases.tokens import ApiTokens, Caller


class InMemoryTokens:
    def __init__(self) -> None:
        self.rows: dict[tuple[int, bytes], tuple[int, Role, int | None]] = {}

    async def find_token(
        self, workspace_id: int, token_hash: bytes
    ) -> tuple[int, Role, int | None] | None:
        return self.rows.get((workspace_id, token_hash))

    async def create_token(
        self,
        workspace_id: int,
        name: str,
        role: Role,
        token_hash: bytes,
        agent_email: str | None = None,
    ) -> int:
        agent_id = None if agent_email is None else 42
        self.rows[(workspace_id, token_hash)] = (len(self.rows) + 1, role, agent_id)
        return len(self.rows)


async def test_an_issued_token_authenticates_with_its_workspace_and_role() -> None:
    store = InMemoryTokens()
    tokens = ApiTokens(store)
    token = await tokens.issue(7, "crm", Role.LEAD)
    assert token.startswith("inb_7_")
    assert await tokens.authenticate(token) == Caller(7, 1, Role.LEAD)
    assert all(token.encode() not in digest for _, digest in store.rows)


async def test_a_token_moved_to_another_workspace_is_refused() -> None:
    tokens = ApiTokens(InMemoryTokens())
    token = await tokens.issue(7, "crm", Role.LEAD)
    forged = token.replace("inb_7_", "inb_8_", 1)
    with pytest.raises(AuthenticationError, match="unknown"):
        await tokens.authenticate(forged)


@pytest.mark.parametrize("token", ["", "Bearer", "inb_x_y", "inb_1_short", "inb_1_" + "!" * 43])
async def test_malformed_tokens_are_refused_without_a_lookup(token: str) -> None:
    with pytest.raises(AuthenticationError, match="malformed"):
        await ApiTokens(InMemoryTokens()).authenticate(token)


def test_a_caller_without_the_role_is_denied() -> None:
    caller = Caller(1, 1, Role.COMMUNITY)
    with pytest.raises(PermissionDeniedError, match="agent"):
        caller.require(Role.AGENT, Role.LEAD)
    caller.require(Role.COMMUNITY)


async def test_a_token_can_act_for_an_agent_and_says_so_when_it_cannot() -> None:
    tokens = ApiTokens(InMemoryTokens())
    ana = await tokens.authenticate(await tokens.issue(7, "ana", Role.AGENT, "ana@example.com"))
    assert ana.require_agent() == 42
    robot = await tokens.authenticate(await tokens.issue(7, "crm", Role.AGENT))
    with pytest.raises(PermissionDeniedError, match="--agent"):
        robot.require_agent()
