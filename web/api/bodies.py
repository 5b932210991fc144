"""Request bodies of the JSON API, as pydantic models, read by `web.validation.read_body`.

The models hold the types; the use cases keep the rules of the domain (which reasons close a
thread, what a reply may say), and name the field too when they refuse.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from web.validation import RequestBody


class CloseBody(RequestBody):
    reason: StrictStr


class ClassificationBody(RequestBody):
    field: StrictStr
    # A kind or urgency, a language code or null, a list of topics: the use case checks it
    # against the field.
    value: object


class ClaimBody(RequestBody):
    count: StrictInt = 1


class NoteBody(RequestBody):
    body: StrictStr


def _no_rules() -> dict[str, object]:
    return {"rules": []}


class RoutingBody(RequestBody):
    settings: dict[str, object] = Field(default_factory=dict)
    lexicon: dict[str, object] = Field(default_factory=dict)
    rules: dict[str, object] = Field(default_factory=_no_rules)


IdempotencyKey = Annotated[StrictStr, Field(min_length=1, max_length=100)]


class ReplyBody(RequestBody):
    body: StrictStr
    # One per reply: a reply sent again with the same key is posted once.
    key: IdempotencyKey
    override: StrictBool = False


class CommunityAnswerBody(RequestBody):
    body: StrictStr


class ReviewBody(RequestBody):
    decision: Literal["approve", "edit", "reject"]
    # The edited text, for "edit".
    body: StrictStr | None = None
    note: StrictStr | None = None


class CannedItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: StrictStr
    body: StrictStr
    language: StrictStr | None = None


class CannedBody(RequestBody):
    items: list[CannedItem]


class CustomerPatch(RequestBody):
    """Fields absent stay as they are; `owner` (a colleague's e-mail), `crm_id` and
    `language` set to null clear them."""

    vip: StrictBool | None = None
    owner: StrictStr | None = None
    crm_id: StrictStr | None = None
    tags: list[StrictStr] | None = Field(default=None, max_length=20)
    language: StrictStr | None = None


class MergeBody(RequestBody):
    """Fold customer `other_id` into the one the path names; where both records differ,
    `choices` says which to keep per field ("kept" or "other")."""

    other_id: StrictInt
    reason: StrictStr
    choices: dict[StrictStr, Literal["kept", "other"]] = Field(default_factory=dict)


class SplitBody(RequestBody):
    identity_id: StrictInt
    reason: StrictStr
