"""Request bodies of the JSON API, as pydantic models.

The body is first read as bounded JSON (`inbox.domain.documents.read_json`: no NaN or
Infinity, no nesting past its depth), then must be an object, then is validated by the
route's model; each step refuses with a 400 naming the field. The models hold the types;
the use cases keep the rules of the domain (which reasons close a thread, what a reply may
say), and name the field too when they refuse.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from inbox.domain.documents import read_json
from web.errors import BadRequestError
from web.validation import validated

Body = TypeVar("Body", bound=BaseModel)


async def read_body(request: web.Request, model: type[Body]) -> Body:
    """The request's JSON object as `model`; 400 naming the problem for anything else
    (malformed, too deeply nested, NaN or Infinity, not an object, a field refused)."""
    body = read_json(await request.read(), "body")
    if not isinstance(body, dict):
        raise BadRequestError("body", "expected a JSON object")
    return validated(model, body)


class RequestBody(BaseModel):
    """Fields the model does not name are ignored, as a JSON API's clients expect."""

    model_config = ConfigDict(frozen=True)


class CloseBody(RequestBody):
    reason: StrictStr


class ClassificationBody(RequestBody):
    field: StrictStr
    # A kind or urgency, a language code or null, a list of topics: the use case checks it
    # against the field.
    value: object


class ClaimBody(RequestBody):
    count: StrictInt = 1


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


class PreferencesBody(RequestBody):
    # None: no CRM link.
    crm_url_template: StrictStr | None = None
    agent_comparisons: StrictBool = False
