"""One message on a network, inbound (a customer) or outbound (the brand), as normalised."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from inbox.domain.media import MediaAttachment
from inbox.domain.network import Network
from inbox.domain.text import is_storable, storable


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Author(BaseModel):
    """Who wrote a message, as the network names them."""

    model_config = ConfigDict(frozen=True)

    external_id: str = Field(min_length=1)
    handle: str | None = None
    display_name: str | None = None
    # The author's audience when the network says (a complaint to many is more urgent).
    followers: int | None = Field(default=None, ge=0)

    @field_validator("external_id")
    @classmethod
    def _storable_id(cls, value: str) -> str:
        if not is_storable(value):
            raise ValueError("contains a NUL character or an unpaired surrogate")
        return value

    @field_validator("handle", "display_name")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        return None if value is None else storable(value)


class Mention(BaseModel):
    """A message as every connector hands it to ingestion.

    `created_at` is the network's own timestamp (SLA clocks start there, not at ingestion).
    When that claim cannot be believed (far ahead of its arrival, or older than the network),
    ingestion puts the arrival time in its place and keeps the claim in `claimed_at` (see
    inbox/domain/payload_limits.py); `claimed_at` is None when the claim was believed.
    `conversation_key` groups a conversation when the network says so (X `conversation_id`,
    a Bluesky reply root); otherwise threading follows `in_reply_to` links.
    `direction` is what the connector knows; ingestion also marks as outbound any message
    written by one of the workspace's connected accounts.
    """

    model_config = ConfigDict(frozen=True)

    network: Network
    external_id: str = Field(min_length=1, max_length=256)
    author: Author
    text: str
    created_at: AwareDatetime
    claimed_at: AwareDatetime | None = None
    direction: Direction = Direction.INBOUND
    conversation_key: str | None = Field(default=None, min_length=1, max_length=256)
    in_reply_to: str | None = Field(default=None, min_length=1, max_length=256)
    language: str | None = None
    url: str | None = None
    edit_of: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict)
    # Posted by automation (an out-of-hours acknowledgement): never an answer for SLA clocks.
    automated: bool = False
    # A direct (private) message rather than a public post: its thread is never offered to
    # the community, and answers to it stay private.
    private: bool = False
    # Pictures, videos and links the message carries, in the network's order (bounded at
    # ingestion, see inbox/domain/payload_limits.py).
    media: tuple[MediaAttachment, ...] = ()

    @field_validator("created_at", "claimed_at")
    @classmethod
    def _an_instant(cls, value: datetime | None) -> datetime | None:
        # Stored as timestamptz, that is in UTC: a date whose offset takes it past year 1 or
        # 9999 once in UTC (0001-01-01T00:00+05:00) cannot be written, nor compared safely.
        if value is not None:
            try:
                value.astimezone(UTC)
            except OverflowError:
                raise ValueError(
                    "lies outside the dates that can be stored (years 1 to 9999 in UTC)"
                ) from None
        return value

    @field_validator("text", "language", "url")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        return None if value is None else storable(value)

    @field_validator("external_id", "conversation_key", "in_reply_to", "edit_of")
    @classmethod
    def _storable_id(cls, value: str | None) -> str | None:
        # An id is compared, not displayed: altering it would link the wrong messages.
        if value is not None and not is_storable(value):
            raise ValueError("contains a NUL character or an unpaired surrogate")
        return value
