"""Request bodies and forms read into models: a refusal names the first field refused and
why, the way the project's other refusals do."""

from __future__ import annotations

import pytest
from multidict import MultiDict, MultiDictProxy
from pydantic import BaseModel, StrictStr, field_validator

from web.api.bodies import CannedBody, ClaimBody, ReplyBody, ReviewBody
from web.errors import BadRequestError
from web.validation import validated, validated_form


def refusal(model: type[BaseModel], data: object) -> str:
    with pytest.raises(BadRequestError) as refused:
        validated(model, data)
    return str(refused.value)


def test_a_missing_field_is_named() -> None:
    assert refusal(ReplyBody, {"key": "k1"}) == "body: field required"


def test_a_field_of_the_wrong_type_is_named_with_the_type_expected() -> None:
    assert refusal(ClaimBody, {"count": "2"}) == "count: input should be a valid integer"


def test_a_boolean_is_not_a_count() -> None:
    assert refusal(ClaimBody, {"count": True}).startswith("count: ")


def test_a_choice_outside_the_offered_ones_lists_them() -> None:
    assert refusal(ReviewBody, {"decision": "maybe"}) == (
        "decision: input should be 'approve', 'edit' or 'reject'"
    )


def test_a_field_inside_a_list_is_named_with_its_position() -> None:
    items = [{"name": "a", "body": "b"}, {"name": "c", "body": 3}]
    assert refusal(CannedBody, {"items": items}) == "items[1].body: input should be a valid string"


def test_an_idempotency_key_longer_than_100_characters_is_refused() -> None:
    assert refusal(ReplyBody, {"body": "hi", "key": "k" * 101}).startswith("key: ")


def test_fields_the_model_does_not_name_are_ignored() -> None:
    assert validated(ClaimBody, {"count": 3, "colour": "red"}) == ClaimBody(count=3)


class Choice(BaseModel):
    choice: StrictStr

    @field_validator("choice")
    @classmethod
    def _known(cls, choice: str) -> str:
        if choice not in ("a", "b"):
            raise ValueError("a or b")
        return choice


def test_a_validators_refusal_is_said_as_written() -> None:
    assert refusal(Choice, {"choice": "c"}) == "choice: a or b"


def test_a_form_is_read_field_by_field_first_value_first() -> None:
    form = MultiDictProxy(MultiDict([("choice", "a"), ("choice", "c"), ("other", "x")]))
    assert validated_form(Choice, form) == Choice(choice="a")
