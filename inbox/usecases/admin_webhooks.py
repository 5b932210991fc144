"""Outbound webhooks on the admin pages: listed with their pending and failed deliveries,
added (the signing secret is shown once; an address the egress policy refuses is named in
the form's error), removed. Admins only."""

from __future__ import annotations

from pydantic import SecretStr

from inbox.domain.errors import ConfigurationError
from inbox.domain.web import WebSession
from inbox.domain.webhooks import EVENT_KINDS, Webhook
from inbox.ports.audit import AuditTrail
from inbox.usecases.admin_access import Section, require_section
from inbox.usecases.audit import entry_by
from inbox.usecases.webhooks import URL_FIELD, ManageWebhooks


class AdminWebhooks:
    def __init__(self, webhooks: ManageWebhooks, audit: AuditTrail) -> None:
        self._webhooks = webhooks
        self._audit = audit

    @property
    def event_kinds(self) -> tuple[str, ...]:
        return EVENT_KINDS

    async def all(self, session: WebSession) -> list[Webhook]:
        require_section(session, Section.WEBHOOKS)
        return await self._webhooks.all(session.workspace_id)

    async def add(
        self, session: WebSession, url: str, events: list[str]
    ) -> tuple[Webhook, SecretStr]:
        require_section(session, Section.WEBHOOKS)
        if not url.isprintable():
            raise ConfigurationError(URL_FIELD, "printable characters only")
        webhook, secret = await self._webhooks.add(session.workspace_id, url, events)
        await self._audit.record(
            entry_by(
                session,
                "webhook_added",
                "webhook",
                webhook.id,
                # As the page shows it: a secret in the receiver's address stays out.
                url=webhook.shown_url,
                events=list(webhook.events),
            )
        )
        return webhook, secret

    async def remove(self, session: WebSession, webhook_id: int) -> None:
        require_section(session, Section.WEBHOOKS)
        await self._webhooks.remove(session.workspace_id, webhook_id)
        await self._audit.record(entry_by(session, "webhook_removed", "webhook", webhook_id))
