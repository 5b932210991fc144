"""A web session is found in the workspace its token names, and only there: the token is
hashed whole, so a token whose workspace part is changed finds nothing and ends nothing."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from inbox.domain.people import Role
from inbox.store.database import Database
from inbox.store.passwords import Argon2Passwords
from inbox.store.people import PgPeopleStore
from inbox.store.web_sessions import PgWebSessions
from inbox.store.workspaces import PgWorkspaceStore
from inbox.usecases.web_auth import WebLogins

pytestmark = pytest.mark.integration

EMAIL = "ana@example.com"
WORDS = SecretStr("correct horse battery")
HOME = "198.51.100.7"


@pytest.fixture
async def logins(db: Database, workspace_id: int) -> WebLogins:
    logins = WebLogins(PgWebSessions(db), Argon2Passwords())
    await PgPeopleStore(db).save_agent(workspace_id, EMAIL, "Ana", [Role.AGENT], [])
    await logins.set_password(workspace_id, EMAIL, WORDS)
    return logins


async def test_a_session_token_names_its_workspace_and_is_found_there(
    logins: WebLogins, workspace_id: int
) -> None:
    token, _ = await logins.login(workspace_id, EMAIL, WORDS, HOME)

    assert token.startswith(f"{workspace_id}.")
    session = await logins.session(token)
    assert session is not None
    assert session.workspace_id == workspace_id


async def test_a_token_naming_another_workspace_finds_nothing_and_ends_nothing(
    db: Database, logins: WebLogins, workspace_id: int
) -> None:
    other = await PgWorkspaceStore(db).ensure_workspace("globex", "Globex")
    token, _ = await logins.login(workspace_id, EMAIL, WORDS, HOME)
    _, _, secret = token.partition(".")

    assert await logins.session(f"{other}.{secret}") is None
    await logins.logout(f"{other}.{secret}")
    assert await logins.session(token) is not None


@pytest.mark.parametrize("token", ["", "no-workspace-part", ".secret", "x1.secret", "1."])
async def test_a_token_without_a_workspace_is_no_session(logins: WebLogins, token: str) -> None:
    assert await logins.session(token) is None
    await logins.logout(token)  # nothing to end, and no error


async def test_logout_ends_the_session(logins: WebLogins, workspace_id: int) -> None:
    token, _ = await logins.login(workspace_id, EMAIL, WORDS, HOME)

    await logins.logout(token)

    assert await logins.session(token) is None
