"""The first pass of language detection: the commonest words of English or French decide when
they are clear; anything else, another language above all, is left to lingua."""

from __future__ import annotations

import pytest

from routing.classify import Classifier
from routing.cues import fold, tokens
from routing.language import common_words_language

CLASSIFIER = Classifier()


def first_pass(text: str) -> str | None:
    return common_words_language(tokens(fold(text)))


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("@Fibrea my internet is down again and nobody answers", "en"),
        ("Why is the app not working? I can't log in", "en"),
        ("@Fibrea je n'ai toujours pas de connexion depuis lundi", "fr"),
        ("Merci pour votre aide, c'est réglé !", "fr"),
    ],
)
def test_the_commonest_words_decide_english_and_french(text: str, language: str) -> None:
    assert first_pass(text) == language
    result = CLASSIFIER.classify(text)
    assert result.language == language
    reason = next(r for r in result.reasons if r.decision == "language")
    assert reason.effect == "its commonest words"


@pytest.mark.parametrize(
    "text",
    [
        "Hola, mi conexión no funciona desde el lunes y nadie me responde",  # es
        "Mein Internet ist seit Montag kaputt und niemand antwortet mir",  # de
        "Il servizio non funziona da lunedì, sono molto deluso",  # it
        "Minha internet não funciona desde segunda, muito obrigado pela ajuda",  # pt
        "Mijn internet werkt niet sinds maandag en niemand antwoordt",  # nl
        "the box is down, je suis sans internet",  # both English and French
        "ok",  # too short to tell
    ],
)
def test_other_languages_and_mixed_or_short_messages_are_left_to_lingua(text: str) -> None:
    assert first_pass(text) is None


def test_a_batch_and_a_single_message_get_the_same_language() -> None:
    texts = [
        "@Fibrea my internet is down again and nobody answers",
        "Mein Internet ist seit Montag kaputt und niemand antwortet mir",
        "merci !",
    ]
    batch = CLASSIFIER.classify_texts([(text, None) for text in texts])
    assert [c.language for c in batch] == [CLASSIFIER.classify(t).language for t in texts]
    assert [c.language for c in batch] == ["en", "de", "fr"]
