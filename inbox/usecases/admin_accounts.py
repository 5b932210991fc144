"""Connected network accounts: listed with their health, added, given credentials, enabled or
disabled. Admins only.

Credentials are write-only: a page learns which are set, never their values. The fields each
network asks for come from ACCOUNT_FORMS; a new connector adds its row there.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from inbox.domain.errors import ConfigurationError, NotFoundError
from inbox.domain.network import ChannelStatus
from inbox.domain.web import WebSession
from inbox.ports.audit import AuditTrail
from inbox.ports.people import AccountAdminStore
from inbox.usecases.admin_access import Section, require_section
from inbox.usecases.audit import entry_by
from inbox.usecases.channels import ListChannels

log = logging.getLogger(__name__)

LONGEST_SECRET = 2000


@dataclass(frozen=True, slots=True)
class CredentialField:
    name: str  # as stored, and as the network's connector reads it
    label: str


@dataclass(frozen=True, slots=True)
class AccountForm:
    """What adding an account of one network asks for."""

    label: str
    external_id_label: str
    external_id_pattern: str
    credentials: tuple[CredentialField, ...]
    # Networks whose accounts are checked against the network when connected (who the token
    # speaks for, on which server) are connected with `inbox connect`; here their credentials
    # are replaced.
    connect_command: str | None = None


ACCOUNT_FORMS: dict[str, AccountForm] = {
    "x": AccountForm(
        label="X",
        external_id_label="X user id (digits)",
        external_id_pattern=r"\d{1,20}",
        credentials=(
            CredentialField("bearer_token", "Bearer token (reads)"),
            CredentialField("consumer_key", "API key (posting)"),
            CredentialField("consumer_secret", "API key secret (posting)"),
            CredentialField("access_token", "Access token (posting)"),
            CredentialField("access_token_secret", "Access token secret (posting)"),
        ),
    ),
    "mastodon": AccountForm(
        label="Mastodon",
        external_id_label="Mastodon account id",
        external_id_pattern=r"\d{1,20}",
        credentials=(CredentialField("access_token", "Access token (read, write:statuses)"),),
        connect_command="inbox connect mastodon --instance URL --handle NAME < token.txt",
    ),
    "bluesky": AccountForm(
        label="Bluesky",
        external_id_label="Bluesky DID",
        external_id_pattern=r"did:[a-z]+:[A-Za-z0-9._:%-]{1,200}",
        credentials=(CredentialField("app_password", "App password"),),
        connect_command="inbox connect bluesky --handle NAME < app-password.txt",
    ),
}


@dataclass(frozen=True, slots=True)
class AccountRow:
    account_id: int
    network: str
    handle: str
    enabled: bool
    health: str
    credentials_set: tuple[str, ...]  # names only
    fields: tuple[CredentialField, ...]


class ManageAccounts:
    def __init__(self, channels: ListChannels, store: AccountAdminStore, audit: AuditTrail) -> None:
        self._channels = channels
        self._store = store
        self._audit = audit

    async def all(self, session: WebSession) -> list[AccountRow]:
        require_section(session, Section.ACCOUNTS)
        channels = await self._channels(session.workspace_id)
        names = await self._store.credential_names(session.workspace_id)
        return [
            AccountRow(
                account_id=c.account_id,
                network=c.network.value,
                handle=c.handle,
                enabled=c.enabled,
                health=health_summary(c),
                credentials_set=names.get(c.account_id, ()),
                fields=ACCOUNT_FORMS[c.network].credentials if c.network in ACCOUNT_FORMS else (),
            )
            for c in channels
        ]

    async def add(
        self,
        session: WebSession,
        network: str,
        external_id: str,
        handle: str,
        credentials: Mapping[str, str],
    ) -> int:
        require_section(session, Section.ACCOUNTS)
        form = _form(network)
        if form.connect_command is not None:
            raise ConfigurationError(
                "network", f"{form.label} accounts are connected with: {form.connect_command}"
            )
        account = external_id.strip()
        if not re.fullmatch(form.external_id_pattern, account):
            raise ConfigurationError("external_id", f"{form.external_id_label}")
        name = handle.strip().removeprefix("@")
        if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,100}", name):
            raise ConfigurationError("handle", "the account's handle, without spaces")
        secrets = _secrets(form, credentials)
        account_id = await self._store.add_account(session.workspace_id, network, account, name)
        await self._store.set_credentials(session.workspace_id, account_id, secrets)
        _log("account_added", session, account_id, sorted(secrets))
        await self._audit.record(
            entry_by(
                session,
                "account_added",
                "account",
                account_id,
                network=network,
                handle=name,
                fields_set=sorted(secrets),
            )
        )
        return account_id

    async def set_credentials(
        self, session: WebSession, account_id: int, network: str, credentials: Mapping[str, str]
    ) -> int:
        """Store the credentials typed (an empty field keeps what is stored); how many."""
        require_section(session, Section.ACCOUNTS)
        secrets = _secrets(_form(network), credentials)
        if not await self._store.set_credentials(session.workspace_id, account_id, secrets):
            raise NotFoundError("account", account_id)
        _log("account_credentials_set", session, account_id, sorted(secrets))
        await self._audit.record(
            entry_by(
                session,
                "account_credentials_set",
                "account",
                account_id,
                fields_set=sorted(secrets),
            )
        )
        return len(secrets)

    async def set_enabled(self, session: WebSession, account_id: int, enabled: bool) -> None:
        require_section(session, Section.ACCOUNTS)
        if not await self._store.set_enabled(session.workspace_id, account_id, enabled):
            raise NotFoundError("account", account_id)
        action = "account_enabled" if enabled else "account_disabled"
        _log(action, session, account_id, [])
        await self._audit.record(entry_by(session, action, "account", account_id, enabled=enabled))


def _log(action: str, session: WebSession, account_id: int, names: list[str]) -> None:
    """Who changed which account, and the names of the credentials set: never their values."""
    log.info(
        "network account changed",
        extra={
            "action": action,
            "workspace_id": session.workspace_id,
            "by_agent_id": session.agent_id,
            "account_id": account_id,
            "credentials": names,
        },
    )


def health_summary(channel: ChannelStatus) -> str:
    """One line: what the connector last reported (never a secret: connectors keep none there)."""
    if not channel.enabled:
        return "disabled"
    status = channel.status or {}
    health = status.get("health")
    if not isinstance(health, dict):
        return "not reported yet (the worker has not polled it)"
    if health.get("degraded"):
        return f"degraded: {health.get('degraded_reason') or 'no reason given'}"
    failures = health.get("consecutive_failures") or 0
    if failures:
        return f"failing ({failures} in a row): {health.get('last_error') or ''}".rstrip(": ")
    last = health.get("last_success_at")
    return f"ok, last read {last}" if last else "ok"


def _form(network: str) -> AccountForm:
    form = ACCOUNT_FORMS.get(network)
    if form is None:
        known = ", ".join(sorted(ACCOUNT_FORMS))
        raise ConfigurationError(
            "network", f"accounts of {network[:20]!r} cannot be added here; {known}"
        )
    return form


def _secrets(form: AccountForm, typed: Mapping[str, str]) -> dict[str, SecretStr]:
    secrets = {}
    for field in form.credentials:
        value = typed.get(field.name, "").strip()
        if not value:
            continue
        if len(value) > LONGEST_SECRET or not value.isprintable() or " " in value:
            raise ConfigurationError(field.name, f"at most {LONGEST_SECRET} characters, no spaces")
        secrets[field.name] = SecretStr(value)
    return secrets
