"""The generic inbound format: any sender posts its messages as signed JSON.

A delivery is one message object, or a JSON array of at most 100 of them:

    {"id": "msg-1042",                                  required, unique within the source
     "author": {"id": "u-7", "handle": "jane", "name": "Jane Doe"},     `id` required
     "text": "My order never arrived",                  required
     "created_at": "2024-05-01T09:30:00Z",              required, with a time zone
     "in_reply_to": "msg-1040",                         optional: threads follow the chain
     "conversation": "ticket-88",                       optional: groups a conversation
     "url": "https://example.com/m/1042"}               optional, http(s)

Ids are the sender's own: the inbox prefixes them with the source's name, so two sources never
collide. Each header `X-Inbox-Signature: t=<unix seconds>,v1=<hex>` carries the HMAC-SHA256,
keyed by the source's secret, of `"<t>." + body` (see `signed_headers`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
)

from connectors.common.rejected import normalised_each
from connectors.jsonl import unreadable_json
from inbox.domain.inbound_webhooks import (
    GENERIC_SIGNATURE_HEADER,
    InboundSource,
    ParsedDelivery,
    generic_signature,
    header,
    verify_generic_signature,
)
from inbox.domain.ingestion import RejectedPayload
from inbox.domain.mention import Author, Mention
from inbox.domain.network import Network

MAX_MESSAGES = 100
# The source name (64) and a colon fit with it in a mention id (256).
SenderId = Annotated[str, Field(min_length=1, max_length=190)]


class GenericAuthor(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: SenderId
    handle: str | None = Field(default=None, max_length=100)
    name: str | None = Field(default=None, max_length=200)


class GenericMessage(BaseModel):
    """One message of the generic format; unknown keys are kept in the raw payload only."""

    model_config = ConfigDict(extra="ignore")

    id: SenderId
    author: GenericAuthor
    text: str = Field(max_length=20_000)
    created_at: AwareDatetime
    in_reply_to: SenderId | None = None
    conversation: SenderId | None = None
    url: str | None = Field(default=None, max_length=2048)

    @field_validator("url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http:// or https:// address")
        return value


def signed_headers(secret: SecretStr, body: bytes, now: datetime) -> dict[str, str]:
    """What a sender adds to its POST: the content type and the signature."""
    return {
        "Content-Type": "application/json",
        GENERIC_SIGNATURE_HEADER: generic_signature(secret, int(now.timestamp()), body),
    }


def normalise_message(item: Mapping[str, Any], source: str) -> Mention:
    """Raises ValidationError naming the field when the message is malformed."""
    message = GenericMessage.model_validate(item)

    def scoped(value: str | None) -> str | None:
        return None if value is None else f"{source}:{value}"

    return Mention(
        network=Network.WEBHOOK,
        external_id=f"{source}:{message.id}",
        author=Author(
            external_id=f"{source}:{message.author.id}",
            handle=message.author.handle,
            display_name=message.author.name,
        ),
        text=message.text,
        created_at=message.created_at,
        conversation_key=scoped(message.conversation),
        in_reply_to=scoped(message.in_reply_to),
        url=message.url,
        raw={"source": source, "message": dict(item)},
    )


def normalise_delivery(body: bytes, source: str) -> ParsedDelivery:
    """Every message of a delivery as a mention or a reject; never raises on bad input."""
    origin = f"webhook:{source}"
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        reason = f"body: {unreadable_json(body, exc)}"
        return ParsedDelivery([], [RejectedPayload(origin, body, reason)])
    items = document if isinstance(document, list) else [document]
    if len(items) > MAX_MESSAGES:
        reason = f"body: {len(items)} messages in one delivery; at most {MAX_MESSAGES}"
        return ParsedDelivery([], [RejectedPayload(origin, body, reason)])
    mentions, rejected = normalised_each(
        items, lambda item: normalise_message(item, source), source=origin, kind="message"
    )
    return ParsedDelivery(mentions, rejected)


class GenericFormat:
    """The InboundFormat of generic sources."""

    def verify(
        self, source: InboundSource, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> None:
        verify_generic_signature(
            source.secret, body, header(headers, GENERIC_SIGNATURE_HEADER), now
        )

    async def parse(self, source: InboundSource, body: bytes) -> ParsedDelivery:
        return normalise_delivery(body, source.name)
