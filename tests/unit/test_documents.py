"""Documents read whole (settings, request bodies): non-finite numbers, deep nesting and
oversized documents are refused naming the problem, never a crash."""

from __future__ import annotations

import pytest

from inbox.domain.documents import MAX_DEPTH, check_document, read_json
from inbox.domain.errors import ConfigurationError
from inbox.usecases.admin_routing import read_yaml, routing_document


def refusal(text: str | bytes) -> str:
    with pytest.raises(ConfigurationError) as refused:
        read_json(text, "body")
    return str(refused.value)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_constants_that_are_not_numbers_are_refused(constant: str) -> None:
    said = refusal('{"lexicon": {"cues": {"fr": {"complaint": {"panne": ' + constant + "}}}}}")
    assert said == f"body: {constant} is not a number JSON allows: give a finite number"


def test_a_number_too_large_for_a_float_is_refused_naming_where_it_is() -> None:
    said = refusal('{"lexicon": {"weights": [1, 1e400]}}')
    assert said.startswith("body.lexicon.weights[1]: inf is not a finite number")


def test_nesting_3000_deep_is_refused_without_a_recursion_error() -> None:
    assert refusal("[" * 3000 + "]" * 3000) == f"body: nested more than {MAX_DEPTH} levels deep"
    assert refusal('{"a":' * 3000 + "1" + "}" * 3000).endswith("levels deep")


def test_nesting_just_past_the_limit_is_refused_and_at_the_limit_read() -> None:
    at_limit = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert read_json(at_limit, "body") is not None
    too_deep = "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2)
    assert refusal(too_deep).endswith(f"nested more than {MAX_DEPTH} levels deep")


def test_malformed_text_and_huge_integers_are_refused_as_not_json() -> None:
    assert refusal("{bad").startswith("body: not JSON: ")
    assert refusal(b"\xff\xfe\x00").startswith("body: not JSON: ")
    said = refusal('{"count": ' + "9" * 5000 + "}")
    assert said.startswith("body: not JSON: Exceeds the limit")
    assert "sys." not in said


def test_a_document_of_too_many_values_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="more than 10 values"):
        check_document({"a": list(range(20))}, "doc", max_values=10)


def test_yaml_non_finite_numbers_deep_nesting_and_alias_bombs_are_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"doc\.weight: nan is not a finite number"):
        read_yaml("weight: .nan\n", "doc")
    with pytest.raises(ConfigurationError, match="inf is not a finite number"):
        read_yaml("weights: [1, .inf]\n", "doc")
    with pytest.raises(ConfigurationError, match="levels deep"):
        read_yaml("[" * 3000 + "]" * 3000, "doc")
    # Nine aliases of nine aliases...: a few lines standing for 9**9 values.
    bomb = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    bomb += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 9)]
    with pytest.raises(ConfigurationError, match="more than 100000 values"):
        read_yaml("\n".join(bomb), "doc")


def test_a_routing_document_with_a_nan_weight_is_refused_naming_the_weight() -> None:
    text = "lexicon:\n  cues:\n    fr:\n      complaint:\n        panne: .nan\n"
    with pytest.raises(ConfigurationError) as refused:
        routing_document(text)
    assert str(refused.value).startswith(
        "routing document.lexicon.cues.fr.complaint.panne: nan is not a finite number"
    )
