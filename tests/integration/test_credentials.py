"""Connected accounts' credentials: sealed at rest, readable only with the instance's key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from inbox.domain.errors import ConfigurationError
from inbox.domain.network import Network
from inbox.store.credentials import PgCredentialStore
from inbox.store.database import Database
from inbox.store.secret_box import SecretBox, load_or_create_key
from inbox.store.workspaces import PgWorkspaceStore

pytestmark = pytest.mark.integration


async def account(db: Database, workspace_id: int) -> int:
    return await PgWorkspaceStore(db).configure_account(
        workspace_id, Network.X, "42", "acme", {"search_terms": ["acme"]}
    )


async def test_secrets_round_trip_and_are_not_stored_in_clear(
    db: Database, workspace_id: int
) -> None:
    store = PgCredentialStore(db, SecretBox(SecretStr(SecretBox.new_key())))
    account_id = await account(db, workspace_id)
    await store.replace(workspace_id, account_id, {"bearer_token": SecretStr("AAAA-very-secret")})
    loaded = await store.load(workspace_id, account_id)
    assert loaded["bearer_token"].get_secret_value() == "AAAA-very-secret"
    assert "very-secret" not in repr(loaded)
    stored = await db.fetchval(
        "SELECT string_agg(encode(ciphertext, 'escape'), '') FROM account_credential"
    )
    assert "very-secret" not in stored


async def test_replacing_forgets_secrets_no_longer_given(db: Database, workspace_id: int) -> None:
    store = PgCredentialStore(db, SecretBox(SecretStr(SecretBox.new_key())))
    account_id = await account(db, workspace_id)
    await store.replace(workspace_id, account_id, {"a": SecretStr("1"), "b": SecretStr("2")})
    await store.replace(workspace_id, account_id, {"b": SecretStr("3")})
    loaded = await store.load(workspace_id, account_id)
    assert {k: v.get_secret_value() for k, v in loaded.items()} == {"b": "3"}


async def test_another_key_cannot_read_them_and_says_so(db: Database, workspace_id: int) -> None:
    account_id = await account(db, workspace_id)
    await PgCredentialStore(db, SecretBox(SecretStr(SecretBox.new_key()))).replace(
        workspace_id, account_id, {"bearer_token": SecretStr("x")}
    )
    other = PgCredentialStore(db, SecretBox(SecretStr(SecretBox.new_key())))
    with pytest.raises(ConfigurationError, match="the key has changed"):
        await other.load(workspace_id, account_id)


def test_a_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "secret.key"
    first = load_or_create_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_key(path).get_secret_value() == first.get_secret_value()


def test_a_malformed_key_is_named() -> None:
    with pytest.raises(ConfigurationError, match="INBOX_SECRET_KEY"):
        SecretBox(SecretStr("not a key"))
