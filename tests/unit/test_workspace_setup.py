"""Setting a workspace up from the command line and the demo: agents, accounts and file
imports, as use cases over in-memory stores (no database)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from inbox.domain.errors import ConfigurationError
from inbox.domain.ingestion import IngestBatch, IngestResult
from inbox.domain.network import Network, NetworkAccount
from inbox.domain.people import Role
from inbox.usecases.accounts import ConnectAccounts
from inbox.usecases.file_import import ImportBatches
from inbox.usecases.people import SaveAgents

WORKSPACE = 1


class People:
    def __init__(self) -> None:
        self.agents: dict[str, tuple[str, tuple[Role, ...], tuple[str, ...]]] = {}
        self.languages: dict[str, list[str]] = {}
        self.team_languages: dict[str, list[str]] = {}

    async def save_agent(
        self,
        workspace_id: int,
        email: str,
        display_name: str,
        roles: Sequence[Role],
        teams: Sequence[str],
    ) -> int:
        self.agents[email.lower()] = (display_name, tuple(roles), tuple(teams))
        return list(self.agents).index(email.lower()) + 1

    async def set_languages(self, workspace_id: int, email: str, languages: Sequence[str]) -> None:
        self.languages[email.lower()] = list(languages)

    async def set_team_languages(
        self, workspace_id: int, languages: Mapping[str, Sequence[str]]
    ) -> None:
        self.team_languages.update({name: list(spoken) for name, spoken in languages.items()})


class Passwords:
    def __init__(self, people: People) -> None:
        self._people = people
        self.set: dict[str, str] = {}

    async def set_password(self, workspace_id: int, email: str, password: SecretStr) -> None:
        assert email.lower() in self._people.agents, "the agent is saved before their password"
        self.set[email] = password.get_secret_value()


class Accounts:
    def __init__(self) -> None:
        self.configured: dict[tuple[Network, str], tuple[str, dict[str, Any]]] = {}

    async def add_account(
        self, workspace_id: int, network: Network, external_id: str, handle: str
    ) -> NetworkAccount:
        return NetworkAccount(
            workspace_id=workspace_id, id=7, network=network, external_id=external_id,
            handle=handle, display_name=None, created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )  # fmt: skip

    async def configure_account(
        self,
        workspace_id: int,
        network: Network,
        external_id: str,
        handle: str,
        settings: dict[str, Any],
    ) -> int:
        self.configured[(network, external_id)] = (handle, settings)
        return len(self.configured)


class Credentials:
    def __init__(self) -> None:
        self.stored: dict[int, dict[str, str]] = {}

    async def replace(
        self, workspace_id: int, account_id: int, secrets: Mapping[str, SecretStr]
    ) -> None:
        self.stored[account_id] = {k: v.get_secret_value() for k, v in secrets.items()}


def agents() -> tuple[SaveAgents, People, Passwords]:
    people = People()
    passwords = Passwords(people)
    return SaveAgents(people, passwords), people, passwords


async def test_an_agent_saved_without_roles_is_an_agent_and_their_address_is_kept_lower_case() -> (
    None
):
    save, people, _ = agents()
    saved = await save.save(WORKSPACE, " Lea@Example.org ", "Léa")
    assert saved.email == "lea@example.org"
    assert saved.roles == (Role.AGENT,)
    assert people.agents["lea@example.org"] == ("Léa", (Role.AGENT,), ())


async def test_a_role_given_twice_counts_once_and_blank_team_names_are_left_out() -> None:
    save, people, _ = agents()
    saved = await save.save(
        WORKSPACE, "sam@example.org", "Sam", [Role.LEAD, Role.AGENT, Role.LEAD], [" EN ", " "]
    )
    assert saved.roles == (Role.LEAD, Role.AGENT)
    assert saved.teams == ("EN",)
    assert people.agents["sam@example.org"][2] == ("EN",)


@pytest.mark.parametrize("email", ["no-at-sign", "two words@example.org"])
async def test_an_address_that_is_not_one_is_refused_naming_the_field_and_nothing_is_saved(
    email: str,
) -> None:
    save, people, _ = agents()
    with pytest.raises(ConfigurationError, match="email") as refused:
        await save.save(WORKSPACE, email, "Someone")
    assert "is not an e-mail address" in str(refused.value)
    assert people.agents == {}


async def test_languages_and_password_are_set_only_when_given() -> None:
    save, people, passwords = agents()
    await save.save(WORKSPACE, "a@example.org", "A")
    await save.save(
        WORKSPACE, "b@example.org", "B", password=SecretStr("long enough pw"), languages=["fr"]
    )
    assert people.languages == {"b@example.org": ["fr"]}
    assert passwords.set == {"b@example.org": "long enough pw"}


async def test_team_languages_are_set_by_team_name() -> None:
    save, people, _ = agents()
    await save.set_team_languages(WORKSPACE, {"Support FR": ["fr"], "Support EN": ["en"]})
    assert people.team_languages == {"Support FR": ["fr"], "Support EN": ["en"]}


async def test_registering_an_account_never_opens_the_credential_store() -> None:
    def no_key() -> Credentials:
        raise AssertionError("registering an account needs no key")

    accounts = ConnectAccounts(Accounts(), no_key)
    account = await accounts.register(WORKSPACE, Network.X, "1000", "acme")
    assert (account.network, account.external_id, account.handle) == (Network.X, "1000", "acme")


async def test_connecting_an_account_stores_its_settings_and_replaces_its_secrets() -> None:
    registry, credentials = Accounts(), Credentials()
    accounts = ConnectAccounts(registry, lambda: credentials)
    account_id = await accounts.connect(
        WORKSPACE, Network.MASTODON, "42", "acme", {"stream": True},
        {"access_token": SecretStr("token")},
    )  # fmt: skip
    assert registry.configured[(Network.MASTODON, "42")] == ("acme", {"stream": True})
    assert credentials.stored[account_id] == {"access_token": "token"}


class Cursors:
    async def cursor(self, workspace_id: int, connector: str) -> str | None:
        return {"file:abc": '{"offset": 10}'}.get(connector)

    async def known_external_ids(
        self, workspace_id: int, network: str, external_ids: Sequence[str]
    ) -> set[str]:
        return set()


class Ingest:
    def __init__(self) -> None:
        self.batches = 0

    async def __call__(
        self, workspace_id: int, batches: Iterable[IngestBatch]
    ) -> AsyncIterator[IngestResult]:
        for batch in batches:
            self.batches += 1
            yield IngestResult(len(batch.mentions), 1, 2, 3, 4, 5)


async def test_an_import_counts_its_batches_and_adds_up_what_they_changed() -> None:
    ingest = Ingest()
    imports = ImportBatches(Cursors(), ingest)
    count, totals = await imports(WORKSPACE, [IngestBatch([]), IngestBatch([])])
    assert count == 2
    assert totals == IngestResult(0, 2, 4, 6, 8, 10)


async def test_an_import_reads_back_where_the_last_one_stopped() -> None:
    imports = ImportBatches(Cursors(), Ingest())
    assert await imports.saved_cursor(WORKSPACE, "file:abc") == '{"offset": 10}'
    assert await imports.saved_cursor(WORKSPACE, "file:new") is None
