"""Request bodies and forms read into pydantic models: a model that refuses them becomes a
400 naming the first field it refused, and why.

A JSON body is first read as bounded JSON (`inbox.domain.documents.read_json`: no NaN or
Infinity, no nesting past its depth) and must be an object, before its model sees it.
"""

from __future__ import annotations

from typing import Any, TypeVar

from aiohttp import web
from multidict import MultiDictProxy
from pydantic import BaseModel, ConfigDict, ValidationError

from inbox.domain.documents import read_json
from web.errors import BadRequestError

Model = TypeVar("Model", bound=BaseModel)


class RequestBody(BaseModel):
    """A JSON request body. Fields the model does not name are ignored, as a JSON API's
    clients expect."""

    model_config = ConfigDict(frozen=True)


def _where(location: tuple[int | str, ...]) -> str:
    """`items[2].name` for ("items", 2, "name")."""
    where = ""
    for part in location:
        where += f"[{part}]" if isinstance(part, int) else f".{part}"
    return where.lstrip(".") or "body"


def validated(model: type[Model], data: object) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        # A validator's own refusal is said as it wrote it, without pydantic's preamble.
        refusal = first.get("ctx", {}).get("error") if first["type"] == "value_error" else None
        reason = str(refusal or first["msg"])
        raise BadRequestError(_where(first["loc"]), reason[:1].lower() + reason[1:]) from None


def validated_form(model: type[Model], form: MultiDictProxy[Any]) -> Model:
    """The form's fields the model names (by alias where it has one); a field sent twice is
    read once, as the first value."""
    names = (field.alias or name for name, field in model.model_fields.items())
    return validated(model, {name: form[name] for name in names if name in form})


async def read_body(request: web.Request, model: type[Model]) -> Model:
    """The request's JSON object as `model`; 400 naming the problem for anything else
    (malformed, too deeply nested, NaN or Infinity, not an object, a field refused)."""
    body = read_json(await request.read(), "body")
    if not isinstance(body, dict):
        raise BadRequestError("body", "expected a JSON object")
    return validated(model, body)
