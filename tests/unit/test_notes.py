"""Who a note names: @handles, not e-mail addresses, trailing punctuation dropped."""

from __future__ import annotations

from inbox.domain.notes import handle_of, named_in


def test_names_are_found_lower_cased_without_trailing_punctuation() -> None:
    text = "@Bob can you look? cc @marie.dupont. Thanks @Ana_1!"
    assert named_in(text) == {"bob", "marie.dupont", "ana_1"}


def test_e_mail_addresses_and_doubled_signs_name_nobody() -> None:
    assert named_in("write to support@acme.example or @@bob or x@y") == frozenset()


def test_a_handle_is_the_e_mail_local_part() -> None:
    assert handle_of("Marie.Dupont@acme.example", "Marie Dupont") == "marie.dupont"
    assert handle_of("", "Marie Dupont") == "mariedupont"
